//! Zipkin v2 JSON: the body of `POST /api/v2/spans`, converted from v1 spans the way Zipkin does it.
//!
//! A span is recorded in Zipkin's v1 model (annotations `cs`/`sr`/..., binary annotations); the v2 model has a
//! `kind`, a `timestamp` and `duration`, a `localEndpoint` and a `remoteEndpoint` instead. The conversion follows
//! Zipkin's own `V1SpanConverter` (zipkin2.v1), so a collector shows the same span whether it arrived as v1
//! Thrift over Scribe or as this JSON:
//!
//! - `cs`/`cr` make a `CLIENT` span, `sr`/`ss` a `SERVER` span, `ms` a `PRODUCER`, `mr` a `CONSUMER`
//!   (`ws`/`wr`, wire send and receive, refine messaging timestamps). These core annotations are not repeated
//!   in `annotations`, except an end without its start (`cr` without `cs`, `ss` without `sr`), which stays one.
//! - `timestamp`/`duration` come from the span's own fields when both are set, else from `cs`..`cr`,
//!   `sr`..`ss`, `ms`..`ws` or `wr`..`mr`.
//! - A span holding both sides of an RPC (one process was client and server) becomes two v2 spans: the client
//!   one, and a server one with `shared: true` timed by `sr`..`ss`. A server-only span whose own timestamp is
//!   unset (it joined the client's span id) is `shared: true` too, as is one marked [`SpanData::shared`] (v1 has
//!   no such flag; a client side is never shared).
//! - Annotations are grouped into v2 spans by the service name of their host: each service gets its own v2
//!   span, whose `localEndpoint` is that service's first host; items without a host go to the first v2 span.
//!   "First" is in Zipkin's order: annotations sorted by time then value, then binary annotations by key; of a
//!   core annotation recorded twice, the later one counts.
//! - A `BOOL` binary annotation `sa`/`ca`/`ma` that is `true` and has a host is the `remoteEndpoint` (`sa` of
//!   the client side, `ca` of the server side, without its service name when that is the server's own, `ma`
//!   of a messaging side); `sa`/`ca`/`ma` never become tags. Other binary annotations are `tags`, sorted by
//!   key, the last value of a repeated key winning; an empty `lc` tag is dropped.
//! - Other timestamp annotations are `annotations`, sorted by time then value, duplicates removed.
//! - A span naming itself as parent has no `parentId`; an unset (or 0) `timestamp`/`duration` is left out, and
//!   so is a timestamp annotation at time 0 (Zipkin's decoders drop it). An IPv4-mapped IPv6 host address is
//!   written as `ipv4`; an address `0.0.0.0`, a port 0 and an empty service name are left out.
//!
//! The tests hold spans converted by Zipkin's own code (openzipkin/zipkin, 2026) and require the same
//! output, byte for byte where Zipkin writes one span. Where this differs from Zipkin, on purpose:
//! - Zipkin's v1 decoders keep only `STRING` binary annotations as tags and drop the other types. Here every
//!   type becomes a tag, as text: `BOOL` `"true"`/`"false"`, integers in decimal, `DOUBLE` as the shortest
//!   decimal that reads back to the same value (`"21.5"`, `"1e-7"`; `"NaN"`, `"Infinity"`, `"-Infinity"`),
//!   `BYTES` as standard padded base64.
//! - Zipkin treats a core annotation without a host as a plain annotation. Here it still sets the kind and
//!   timing, of the first v2 span: the original tryfer's client records `cs`/`cr` without a host, and these
//!   spans should still read as `CLIENT` spans with a duration.
//! - A duration computed from annotations is at least 1 µs (the v2 schema's rounding rule; Zipkin drops a
//!   zero duration); an end before its start gives no duration, as in Zipkin.
//! - Service names are written lower-cased (character by character, `char::to_lowercase`), the form Zipkin
//!   stores them in, so every v2 consumer sees the same service. Span names, annotation values and tags are
//!   written as recorded (Zipkin lower-cases span names on receipt; other backends keep them).
//! - Times past `i64::MAX` (year 294247) are clamped to it, as the Thrift encoder does. Strings sort by UTF-8
//!   bytes (Java sorts by UTF-16 units: they differ only between U+E000..U+FFFF and astral characters).
//! - The v2 spans of one v1 span come out one per service in order of first appearance, then a split-off
//!   server (or consumer) side; Zipkin's order differs in rare multi-service spans. Span lists are unordered.

use super::escape::{eq_lowercase, write_f64, write_ipv4, write_ipv6, write_str, write_str_lowercase, write_u64};
use crate::annotation::{Annotation, BinaryAnnotation, Value};
use crate::endpoint::Endpoint;
use crate::scribe::Base64Sink;
use crate::sink::{measure, EncodeError, Sink};
use crate::span::SpanData;

