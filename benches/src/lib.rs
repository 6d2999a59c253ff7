//! tryfer against its peers: the comparisons that `cargo bench -p tryfer-benches` times, the load tests it runs
//! on loopback, and the report it writes (`bench-report.md` and `bench-report.json` in the target directory).
//!
//! Every comparison is a [`Pair`]: the same input, encoded, parsed or recorded by tryfer and by one peer, with
//! a [`Pair::check`] that both sides produced the same thing before anything is timed. The criterion bench
//! (`benches/comparisons.rs`) times each side; the `bench-allocations` binary counts their heap allocations.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod apache;
pub mod b3;
pub mod footprint;
pub mod http_load;
pub mod http_overhead;
pub mod json_v2;
pub mod lifecycle;
pub mod machine;
pub mod report;
pub mod scribe_message;
pub mod thrift_encode;
pub mod throughput;
pub mod typical;

/// One comparison: an operation done by tryfer ([`Pair::ours`]) and the same operation done by a peer
/// ([`Pair::peer`]), on the same input.
pub trait Pair {
    /// The comparison's name in the report, e.g. `thrift_binary_encode`.
    fn name(&self) -> &'static str;
    /// The peer and how it is used, e.g. `thrift 0.25 TBinaryOutputProtocol`.
    fn peer_name(&self) -> &'static str;
    /// Does the operation once with tryfer; returns a size or count so the work cannot be optimised away.
    fn ours(&mut self) -> usize;
    /// Does the operation once with the peer.
    fn peer(&mut self) -> usize;
    /// Runs both once and says whether they produced the same result (bytes, context, JSON value).
    fn check(&mut self) -> Result<(), String>;
    /// After the timed runs: checks what the runs left behind (e.g. every span reached its collector).
    fn verify(&mut self) -> Result<(), String> {
        Ok(())
    }
}

/// Something done with every [`Pair`]: generic, so the timed calls are static (no virtual call in the loop).
pub trait Visit {
    /// Called once per comparison, in report order.
    fn visit<P: Pair>(&mut self, pair: P);
}

/// Hands every comparison to `visitor`, in report order.
pub fn visit_pairs<V: Visit>(visitor: &mut V) {
    visitor.visit(thrift_encode::ThriftEncode::new());
    visitor.visit(scribe_message::ScribeMessage::new());
    visitor.visit(scribe_message::ScribeLogCall::new());
    b3::visit(visitor);
    visitor.visit(lifecycle::Lifecycle::new());
    visitor.visit(lifecycle::Lifecycle::with_drain(lifecycle::Drain::Poll));
    visitor.visit(json_v2::JsonV2::new());
}
