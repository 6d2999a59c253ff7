//! The misbehaving collector for the embassy reporter: a Scribe server on the host stack of the
//! [`embassy_net_pair`](crate::embassy_net_pair), one connection at a time (as a small collector would be),
//! treating each call as the [`Schedule`] says at the moment its frame starts to arrive.

use embassy_futures::select::{select, Either};
use embassy_net::tcp::TcpSocket;
use embassy_net::Stack;
use embassy_time::Timer;
use tryfer_core::scribe::{self, Outcome, FRAME_HEADER_LEN};

use crate::answer::{self, Action, Garbage};
use crate::call;
use crate::ledger::Ledger;
use crate::schedule::{Phase, Schedule};

/// The largest call frame read (the reporter's frame buffer is smaller).
const MAX_FRAME: usize = 64 * 1024;

/// Accepts connections on `port` once the absent phase is over (until then nothing listens, so the device's
/// connections are refused), forever.
pub async fn serve(stack: Stack<'_>, port: u16, schedule: &Schedule, ledger: &Ledger) -> ! {
    let mut rx = vec![0u8; 16 * 1024];
    let mut tx = vec![0u8; 1024];
    let mut buf = vec![0u8; FRAME_HEADER_LEN + MAX_FRAME];
    loop {
        if schedule.phase() == Phase::Absent {
            Timer::after_millis(5).await;
            continue;
        }
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        if socket.accept(port).await.is_ok() {
            connection(&mut socket, &mut buf, schedule, ledger).await;
        }
        // Whatever the reason the connection ends here, it ends with a reset.
        socket.abort();
        let _ = socket.flush().await;
    }
}

/// Writes all of `bytes`; false when the connection failed.
async fn write_all(socket: &mut TcpSocket<'_>, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        match socket.write(bytes).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
        }
    }
    socket.flush().await.is_ok()
}

/// Reads until `buf[..*filled]` holds at least `want` bytes; false when the connection ended first.
async fn fill(socket: &mut TcpSocket<'_>, buf: &mut [u8], filled: &mut usize, want: usize) -> bool {
    while *filled < want {
        let Some(space) = buf.get_mut(*filled..).filter(|s| !s.is_empty()) else {
            return false;
        };
        match socket.read(space).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => *filled += n,
        }
    }
    true
}

/// Serves calls on one connection until it ends; the caller resets it.
async fn connection(socket: &mut TcpSocket<'_>, buf: &mut [u8], schedule: &Schedule, ledger: &Ledger) {
    let mut filled = 0;
    loop {
        if !fill(socket, buf, &mut filled, FRAME_HEADER_LEN).await {
            return;
        }
        let phase = schedule.phase();
        let action = answer::action(phase, ledger.next_call());
        ledger.call(phase, action);
        let prefix = [buf[0], buf[1], buf[2], buf[3]];
        let len = match scribe::frame_len(prefix, MAX_FRAME) {
            Ok(len) => len,
            Err(_) => return ledger.bad_call(format!("a frame prefix of {prefix:?}")),
        };
        if action == Action::ResetMidFrame {
            return;
        }
        let end = FRAME_HEADER_LEN + len;
        if !fill(socket, buf, &mut filled, end).await {
            return;
        }
        let call = match call::read_call(&buf[FRAME_HEADER_LEN..end]) {
            Ok(call) => call,
            Err(why) => return ledger.bad_call(why),
        };
        buf.copy_within(end..filled, 0);
        filled -= end;
        let reply = match action {
            Action::Ok => {
                ledger.acknowledge(&call.span_ids);
                call::reply(call.seqid, Outcome::Ok)
            }
            Action::AckThenReset => {
                ledger.acknowledge(&call.span_ids);
                return;
            }
            Action::Stall => {
                // Hold the connection without answering until the phase ends or the device gives up on it.
                let mut sink = [0u8; 256];
                while schedule.phase() == Phase::Stall {
                    if let Either::First(Ok(0) | Err(_)) = select(socket.read(&mut sink), Timer::after_millis(5)).await
                    {
                        return;
                    }
                }
                return;
            }
            Action::TryLater => call::reply(call.seqid, Outcome::TryLater),
            Action::Exception => {
                ledger.reject(&call.span_ids);
                call::exception(call.seqid)
            }
            Action::Garbage(kind) => {
                if kind == Garbage::WrongSeqid {
                    ledger.acknowledge(&call.span_ids);
                }
                call::garbage(kind, call.seqid)
            }
            Action::ResetMidFrame => return,
        };
        if !write_all(socket, &reply).await {
            return;
        }
    }
}
