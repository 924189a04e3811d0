//! Which addresses a flow's webhook may not reach unless
//! `webhooks.allow_private` is set: the gateway's own host, the ministry's
//! private networks, and every IPv6 form that carries one of those IPv4
//! addresses inside it (mapped, compatible, NAT64, 6to4, Teredo), since a
//! host with IPv6 would otherwise reach 10.0.0.1 as `64:ff9b::a00:1`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Loopback, private, link-local, unspecified, carrier-grade NAT,
/// unique-local, multicast and reserved addresses, in either family.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => private_v6(v6),
    }
}

fn private_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        // 0.0.0.0/8, "this network": Linux connects 0.0.0.0 to the host itself.
        || o[0] == 0
        // 100.64.0.0/10, carrier-grade NAT: the operator's side of the network.
        || (o[0] == 100 && (64..128).contains(&o[1]))
        // 192.0.0.0/24, IETF protocol assignments (DS-Lite and NAT64 plumbing).
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        // 198.18.0.0/15, benchmarking networks inside an organisation.
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        // 240.0.0.0/4, reserved.
        || o[0] >= 240
}

fn private_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    if v6.is_loopback() || v6.is_unspecified() {
        return true;
    }
    if let Some(v4) = embedded_v4(v6) {
        return private_v4(v4);
    }
    // 64:ff9b:1::/48, local-use NAT64 (RFC 8215): a translator the site runs
    // for itself, at a prefix length of its choosing, so the IPv4 inside
    // cannot be read reliably; it leads into the site's own network.
    (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
        // fc00::/7 unique-local, fe80::/10 link-local, fec0::/10 site-local
        // (deprecated, still routed inside some networks), ff00::/8 multicast.
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] & 0xff00) == 0xff00
}

/// The IPv4 address an IPv6 address stands for, where it stands for one.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let o = v6.octets();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = v6.to_ipv4_mapped() {
        // ::ffff:a.b.c.d, IPv4-mapped.
        Some(v4)
    } else if s[..6] == [0; 6] {
        // ::a.b.c.d, IPv4-compatible (deprecated, still routed by some stacks).
        Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // 64:ff9b::/96, the well-known NAT64 prefix (RFC 6052).
        Some(v4(s[6], s[7]))
    } else if s[0] == 0x2002 {
        // 2002:aabb:ccdd::/48, 6to4: the relay delivers to a.b.c.d.
        Some(v4(s[1], s[2]))
    } else if s[0] == 0x2001 && s[1] == 0 {
        // 2001::/32, Teredo: the client's address, bits inverted, at the end.
        Some(v4(!s[6], !s[7]))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(s: &str) -> bool {
        is_private(s.parse().unwrap())
    }

    #[test]
    fn ipv4_ranges() {
        for p in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(private(p), "{p} allowed");
        }
        for p in [
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "192.0.1.1",
            "198.20.0.1",
            "41.222.1.1",
        ] {
            assert!(!private(p), "{p} refused");
        }
    }

    #[test]
    fn ipv6_ranges() {
        for p in [
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(private(p), "{p} allowed");
        }
        assert!(!private("2001:4860:4860::8888"));
    }

    #[test]
    fn ipv4_mapped_follows_its_ipv4() {
        assert!(private("::ffff:127.0.0.1"));
        assert!(private("::ffff:10.0.0.1"));
        assert!(!private("::ffff:8.8.8.8"));
    }

    #[test]
    fn ipv4_compatible_follows_its_ipv4() {
        assert!(private("::127.0.0.1"));
        assert!(private("::10.0.0.1"));
        assert!(private("::169.254.169.254"));
        assert!(private("::192.168.0.1"));
        assert!(!private("::8.8.8.8"));
    }

    #[test]
    fn nat64_follows_its_ipv4_and_local_use_is_refused() {
        assert!(private("64:ff9b::127.0.0.1"));
        assert!(private("64:ff9b::a00:1"));
        assert!(private("64:ff9b::169.254.169.254"));
        assert!(!private("64:ff9b::8.8.8.8"));
        // Local-use NAT64, whatever it embeds.
        assert!(private("64:ff9b:1::808:808"));
        assert!(private("64:ff9b:1:ffff::1"));
    }

    #[test]
    fn six_to_four_follows_its_ipv4() {
        assert!(private("2002:7f00:1::1"));
        assert!(private("2002:c0a8:101::"));
        assert!(!private("2002:808:808::1"));
    }

    #[test]
    fn teredo_follows_its_client_ipv4() {
        // Client 10.0.0.1, inverted: f5ff:fffe.
        assert!(private("2001:0:4136:e378:8000:63bf:f5ff:fffe"));
        // Client 8.8.8.8, inverted: f7f7:f7f7.
        assert!(!private("2001:0:4136:e378:8000:63bf:f7f7:f7f7"));
    }
}
