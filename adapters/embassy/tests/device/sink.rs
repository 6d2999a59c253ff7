//! The host side: a Scribe sink that decodes what it is sent with the core's reader and Thrift decoders, and
//! answers as a test script tells it to (OK, TRY_LATER, an exception, or hanging up without a reply).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use embassy_net::tcp::TcpSocket;
use embassy_net::Stack;
use tryfer_core::scribe::{self, ApplicationException, LogCall, Outcome, Reply};
use tryfer_core::thrift::decode::decode_span;
use tryfer_core::{SpanData, SpanId, TraceId, Value};

/// One span as the host received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub trace_id: TraceId,
    pub id: SpanId,
    pub parent_id: Option<SpanId>,
    pub name: String,
    /// `(value, timestamp, service name)`, in order.
    pub annotations: Vec<(String, u64, Option<String>)>,
    /// String tags.
    pub tags: Vec<(String, String)>,
    pub timestamp: Option<u64>,
    pub duration: Option<u64>,
}

impl Received {
    pub fn of<D: SpanData>(span: &D) -> Self {
        Received {
            trace_id: span.trace_id(),
            id: span.id(),
            parent_id: span.parent_id(),
            name: span.name().to_owned(),
            annotations: span
                .annotations()
                .map(|a| {
                    (
                        a.value.to_owned(),
                        a.timestamp,
                        a.host.map(|h| h.service_name.to_owned()),
                    )
                })
                .collect(),
            tags: span
                .binary_annotations()
                .filter_map(|b| match b.value {
                    Value::String(v) => Some((b.key.to_owned(), v.to_owned())),
                    _ => None,
                })
                .collect(),
            timestamp: span.timestamp(),
            duration: span.duration(),
        }
    }

    pub fn annotation(&self, value: &str) -> Option<u64> {
        self.annotations.iter().find(|a| a.0 == value).map(|a| a.1)
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.iter().find(|t| t.0 == key).map(|t| t.1.as_str())
    }
}

/// How the sink answers one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Ok,
    TryLater,
    Exception,
    /// Read the call, then close the connection without answering (a collector that restarts).
    HangUp,
}

#[derive(Default)]
pub struct ScribeSink {
    pub received: RefCell<Vec<Received>>,
    pub calls: Cell<usize>,
    pub connections: Cell<usize>,
    script: RefCell<VecDeque<Answer>>,
}

impl ScribeSink {
    /// A sink that answers the first calls as `script` says, and OK after that.
    pub fn new(script: &[Answer]) -> Self {
        ScribeSink {
            script: RefCell::new(script.iter().copied().collect()),
            ..Default::default()
        }
    }

    pub fn spans(&self) -> Vec<Received> {
        self.received.borrow().clone()
    }

    pub async fn serve(&self, stack: Stack<'_>, port: u16) -> ! {
        let mut rx = vec![0u8; 16384];
        let mut tx = vec![0u8; 1024];
        loop {
            let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
            if socket.accept(port).await.is_ok() {
                self.connections.set(self.connections.get() + 1);
                self.connection(&mut socket).await;
            }
            socket.abort();
            let _ = socket.flush().await;
        }
    }

    async fn connection(&self, socket: &mut TcpSocket<'_>) {
        let mut buf = vec![0u8; 65536];
        let mut filled = 0;
        loop {
            while let Ok(Some(frame)) = scribe::split_frame(&buf[..filled], 65536 - 4) {
                let used = filled - frame.rest.len();
                let answer = self.script.borrow_mut().pop_front().unwrap_or(Answer::Ok);
                self.calls.set(self.calls.get() + 1);
                let call = LogCall::parse(frame.payload, 64).expect("a valid Log call");
                let outcome = match answer {
                    Answer::HangUp => return,
                    Answer::Ok => {
                        let mut scratch = vec![0u8; 8192];
                        for entry in call.entries() {
                            assert_eq!(entry.category, "zipkin");
                            let bytes = entry.decode_message(&mut scratch).expect("base64 of a span");
                            let (span, _) = decode_span::<64>(bytes).expect("a Thrift span");
                            self.received.borrow_mut().push(Received::of(&span));
                        }
                        Outcome::Ok
                    }
                    Answer::TryLater => Outcome::TryLater,
                    Answer::Exception => Outcome::Exception(ApplicationException {
                        message: "bad span",
                        kind: ApplicationException::PROTOCOL_ERROR,
                    }),
                };
                let mut out = heapless::Vec::<u8, 128>::new();
                scribe::write_reply(
                    &Reply {
                        seqid: call.seqid(),
                        outcome,
                    },
                    &mut out,
                )
                .unwrap();
                if socket.write(&out).await.is_err() || socket.flush().await.is_err() {
                    return;
                }
                buf.copy_within(used..filled, 0);
                filled -= used;
            }
            match socket.read(&mut buf[filled..]).await {
                Ok(0) | Err(_) => return,
                Ok(n) => filled += n,
            }
        }
    }
}
