//! The misbehaving collector for the smol reporter: a Scribe server on loopback (OS sockets, smol tasks) that
//! treats each call as the [`Schedule`] says at the moment its frame starts to arrive.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::Timer;
use tryfer_core::scribe::{self, Outcome};

use crate::answer::{self, Action, Garbage};
use crate::call::{self, MAX_CALL};
use crate::ledger::Ledger;
use crate::schedule::{Phase, Schedule};

/// Serves on `address` once the absent phase is over, until the task is dropped.
pub async fn serve(address: SocketAddr, schedule: Schedule, ledger: Arc<Ledger>) {
    while schedule.phase() == Phase::Absent {
        Timer::after(Duration::from_millis(5)).await;
    }
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(e) => {
            ledger.bad_call(format!("the collector could not bind {address}: {e}"));
            return;
        }
    };
    let mut connections = Vec::new();
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        connections.push(smol::spawn(connection(stream, schedule, ledger.clone())));
        connections.retain(|task: &smol::Task<()>| !task.is_finished());
    }
}

/// One connection: calls until the peer closes it or the schedule ends it.
async fn connection(mut stream: TcpStream, schedule: Schedule, ledger: Arc<Ledger>) {
    loop {
        let mut prefix = [0u8; 4];
        if stream.read_exact(&mut prefix).await.is_err() {
            return;
        }
        let phase = schedule.phase();
        let action = answer::action(phase, ledger.next_call());
        ledger.call(phase, action);
        let len = match scribe::frame_len(prefix, MAX_CALL) {
            Ok(len) => len,
            Err(_) => return ledger.bad_call(format!("a frame prefix of {prefix:?}")),
        };
        if action == Action::ResetMidFrame {
            let mut start = vec![0u8; len.min(8)];
            let _ = stream.read_exact(&mut start).await;
            return; // closing with the rest unread resets the connection
        }
        let mut payload = vec![0u8; len];
        if stream.read_exact(&mut payload).await.is_err() {
            return;
        }
        let call = match call::read_call(&payload) {
            Ok(call) => call,
            Err(why) => return ledger.bad_call(why),
        };
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
                while schedule.phase() == Phase::Stall {
                    Timer::after(Duration::from_millis(5)).await;
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
        if stream.write_all(&reply).await.is_err() || stream.flush().await.is_err() {
            return;
        }
    }
}
