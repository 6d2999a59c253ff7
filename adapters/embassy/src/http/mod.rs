//! HTTP tracing: B3 in and `sr`/`ss` for picoserve servers, B3 out and `cs`/`cr` for reqwless clients.
//!
//! Both sit behind features (`picoserve`, `reqwless`) and call [`tryfer_core::b3`] for every header byte.
//! Malformed incoming headers never fail a request: they are counted and the request starts a new trace.

#[cfg(feature = "reqwless")]
pub mod client;
#[cfg(feature = "picoserve")]
pub mod server;
