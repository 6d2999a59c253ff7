//! A fake Zipkin Scribe collector on 127.0.0.1, scriptable call by call, that counts exactly the spans it
//! acknowledged. Built on the core's `LogCall` reader and `write_reply`, so it checks the wire too: every call
//! must parse and every message must decode to a span.
//!
//! Answers are taken from the script in call order (across connections); once the script is used up every
//! call gets `OK`. Each call (or torn call) is announced on [`Collector::next_call`].

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures_lite::future;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::Task;
use tryfer_core::scribe::{self, ApplicationException, LogCall, Outcome, Reply};
use tryfer_core::sink::Slice;
use tryfer_core::SpanData;

/// Largest call frame the collector reads.
const MAX_CALL: usize = 32 << 20;

/// What the collector does with one call.
#[derive(Debug)]
pub enum Answer {
    /// Reply `OK`: the spans count as acknowledged.
    Ok,
    /// Reply `TRY_LATER`.
    TryLater,
    /// Reply with a `TApplicationException` carrying this message (what Zipkin does when a message won't decode).
    Exception(&'static str),
    /// Write these bytes instead of a reply, and keep the connection open.
    Garbage(&'static [u8]),
    /// Reply `OK` under another sequence id (not acknowledged).
    WrongSeqid,
    /// Read only the start of the call, then close the connection with the rest unread (a reset).
    CloseMidFrame,
    /// Read the call, write half of an `OK` reply, close the connection (not acknowledged).
    CloseMidReply,
    /// Read the call and never answer (until the collector is stopped).
    Stall,
    /// Read the call, wait until the test sends on (or drops) the channel, then reply `OK`.
    OkWhenReleased(async_channel::Receiver<()>),
}

impl Answer {
    fn name(&self) -> &'static str {
        match self {
            Answer::Ok => "ok",
            Answer::TryLater => "try-later",
            Answer::Exception(_) => "exception",
            Answer::Garbage(_) => "garbage",
            Answer::WrongSeqid => "wrong-seqid",
            Answer::CloseMidFrame => "close-mid-frame",
            Answer::CloseMidReply => "close-mid-reply",
            Answer::Stall => "stall",
            Answer::OkWhenReleased(_) => "ok-when-released",
        }
    }
}

/// One call as the collector saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The n-th connection accepted (from 1) that carried it.
    pub connection: u64,
    /// The call's sequence id (0 when the call was torn before it was read).
    pub seqid: i32,
    /// The category of its entries (they all share one), empty for an empty or torn call.
    pub category: String,
    /// Span ids in the call, in order (empty when torn).
    pub span_ids: Vec<u64>,
    /// How the collector answered (the name of the [`Answer`]).
    pub answer: &'static str,
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Answer>>,
    acked: Mutex<Vec<u64>>,
    acked_calls: Mutex<u64>,
    connections: Mutex<u64>,
}

/// A running (or stopped) fake collector.
pub struct Collector {
    address: SocketAddr,
    state: Arc<State>,
    calls_tx: async_channel::Sender<Call>,
    calls: async_channel::Receiver<Call>,
    tasks: Arc<Mutex<Vec<Task<()>>>>,
}

impl Collector {
    /// A collector on a fresh loopback port.
    pub async fn start() -> Collector {
        Collector::start_at("127.0.0.1:0".parse().unwrap()).await
    }

    /// A collector on `address` (e.g. one a reporter is already trying to reach).
    pub async fn start_at(address: SocketAddr) -> Collector {
        let (calls_tx, calls) = async_channel::unbounded();
        let mut collector = Collector {
            address,
            state: Arc::default(),
            calls_tx,
            calls,
            tasks: Arc::default(),
        };
        collector.listen().await;
        collector
    }

    async fn listen(&mut self) {
        let listener = TcpListener::bind(self.address).await.expect("bind the collector");
        self.address = listener.local_addr().expect("collector address");
        let state = self.state.clone();
        let calls = self.calls_tx.clone();
        let tasks = self.tasks.clone();
        let accept = smol::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let connection = {
                    let mut n = state.connections.lock().unwrap();
                    *n += 1;
                    *n
                };
                let task = smol::spawn(serve(stream, connection, state.clone(), calls.clone()));
                tasks.lock().unwrap().push(task);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// The collector's address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Appends answers for the next calls.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state.script.lock().unwrap().extend(answers);
    }

    /// Ids of the spans acknowledged with `OK`, in order.
    pub fn acked(&self) -> Vec<u64> {
        self.state.acked.lock().unwrap().clone()
    }

    /// How many spans were acknowledged.
    pub fn acked_count(&self) -> u64 {
        self.state.acked.lock().unwrap().len() as u64
    }

