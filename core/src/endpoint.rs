//! The network endpoint of a service: where an annotation happened, or who the remote peer was.

use core::net::{Ipv4Addr, Ipv6Addr};

/// A service's network address and name, borrowed from wherever the span keeps it.
///
/// Zipkin v1 writes the IPv4 address and the port as signed integers: `192.168.1.10` travels as a negative
/// `i32` and port 58648 as `-6888`. The encoders take care of that; here they are plain unsigned values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Endpoint<'a> {
    /// The service name, lower-case by convention (Zipkin lower-cases it anyway).
    pub service_name: &'a str,
    /// IPv4 address; `None` is written as `0` in Thrift and left out of JSON.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address; written only when set.
    pub ipv6: Option<Ipv6Addr>,
    /// Port; `None` is written as `0` in Thrift and left out of JSON.
    pub port: Option<u16>,
}

impl<'a> Endpoint<'a> {
    /// An endpoint with only a service name.
    pub const fn service(service_name: &'a str) -> Self {
        Endpoint {
            service_name,
            ipv4: None,
            ipv6: None,
            port: None,
        }
    }

    /// An IPv4 endpoint.
    pub const fn v4(service_name: &'a str, ipv4: Ipv4Addr, port: u16) -> Self {
        Endpoint {
            service_name,
            ipv4: Some(ipv4),
            ipv6: None,
            port: Some(port),
        }
    }

    /// The IPv4 address as Zipkin v1's `i32` (big-endian packing, two's complement).
    pub fn ipv4_i32(&self) -> i32 {
        self.ipv4.map_or(0, |a| i32::from_be_bytes(a.octets()))
    }

    /// The port as Zipkin v1's `i16` (the unsigned value's bits).
    pub fn port_i16(&self) -> i16 {
        self.port.map_or(0, |p| p as i16)
    }

    /// An endpoint from Zipkin v1's signed wire values; zero address and port mean "not set".
    pub fn from_wire(service_name: &'a str, ipv4: i32, port: i16, ipv6: Option<[u8; 16]>) -> Self {
        Endpoint {
            service_name,
            ipv4: (ipv4 != 0).then(|| Ipv4Addr::from(ipv4.to_be_bytes())),
            ipv6: ipv6.map(Ipv6Addr::from),
            port: (port != 0).then_some(port as u16),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Endpoint<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.service_name);
        if let Some(a) = self.ipv4 {
            let [a, b, c, d] = a.octets();
            defmt::write!(f, " {=u8}.{=u8}.{=u8}.{=u8}", a, b, c, d);
        }
        if let Some(a) = self.ipv6 {
            defmt::write!(f, " [{=[u8]:02x}]", a.octets());
        }
        if let Some(p) = self.port {
            defmt::write!(f, ":{=u16}", p);
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn sign_rules() {
        let e = Endpoint::v4("sensor-7", Ipv4Addr::new(192, 168, 1, 10), 58648);
        assert_eq!(e.ipv4_i32(), 0xc0a8010au32 as i32);
        assert!(e.ipv4_i32() < 0);
        assert_eq!(e.port_i16(), -6888);
        assert_eq!(Endpoint::from_wire("sensor-7", e.ipv4_i32(), e.port_i16(), None), e);
    }
}