/// Writes the v2 spans of one v1 span as JSON objects separated by commas (one object, or more when the span
/// holds both sides of an RPC or hosts of several services); a reporter adds `[`, `,` and `]` around them.
///
/// ```
/// use core::net::Ipv4Addr;
/// use tryfer_core::{json, Endpoint, Sampling, Span, SpanContext, SpanId, TraceId};
/// let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
/// let host = Endpoint::v4("Sensor-7", Ipv4Addr::new(192, 168, 1, 10), 9410);
/// let mut span: Span = Span::new(ctx, "read");
/// span.annotate("cs", 1_000, Some(&host)).unwrap();
/// span.tag_str("temp", "21.5\"C", None).unwrap();
/// span.annotate("cr", 1_250, Some(&host)).unwrap();
/// let mut out = heapless::Vec::<u8, 256>::new();
/// json::encode_v2_span(&span, &mut out).unwrap();
/// assert_eq!(
///     core::str::from_utf8(&out).unwrap(),
///     r#"{"traceId":"0000000000000001","id":"0000000000000002","kind":"CLIENT","name":"read","#.to_owned()
///         + r#""timestamp":1000,"duration":250,"#
///         + r#""localEndpoint":{"serviceName":"sensor-7","ipv4":"192.168.1.10","port":9410},"#
///         + r#""tags":{"temp":"21.5\"C"}}"#
/// );
/// assert_eq!(json::v2_span_len(&span), Ok(out.len()));
/// ```
pub fn encode_v2_span<S: Sink, D: SpanData + ?Sized>(span: &D, mut sink: S) -> Result<(), EncodeError> {
    let conversion = Conversion::new(span);
    let mut first = true;
    conversion.for_each_side(|side| {
        if !first {
            sink.try_push(b',')?;
        }
        first = false;
        conversion.write_side(&mut sink, &side)
    })
}

/// Writes the body of `POST /api/v2/spans`: a JSON array of the v2 spans of every span in `spans`.
///
/// Its exact length is `sink::measure(|c| json::encode_v2_spans(spans, c))`.
///
/// ```
/// use tryfer_core::{json, Sampling, Span, SpanContext, SpanId, TraceId};
/// let ctx = SpanContext::root_of(TraceId::from_u64(0xa).unwrap(), SpanId::new(0xb).unwrap(), Sampling::Accept);
/// let span: Span = Span::new(ctx, "idle");
/// let mut out = heapless::Vec::<u8, 256>::new();
/// json::encode_v2_spans([&span, &span], &mut out).unwrap();
/// let one = r#"{"traceId":"000000000000000a","id":"000000000000000b","name":"idle"}"#;
/// assert_eq!(core::str::from_utf8(&out).unwrap(), format!("[{one},{one}]"));
/// ```
pub fn encode_v2_spans<S, I, D>(spans: I, mut sink: S) -> Result<(), EncodeError>
where
    S: Sink,
    I: IntoIterator<Item = D>,
    D: SpanData,
{
    sink.try_push(b'[')?;
    for (i, span) in spans.into_iter().enumerate() {
        if i > 0 {
            sink.try_push(b',')?;
        }
        encode_v2_span(&span, &mut sink)?;
    }
    sink.try_push(b']')
}

/// The exact length of [`encode_v2_span`]'s output.
pub fn v2_span_len<D: SpanData + ?Sized>(span: &D) -> Result<usize, EncodeError> {
    measure(|counter| encode_v2_span(span, counter))
}

/// How many v2 span objects [`encode_v2_span`] writes for `span` (at least 1), e.g. for a reporter's counts.
pub fn v2_span_count<D: SpanData + ?Sized>(span: &D) -> usize {
    let conversion = Conversion::new(span);
    let mut count = 0usize;
    let _ = conversion.for_each_side(|_| {
        count = count.saturating_add(1);
        Ok(())
    });
    count
}

/// Zipkin v2's `Span.Kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Client,
    Server,
    Producer,
    Consumer,
}

impl Kind {
    const fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "CLIENT",
            Kind::Server => "SERVER",
            Kind::Producer => "PRODUCER",
            Kind::Consumer => "CONSUMER",
        }
    }
}

/// The v1 core annotations Zipkin's converter interprets instead of copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CoreName {
    ClientSend,
    ClientRecv,
    ServerRecv,
    ServerSend,
    MessageSend,
    MessageRecv,
    WireSend,
    WireRecv,
}

impl CoreName {
    fn of(value: &str) -> Option<Self> {
        Some(match value {
            "cs" => CoreName::ClientSend,
            "cr" => CoreName::ClientRecv,
            "sr" => CoreName::ServerRecv,
            "ss" => CoreName::ServerSend,
            "ms" => CoreName::MessageSend,
            "mr" => CoreName::MessageRecv,
            "ws" => CoreName::WireSend,
            "wr" => CoreName::WireRecv,
            _ => return None,
        })
    }

    /// The kind this annotation gives the v2 span it lands in (`ws`/`wr` give none).
    const fn kind(self) -> Option<Kind> {
        match self {
            CoreName::ClientSend | CoreName::ClientRecv => Some(Kind::Client),
            CoreName::ServerRecv | CoreName::ServerSend => Some(Kind::Server),
            CoreName::MessageSend => Some(Kind::Producer),
            CoreName::MessageRecv => Some(Kind::Consumer),
            CoreName::WireSend | CoreName::WireRecv => None,
        }
    }
}

/// Binary annotation keys that name the remote endpoint instead of being tags.
fn is_address_key(key: &str) -> bool {
    matches!(key, "ca" | "sa" | "ma")
}