    /// How many calls were acknowledged with `OK`.
    pub fn acked_calls(&self) -> u64 {
        *self.state.acked_calls.lock().unwrap()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> u64 {
        *self.state.connections.lock().unwrap()
    }

    /// The next call seen (waits for it).
    pub async fn next_call(&self) -> Call {
        self.calls.recv().await.expect("collector call channel")
    }

    /// Every call seen so far and not yet taken.
    pub fn seen_calls(&self) -> Vec<Call> {
        std::iter::from_fn(|| self.calls.try_recv().ok()).collect()
    }

    /// Stops listening and closes every connection (a crash or restart).
    pub async fn stop(&self) {
        let tasks: Vec<Task<()>> = std::mem::take(&mut *self.tasks.lock().unwrap());
        for task in tasks {
            task.cancel().await;
        }
    }

    /// Listens again on the same address, keeping the counts and the script.
    pub async fn restart(&mut self) {
        self.listen().await;
    }
}

/// Serves one connection: read a frame, parse the call, answer as scripted.
async fn serve(mut stream: TcpStream, connection: u64, state: Arc<State>, calls: async_channel::Sender<Call>) {
    let _ = stream.set_nodelay(true);
    loop {
        let mut prefix = [0u8; 4];
        if stream.read_exact(&mut prefix).await.is_err() {
            return;
        }
        let len = scribe::frame_len(prefix, MAX_CALL).expect("call frame length within bounds");
        let answer = state.script.lock().unwrap().pop_front().unwrap_or(Answer::Ok);
        if let Answer::CloseMidFrame = answer {
            let mut start = vec![0u8; len.min(8)];
            let _ = stream.read_exact(&mut start).await;
            let call = Call {
                connection,
                seqid: 0,
                category: String::new(),
                span_ids: Vec::new(),
                answer: answer.name(),
            };
            let _ = calls.send(call).await;
            return; // dropping the stream with unread bytes resets the connection
        }
        let mut payload = vec![0u8; len];
        if stream.read_exact(&mut payload).await.is_err() {
            return;
        }
        let log = LogCall::parse(&payload, 100_000).expect("a valid Log call");
        assert!(!log.is_oneway(), "the reporter sends CALL, not ONEWAY");
        let mut category = String::new();
        let mut span_ids = Vec::with_capacity(log.len());
        for entry in log.entries() {
            category = entry.category.to_owned();
            let mut scratch = vec![0u8; scribe::decoded_len(entry.message)];
            let span = entry
                .decode_span::<64>(&mut scratch)
                .expect("each message decodes to one span");
            span_ids.push(span.id().get());
        }
        let seqid = log.seqid();
        let call = Call {
            connection,
            seqid,
            category,
            span_ids: span_ids.clone(),
            answer: answer.name(),
        };
        let reply = |outcome| frame_of(&Reply { seqid, outcome });
        let written = match answer {
            Answer::Ok => {
                acknowledge(&state, &span_ids);
                stream.write_all(&reply(Outcome::Ok)).await
            }
            Answer::TryLater => stream.write_all(&reply(Outcome::TryLater)).await,
            Answer::Exception(message) => {
                let exception = ApplicationException {
                    message,
                    kind: ApplicationException::INTERNAL_ERROR,
                };
                stream.write_all(&reply(Outcome::Exception(exception))).await
            }
            Answer::Garbage(bytes) => stream.write_all(bytes).await,
            Answer::WrongSeqid => {
                let frame = frame_of(&Reply {
                    seqid: seqid.wrapping_add(1),
                    outcome: Outcome::Ok,
                });
                stream.write_all(&frame).await
            }
            Answer::CloseMidReply => {
                let frame = reply(Outcome::Ok);
                let _ = stream.write_all(&frame[..frame.len() / 2]).await;
                let _ = calls.send(call).await;
                return;
            }
            Answer::Stall => {
                let _ = calls.send(call).await;
                future::pending::<()>().await;
                return;
            }
            Answer::OkWhenReleased(release) => {
                let _ = calls.send(call.clone()).await;
                let _ = release.recv().await;
                acknowledge(&state, &span_ids);
                if stream.write_all(&reply(Outcome::Ok)).await.is_err() {
                    return;
                }
                continue;
            }
            Answer::CloseMidFrame => unreachable!(),
        };
        let _ = calls.send(call).await;
        if written.is_err() {
            return;
        }
    }
}

fn acknowledge(state: &State, span_ids: &[u64]) {
    state.acked.lock().unwrap().extend_from_slice(span_ids);
    *state.acked_calls.lock().unwrap() += 1;
}

/// A framed reply, written by the core.
fn frame_of(reply: &Reply<'_>) -> Vec<u8> {
    let mut frame = vec![0u8; scribe::reply_len(reply).unwrap()];
    scribe::write_reply(reply, Slice::new(&mut frame)).unwrap();
    frame
}
