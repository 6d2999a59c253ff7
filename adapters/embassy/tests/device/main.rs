//! Host tests of the adapter's very code: a device stack and a host stack joined in-process; the device
//! records and reports spans, the host decodes them with the core and answers as each test needs.

mod http;
mod net;
mod scribe;
mod sink;
mod sizes;
mod sntp;