/// An endpoint as Zipkin reads it: `0.0.0.0` and port 0 unset, IPv4-mapped IPv6 as IPv4, and an endpoint with
/// nothing left as no endpoint at all.
fn normalize(host: Option<Endpoint<'_>>) -> Option<Endpoint<'_>> {
    let mut host = host?;
    if host.ipv4.is_some_and(|a| a.is_unspecified()) {
        host.ipv4 = None;
    }
    if host.port == Some(0) {
        host.port = None;
    }
    if let Some(mapped) = host.ipv6.and_then(|a| a.to_ipv4_mapped()) {
        host.ipv4 = host.ipv4.or(Some(mapped));
        host.ipv6 = None;
    }
    let empty = host.service_name.is_empty() && host.ipv4.is_none() && host.ipv6.is_none() && host.port.is_none();
    (!empty).then_some(host)
}

/// Zipkin's `Endpoint.equals` on normalized endpoints (service names compare lower-cased).
fn same_endpoint(a: &Endpoint<'_>, b: &Endpoint<'_>) -> bool {
    a.ipv4 == b.ipv4 && a.ipv6 == b.ipv6 && a.port == b.port && eq_lowercase(a.service_name, b.service_name)
}

/// Microseconds from `begin` to `end`: at least 1, or 0 (no duration) when `end` is before `begin`.
fn between(begin: u64, end: u64) -> u64 {
    end.checked_sub(begin).map_or(0, |d| d.max(1))
}

/// A core annotation the converter found: when, and on which host.
#[derive(Debug, Clone, Copy)]
struct Core<'a> {
    timestamp: u64,
    host: Option<Endpoint<'a>>,
}

/// A group of a v1 span's items sharing a service name; one v2 span each. Group 0 also takes host-less items.
#[derive(Debug, Clone, Copy)]
struct Group<'a> {
    index: usize,
    /// The first host of the group's service: its `localEndpoint` (`None` only when the span names no host).
    local: Option<Endpoint<'a>>,
}

/// Which v2 span of a v1 span is being written.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    /// The v2 span of one service.
    Group(Group<'a>),
    /// The server side split off a span with `cs` and `sr` on the same service.
    ServerFork,
    /// The consumer side split off a span with `ms` and `mr` on the same service.
    ConsumerFork,
}

/// Everything of one v2 span but its annotations and tags, which are read from the span when written.
#[derive(Debug, Clone, Copy, Default)]
struct Side<'a> {
    group: Option<Group<'a>>,
    kind: Option<Kind>,
    /// µs since the epoch; 0 is unset.
    timestamp: u64,
    /// µs; 0 is unset.
    duration: u64,
    shared: bool,
    local: Option<Endpoint<'a>>,
    remote: Option<Endpoint<'a>>,
    /// Write the remote endpoint without its service name (Finagle's `ca` on the server's own service).
    remote_unnamed: bool,
    /// Core annotations put back as plain annotations (an end without its start; `ws`/`wr` outside messaging).
    restored: [Option<(u64, &'static str)>; 3],
}

impl Side<'_> {
    fn restore(&mut self, timestamp: u64, value: &'static str) {
        if let Some(slot) = self.restored.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some((timestamp, value));
        }
    }
}

/// One v1 span read once for its core annotations and addresses; the v2 spans are derived from it.
struct Conversion<'a, D: SpanData + ?Sized> {
    span: &'a D,
    cs: Option<Core<'a>>,
    cr: Option<Core<'a>>,
    sr: Option<Core<'a>>,
    ss: Option<Core<'a>>,
    ms: Option<Core<'a>>,
    mr: Option<Core<'a>>,
    ws: Option<Core<'a>>,
    wr: Option<Core<'a>>,
    ca: Option<Endpoint<'a>>,
    sa: Option<Endpoint<'a>>,
    ma: Option<Endpoint<'a>>,
    /// The span's own timestamp and duration; 0 is unset.
    timestamp: u64,
    duration: u64,
    /// The first host in conversion order: the local endpoint of the first v2 span.
    first_host: Option<Endpoint<'a>>,
}

impl<'a, D: SpanData + ?Sized> Conversion<'a, D> {
    fn new(span: &'a D) -> Self {
        let mut c = Conversion {
            span,
            cs: None,
            cr: None,
            sr: None,
            ss: None,
            ms: None,
            mr: None,
            ws: None,
            wr: None,
            ca: None,
            sa: None,
            ma: None,
            timestamp: span.timestamp().map_or(0, micros),
            duration: span.duration().map_or(0, micros),
            first_host: None,
        };
        // Zipkin sorts annotations by (timestamp, value) before converting, so of a core annotation recorded
        // twice the latest one wins (the later recorded one on a tie).
        for a in c.annotations() {
            let Some(name) = CoreName::of(a.value) else { continue };
            let slot = match name {
                CoreName::ClientSend => &mut c.cs,
                CoreName::ClientRecv => &mut c.cr,
                CoreName::ServerRecv => &mut c.sr,
                CoreName::ServerSend => &mut c.ss,
                CoreName::MessageSend => &mut c.ms,
                CoreName::MessageRecv => &mut c.mr,
                CoreName::WireSend => &mut c.ws,
                CoreName::WireRecv => &mut c.wr,
            };
            if slot.is_none_or(|core| a.timestamp >= core.timestamp) {
                *slot = Some(Core {
                    timestamp: a.timestamp,
                    host: normalize(a.host),
                });
            }
        }
        for b in span.binary_annotations() {
            let (Value::Bool(true), Some(host)) = (b.value, normalize(b.host)) else {
                continue;
            };
            match b.key {
                "ca" => c.ca = Some(host),
                "sa" => c.sa = Some(host),
                "ma" => c.ma = Some(host),
                _ => {}
            }
        }
        // A span bridged from an event model may lack its start: the span's own timing says where it was.
        if c.cs.is_none() {
            c.cs = c.start_from_end(c.cr);
        }
        if c.sr.is_none() {
            c.sr = c.start_from_end(c.ss);
        }
        c.first_host = c.first_host_where(|_| true);
        c
    }

