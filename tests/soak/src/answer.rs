//! What the collector does with one call in each phase of the [`Schedule`](crate::schedule::Schedule).

use crate::schedule::Phase;

/// One call's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the call, count its spans, answer `OK`.
    Ok,
    /// Read only the frame's start, then close the connection with the rest unread (a reset).
    ResetMidFrame,
    /// Read the call, count its spans, close the connection before replying (the acknowledgement is lost).
    AckThenReset,
    /// Read the call and never answer, until the phase ends.
    Stall,
    /// Answer `TRY_LATER`.
    TryLater,
    /// Answer with a Thrift exception (the spans are not stored).
    Exception,
    /// Answer with these bytes, which are not a reply, and keep the connection open.
    Garbage(Garbage),
}

/// The kinds of garbage sent instead of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Garbage {
    /// An HTTP response: its first four bytes read as a frame length of over a gigabyte.
    Http,
    /// A well-framed payload that is not a Thrift message.
    Junk,
    /// An `OK` reply carrying another sequence id, after counting the call's spans (a collector that stored
    /// them but mixed up its replies: the reporter cannot tell, sends them again, and they arrive twice).
    WrongSeqid,
}

impl Action {
    /// The action's name in the collector's counts.
    pub fn name(self) -> &'static str {
        match self {
            Action::Ok => "ok",
            Action::ResetMidFrame => "reset-mid-frame",
            Action::AckThenReset => "ack-then-reset",
            Action::Stall => "stall",
            Action::TryLater => "try-later",
            Action::Exception => "exception",
            Action::Garbage(Garbage::Http) => "garbage-http",
            Action::Garbage(Garbage::Junk) => "garbage-junk",
            Action::Garbage(Garbage::WrongSeqid) => "wrong-seqid",
        }
    }
}

/// What to do with call number `n` (counted from 0 across connections) arriving during `phase`.
pub fn action(phase: Phase, n: u64) -> Action {
    match phase {
        Phase::Absent | Phase::Recover => Action::Ok,
        Phase::Reset if n.is_multiple_of(2) => Action::ResetMidFrame,
        Phase::Reset => Action::AckThenReset,
        Phase::Stall => Action::Stall,
        Phase::TryLater => Action::TryLater,
        Phase::Exception => Action::Exception,
        Phase::Garbage => Action::Garbage(match n % 3 {
            0 => Garbage::Http,
            1 => Garbage::Junk,
            _ => Garbage::WrongSeqid,
        }),
    }
}