    /// Zipkin's `endTimestampReflectsSpanDuration`: a start at the span's timestamp, on the end's host.
    fn start_from_end(&self, end: Option<Core<'a>>) -> Option<Core<'a>> {
        let end = end?;
        let reflects = self.timestamp != 0
            && self.duration != 0
            && self.timestamp.checked_add(self.duration) == Some(end.timestamp);
        reflects.then_some(Core {
            timestamp: self.timestamp,
            host: end.host,
        })
    }

    /// The timestamp annotations Zipkin keeps (a time of 0 is dropped by its decoders).
    /// Times past `i64::MAX` are clamped first, so sorting and de-duplication see what is written.
    fn annotations(&self) -> impl Iterator<Item = Annotation<'a>> + 'a {
        self.span.annotations().filter(|a| a.timestamp != 0).map(|mut a| {
            a.timestamp = micros(a.timestamp);
            a
        })
    }

    /// The binary annotations that become tags.
    fn tags(&self) -> impl Iterator<Item = BinaryAnnotation<'a>> + 'a {
        self.span.binary_annotations().filter(|b| !is_address_key(b.key))
    }

    /// True when the span has none of `cs`, `cr`, `sr`, `ss`.
    fn no_rpc_annotations(&self) -> bool {
        self.cs.is_none() && self.cr.is_none() && self.sr.is_none() && self.ss.is_none()
    }

    /// In a span with only address annotations, `ca` (with `sa`) is the local endpoint.
    fn ca_as_local(&self) -> Option<Endpoint<'a>> {
        match (self.ca, self.sa) {
            (Some(ca), Some(_)) if self.no_rpc_annotations() => Some(ca),
            _ => None,
        }
    }

    /// Every host of the span, in recording order: annotations, tags, then a [`Self::ca_as_local`].
    fn hosts(&self) -> impl Iterator<Item = Endpoint<'a>> + 'a {
        self.annotations()
            .filter_map(|a| normalize(a.host))
            .chain(self.tags().filter_map(|b| normalize(b.host)))
            .chain(self.ca_as_local())
    }

    /// The first host that `accept`s in the order Zipkin's converter meets hosts: annotations sorted by
    /// (timestamp, value), then tags sorted by key (recording order on ties), then a [`Self::ca_as_local`].
    fn first_host_where(&self, accept: impl Fn(&Endpoint<'a>) -> bool) -> Option<Endpoint<'a>> {
        let mut first: Option<(u64, &str, Endpoint<'a>)> = None;
        for a in self.annotations() {
            let Some(host) = normalize(a.host).filter(&accept) else {
                continue;
            };
            if first.is_none_or(|(t, v, _)| (a.timestamp, a.value) < (t, v)) {
                first = Some((a.timestamp, a.value, host));
            }
        }
        if let Some((_, _, host)) = first {
            return Some(host);
        }
        let mut first: Option<(&str, Endpoint<'a>)> = None;
        for b in self.tags() {
            let Some(host) = normalize(b.host).filter(&accept) else {
                continue;
            };
            if first.is_none_or(|(k, _)| b.key < k) {
                first = Some((b.key, host));
            }
        }
        first
            .map(|(_, host)| host)
            .or_else(|| self.ca_as_local().filter(&accept))
    }

    /// The host an item belongs to: its own, or the first v2 span's when it has none.
    fn home(&self, host: Option<Endpoint<'a>>) -> Option<Endpoint<'a>> {
        host.or(self.first_host)
    }

    /// True when items on hosts `a` and `b` land in the same v2 span.
    fn same_group(&self, a: Option<Endpoint<'a>>, b: Option<Endpoint<'a>>) -> bool {
        match (self.home(a), self.home(b)) {
            (Some(a), Some(b)) => eq_lowercase(a.service_name, b.service_name),
            (None, None) => true,
            _ => false,
        }
    }

    /// True when an item on `host` lands in `group`.
    fn in_group(&self, host: Option<Endpoint<'a>>, group: &Group<'a>) -> bool {
        self.same_group(host, group.local)
    }

    /// Calls `f` with every v2 span of this v1 span, stopping at the first error.
    fn for_each_side<F>(&self, mut f: F) -> Result<(), EncodeError>
    where
        F: FnMut(Side<'a>) -> Result<(), EncodeError>,
    {
        f(self.side(Target::Group(Group {
            index: 0,
            local: self.first_host,
        })))?;
        if let Some(first) = self.first_host {
            // One v2 span per further service, in recording order (Zipkin's order differs; lists are unordered).
            let mut index = 1;
            for (i, host) in self.hosts().enumerate() {
                let service = host.service_name;
                if eq_lowercase(service, first.service_name)
                    || self.hosts().take(i).any(|h| eq_lowercase(h.service_name, service))
                {
                    continue;
                }
                let local = self.first_host_where(|h| eq_lowercase(h.service_name, service));
                f(self.side(Target::Group(Group { index, local })))?;
                index += 1;
            }
        }
        if let (Some(cs), Some(sr)) = (self.cs, self.sr) {
            if self.same_group(cs.host, sr.host) {
                f(self.side(Target::ServerFork))?;
            }
        }
        if let (Some(ms), Some(mr)) = (self.ms, self.mr) {
            if self.same_group(ms.host, mr.host) {
                f(self.side(Target::ConsumerFork))?;
            }
        }
        Ok(())
    }

    /// Works out one v2 span, applying Zipkin's converter rules in its order.
    fn side(&self, target: Target<'a>) -> Side<'a> {
        match target {
            Target::Group(group) => self.group_side(group),
            Target::ServerFork => {
                let mut side = Side {
                    kind: Some(Kind::Server),
                    shared: true,
                    ..Side::default()
                };
                if let Some(sr) = self.sr {
                    side.local = self.home(sr.host);
                    side.timestamp = sr.timestamp;
                    side.duration = self.ss.map_or(0, |ss| between(sr.timestamp, ss.timestamp));
                }
                side
            }
            Target::ConsumerFork => {
                let mut side = Side {
                    kind: Some(Kind::Consumer),
                    shared: true,
                    ..Side::default()
                };
                if let Some(mr) = self.mr {
                    side.local = self.home(mr.host);
                    match self.wr {
                        Some(wr) => {
                            side.timestamp = wr.timestamp;
                            side.duration = between(wr.timestamp, mr.timestamp);
                        }
                        None => side.timestamp = mr.timestamp,
                    }
                }
                side
            }
        }
    }

    /// Zipkin's `maybeTimestampDuration`: the span's own timing when complete, else `begin`..`end`.
    fn time_by(&self, side: &mut Side<'a>, begin: Core<'a>, end: Option<Core<'a>>) {
        let Some(group) = side.group else { return };
        if !self.in_group(begin.host, &group) {
            return;
        }
        if self.timestamp != 0 && self.duration != 0 {
            side.timestamp = self.timestamp;
            side.duration = self.duration;
        } else {
            side.timestamp = begin.timestamp;
            if let Some(end) = end {
                side.duration = between(begin.timestamp, end.timestamp);
            }
        }
    }

    fn group_side(&self, group: Group<'a>) -> Side<'a> {
        let mine = |host: Option<Endpoint<'a>>| self.in_group(host, &group);
        let mut side = Side {
            group: Some(group),
            local: group.local,
            ..Side::default()
        };
        // The last core annotation on this service, in Zipkin's (timestamp, value) order, sets the kind.
        let mut last: Option<(u64, &str)> = None;
        for a in self.annotations() {
            if let Some(kind) = CoreName::of(a.value).and_then(CoreName::kind) {
                if mine(normalize(a.host)) && last.is_none_or(|l| (a.timestamp, a.value) >= l) {
                    side.kind = Some(kind);
                    last = Some((a.timestamp, a.value));
                }
            }
        }

        // RPC timing.
        match (self.cs, self.sr) {
            (Some(cs), Some(sr)) => {
                // The client side owns the span's own timing; the server side is timed by sr..ss.
                self.time_by(&mut side, cs, self.cr);
                if self.same_group(cs.host, sr.host) {
                    if mine(cs.host) {
                        side.kind = Some(Kind::Client);
                    }
                } else if mine(sr.host) {
                    side.shared = true;
                    side.timestamp = sr.timestamp;
                    if let Some(ss) = self.ss {
                        side.duration = between(sr.timestamp, ss.timestamp);
                    }
                }
                if self.cr.is_none() && self.duration == 0 && mine(cs.host) {
                    side.duration = 0; // one-way: no duration
                }
            }
            (Some(cs), None) if self.cr.is_some() => self.time_by(&mut side, cs, self.cr),
            (None, Some(sr)) if self.ss.is_some() => self.time_by(&mut side, sr, self.ss),
            _ => {
                // Incomplete RPC: the start is the timestamp, a lone end stays an annotation.
                match side.kind {
                    Some(Kind::Client) => {
                        if let Some(cs) = self.cs {
                            side.timestamp = cs.timestamp;
                        }
                        if let Some(cr) = self.cr {
                            side.restore(cr.timestamp, "cr");
                        }
                    }
                    Some(Kind::Server) => {
                        if let Some(sr) = self.sr {
                            side.timestamp = sr.timestamp;
                        }
                        if let Some(ss) = self.ss {
                            side.restore(ss.timestamp, "ss");
                        }
                    }
                    _ => {}
                }
                if self.timestamp != 0 && group.index == 0 {
                    side.timestamp = self.timestamp;
                    side.duration = self.duration;
                }
            }
        }

        // v1 had no shared flag: a server side without its own timestamp joined the client's span.
        if let (None, Some(sr)) = (self.cs, self.sr) {
            let joined = self.timestamp == 0 || (self.ss.is_some() && self.duration == 0);
            if joined && mine(sr.host) {
                side.shared = true;
            }
        }
        // A span the recorder marked shared (a joined server span) says so itself: its server side, or the first
        // v2 span when it has no server annotations.
        if self.span.shared() {
            let server = self.sr.or(self.ss);
            if server.map_or(group.index == 0, |core| mine(core.host)) {
                side.shared = true;
            }
        }

        // Messaging timing.
        match (self.ms, self.mr) {
            (Some(ms), Some(mr)) => {
                let same = self.same_group(ms.host, mr.host);
                if !same && mine(mr.host) {
                    side.shared = true;
                    match self.wr {
                        Some(wr) => {
                            side.timestamp = wr.timestamp;
                            side.duration = between(wr.timestamp, mr.timestamp);
                        }
                        None => side.timestamp = mr.timestamp,
                    }
                }
                if mine(ms.host) {
                    if same {
                        side.kind = Some(Kind::Producer);
                    }
                    side.timestamp = ms.timestamp;
                    side.duration = self.ws.map_or(0, |ws| between(ms.timestamp, ws.timestamp));
                }
            }
            (Some(ms), None) => self.time_by(&mut side, ms, self.ws),
            (None, Some(mr)) => match self.wr {
                Some(wr) => self.time_by(&mut side, wr, Some(mr)),
                None => self.time_by(&mut side, mr, None),
            },
            (None, None) => {
                for (core, value) in [(self.ws, "ws"), (self.wr, "wr")] {
                    if let Some(core) = core.filter(|c| mine(c.host)) {
                        side.restore(core.timestamp, value);
                    }
                }
            }
        }

        // Remote endpoints.
        if self.no_rpc_annotations() && (self.ca.is_some() || self.sa.is_some()) {
            match (self.ca, self.sa) {
                (Some(ca), Some(sa)) if mine(Some(ca)) => side.remote = Some(sa),
                (None, Some(sa)) if group.index == 0 => side.remote = Some(sa),
                (Some(ca), None) if group.index == 0 => {
                    side.kind = Some(Kind::Server);
                    side.remote = Some(ca);
                }
                _ => {}
            }
        } else {
            if let (Some(ca), Some(server)) = (self.ca, self.sr.or(self.ss)) {
                let server_host = self.home(server.host);
                if !server_host.is_some_and(|h| same_endpoint(&ca, &h)) && mine(server.host) {
                    side.remote = Some(ca);
                    side.remote_unnamed = server_host.is_some_and(|h| eq_lowercase(ca.service_name, h.service_name));
                }
            }
            if let Some(sa) = self.sa {
                if let Some(client) = self.cs.or(self.cr) {
                    if mine(client.host) {
                        side.remote = Some(sa);
                        side.remote_unnamed = false;
                    }
                }
            }
            if let Some(ma) = self.ma {
                if self.ms.is_some_and(|ms| mine(ms.host)) || self.mr.is_some_and(|mr| mine(mr.host)) {
                    side.remote = Some(ma);
                    side.remote_unnamed = false;
                }
            }
        }

        // `shared` belongs to the server side only.
        if side.kind == Some(Kind::Client) {
            side.shared = false;
        }
        side
    }

    /// The annotations of `group`'s v2 span: kept ones on its service plus restored core ones.
    fn side_annotations<'s>(&'s self, side: &'s Side<'a>) -> impl Iterator<Item = (u64, &'a str)> + 's {
        let group = side.group;
        let kept = self.annotations().filter(move |a| {
            CoreName::of(a.value).is_none() && group.is_some_and(|g| self.in_group(normalize(a.host), &g))
        });
        kept.map(|a| (a.timestamp, a.value))
            .chain(side.restored.iter().flatten().copied())
    }

    /// The tags of `group`'s v2 span (none for a split-off side).
    fn side_tags<'s>(&'s self, side: &'s Side<'a>) -> impl Iterator<Item = BinaryAnnotation<'a>> + 's {
        let group = side.group;
        self.tags().filter(move |b| {
            let marker = b.key == "lc" && b.value == Value::String("");
            !marker && group.is_some_and(|g| self.in_group(normalize(b.host), &g))
        })
    }

    fn write_side<S: Sink + ?Sized>(&self, sink: &mut S, side: &Side<'a>) -> Result<(), EncodeError> {
        let span = self.span;
        sink.try_extend(b"{\"traceId\":\"")?;
        sink.try_extend(span.trace_id().to_hex().as_bytes())?;
        if let Some(parent) = span.parent_id().filter(|&p| p != span.id()) {
            sink.try_extend(b"\",\"parentId\":\"")?;
            sink.try_extend(parent.to_hex().as_bytes())?;
        }
        sink.try_extend(b"\",\"id\":\"")?;
        sink.try_extend(span.id().to_hex().as_bytes())?;
        sink.try_push(b'"')?;
        if let Some(kind) = side.kind {
            sink.try_extend(b",\"kind\":\"")?;
            sink.try_extend(kind.as_str().as_bytes())?;
            sink.try_push(b'"')?;
        }
        if !span.name().is_empty() {
            sink.try_extend(b",\"name\":")?;
            write_str(sink, span.name())?;
        }
        if side.timestamp != 0 {
            sink.try_extend(b",\"timestamp\":")?;
            write_u64(sink, micros(side.timestamp))?;
        }
        if side.duration != 0 {
            sink.try_extend(b",\"duration\":")?;
            write_u64(sink, micros(side.duration))?;
        }
        if let Some(local) = &side.local {
            sink.try_extend(b",\"localEndpoint\":")?;
            write_endpoint(sink, local, true)?;
        }
        if let Some(remote) = &side.remote {
            sink.try_extend(b",\"remoteEndpoint\":")?;
            write_endpoint(sink, remote, !side.remote_unnamed)?;
        }
        self.write_annotations(sink, side)?;
        self.write_tags(sink, side)?;
        if span.debug() {
            sink.try_extend(b",\"debug\":true")?;
        }
        if side.shared {
            sink.try_extend(b",\"shared\":true")?;
        }
        sink.try_push(b'}')
    }

    /// Writes `"annotations"` sorted by (timestamp, value) without duplicates, as Zipkin's `Span` keeps them.
    fn write_annotations<S: Sink + ?Sized>(&self, sink: &mut S, side: &Side<'a>) -> Result<(), EncodeError> {
        // Up to `SORTED` annotations are read once and sorted on the stack; more are picked by repeated scans.
        let mut sorted = heapless::Vec::<(u64, &str), SORTED>::new();
        if self.side_annotations(side).all(|a| sorted.push(a).is_ok()) {
            sorted.sort_unstable();
            let mut last: Option<(u64, &str)> = None;
            for next in sorted {
                if last == Some(next) {
                    continue;
                }
                sink.try_extend(if last.is_none() { b",\"annotations\":[" } else { b"," })?;
                write_annotation(sink, next)?;
                last = Some(next);
            }
            return if last.is_some() { sink.try_push(b']') } else { Ok(()) };
        }
        let mut last: Option<(u64, &str)> = None;
        while let Some(next) = self
            .side_annotations(side)
            .filter(|a| last.is_none_or(|l| *a > l))
            .min()
        {
            sink.try_extend(if last.is_none() { b",\"annotations\":[" } else { b"," })?;
            write_annotation(sink, next)?;
            last = Some(next);
        }
        if last.is_some() {
            sink.try_push(b']')?;
        }
        Ok(())
    }

    /// Writes `"tags"` sorted by key; of a key recorded more than once, the last value.
    fn write_tags<S: Sink + ?Sized>(&self, sink: &mut S, side: &Side<'a>) -> Result<(), EncodeError> {
        // Up to `SORTED` tags are read once and sorted on the stack (stably: of equal keys the last recorded
        // ends last); more are picked by repeated scans.
        let mut sorted = heapless::Vec::<(&str, Value<'a>), SORTED>::new();
        if self.side_tags(side).all(|b| sorted.push((b.key, b.value)).is_ok()) {
            insertion_sort_by_key(&mut sorted);
            let mut written = false;
            let mut tags = sorted.iter().peekable();
            while let Some((key, value)) = tags.next() {
                if tags.peek().is_some_and(|(next, _)| next == key) {
                    continue;
                }
                sink.try_extend(if written { b"," } else { b",\"tags\":{" })?;
                write_str(sink, key)?;
                sink.try_push(b':')?;
                write_tag_value(sink, value)?;
                written = true;
            }
            return if written { sink.try_push(b'}') } else { Ok(()) };
        }
        let mut last: Option<&str> = None;
        while let Some(key) = self
            .side_tags(side)
            .map(|b| b.key)
            .filter(|k| last.is_none_or(|l| *k > l))
            .min()
        {
            let Some(tag) = self.side_tags(side).filter(|b| b.key == key).last() else {
                break;
            };
            sink.try_extend(if last.is_none() { b",\"tags\":{" } else { b"," })?;
            write_str(sink, key)?;
            sink.try_push(b':')?;
            write_tag_value(sink, &tag.value)?;
            last = Some(key);
        }
        if last.is_some() {
            sink.try_push(b'}')?;
        }
        Ok(())
    }
}

/// How many annotations or tags of one v2 span are sorted on the stack (a span with more still encodes, slower).
const SORTED: usize = 8;

/// Sorts tags by key, keeping recording order among equal keys (a stable sort; `sort_by` needs `alloc`).
fn insertion_sort_by_key(tags: &mut [(&str, Value<'_>)]) {
    for i in 1..tags.len() {
        let mut j = i;
        while j > 0 && tags.get(j - 1).map(|t| t.0) > tags.get(j).map(|t| t.0) {
            tags.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Writes one v2 annotation object.
fn write_annotation<S: Sink + ?Sized>(sink: &mut S, (timestamp, value): (u64, &str)) -> Result<(), EncodeError> {
    sink.try_extend(b"{\"timestamp\":")?;
    write_u64(sink, micros(timestamp))?;
    sink.try_extend(b",\"value\":")?;
    write_str(sink, value)?;
    sink.try_push(b'}')
}

/// A µs value as Zipkin's signed `long` can hold it (values past `i64::MAX`, in the year 294247, are clamped,
/// as the Thrift encoder does).
fn micros(v: u64) -> u64 {
    v.min(i64::MAX as u64)
}

/// Writes a v2 `Endpoint`: `serviceName` (lower-cased, when named and `named`), `ipv4`, `ipv6`, `port`.
fn write_endpoint<S: Sink + ?Sized>(sink: &mut S, e: &Endpoint<'_>, named: bool) -> Result<(), EncodeError> {
    sink.try_push(b'{')?;
    let mut sep: &[u8] = b"";
    if named && !e.service_name.is_empty() {
        sink.try_extend(b"\"serviceName\":")?;
        write_str_lowercase(sink, e.service_name)?;
        sep = b",";
    }
    if let Some(ipv4) = e.ipv4 {
        sink.try_extend(sep)?;
        sink.try_extend(b"\"ipv4\":")?;
        write_ipv4(sink, ipv4)?;
        sep = b",";
    }
    if let Some(ipv6) = e.ipv6 {
        sink.try_extend(sep)?;
        sink.try_extend(b"\"ipv6\":")?;
        write_ipv6(sink, ipv6)?;
        sep = b",";
    }
    if let Some(port) = e.port {
        sink.try_extend(sep)?;
        sink.try_extend(b"\"port\":")?;
        write_u64(sink, u64::from(port))?;
    }
    sink.try_push(b'}')
}

/// Writes a binary annotation's value as a v2 tag, which is always a JSON string.
fn write_tag_value<S: Sink + ?Sized>(sink: &mut S, value: &Value<'_>) -> Result<(), EncodeError> {
    let mut digits = itoa::Buffer::new();
    let text: &str = match *value {
        Value::String(s) => return write_str(sink, s),
        Value::Bytes(bytes) => return write_base64(sink, bytes),
        Value::Double(d) => {
            sink.try_push(b'"')?;
            write_f64(sink, d, |v| {
                if v.is_nan() {
                    "NaN"
                } else if v > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                }
            })?;
            return sink.try_push(b'"');
        }
        Value::Bool(true) => "true",
        Value::Bool(false) => "false",
        Value::I16(v) => digits.format(v),
        Value::I32(v) => digits.format(v),
        Value::I64(v) => digits.format(v),
    };
    sink.try_push(b'"')?;
    sink.try_extend(text.as_bytes())?;
    sink.try_push(b'"')
}

/// Writes bytes as a quoted standard padded base64 string.
fn write_base64<S: Sink + ?Sized>(sink: &mut S, bytes: &[u8]) -> Result<(), EncodeError> {
    sink.try_push(b'"')?;
    let mut text = Base64Sink::new(&mut *sink);
    text.try_extend(bytes)?;
    text.finish()?;
    sink.try_push(b'"')
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::context::{Sampling, SpanContext};
    use crate::id::{SpanId, TraceId};
    use crate::span::Span;

    fn tags_json(count: usize) -> std::string::String {
        let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
        let mut span: Span<16, 512> = Span::new(ctx, "");
        // Keys recorded backwards, each twice (the second value must win), and times out of order.
        for i in (0..count).rev() {
            span.tag_str(&std::format!("k{i:02}"), "old", None).unwrap();
        }
        for i in (0..count).rev() {
            span.tag_str(&std::format!("k{i:02}"), &std::format!("v{i}"), None)
                .unwrap();
        }
        let mut out = std::vec![0u8; 2048];
        let mut sink = crate::sink::Slice::new(&mut out);
        encode_v2_span(&span, &mut sink).unwrap();
        std::string::String::from_utf8(sink.written().to_vec()).unwrap()
    }

    #[test]
    fn tags_sort_and_dedupe_the_same_below_and_above_the_stack_limit() {
        for count in [1, 3, SORTED / 2, SORTED / 2 + 1, SORTED] {
            let json = tags_json(count);
            let expected: std::vec::Vec<_> = (0..count).map(|i| std::format!("\"k{i:02}\":\"v{i}\"")).collect();
            assert!(
                json.contains(&std::format!("\"tags\":{{{}}}", expected.join(","))),
                "{count}: {json}"
            );
        }
    }

    #[test]
    fn annotations_sort_and_dedupe_past_the_stack_limit() {
        let ctx = SpanContext::root_of(TraceId::from_u64(1).unwrap(), SpanId::new(2).unwrap(), Sampling::Accept);
        for count in [3u64, SORTED as u64 + 3] {
            let mut span: Span<32, 512> = Span::new(ctx, "");
            for t in (1..=count).rev() {
                span.annotate("e", t, None).unwrap();
                span.annotate("e", t, None).unwrap();
            }
            let mut out = heapless::Vec::<u8, 2048>::new();
            encode_v2_span(&span, &mut out).unwrap();
            let json = core::str::from_utf8(&out).unwrap();
            let expected: std::vec::Vec<_> = (1..=count)
                .map(|t| std::format!("{{\"timestamp\":{t},\"value\":\"e\"}}"))
                .collect();
            assert!(
                json.contains(&std::format!("\"annotations\":[{}]", expected.join(","))),
                "{json}"
            );
        }
    }
}
