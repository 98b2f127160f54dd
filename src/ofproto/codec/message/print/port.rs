//! Port descriptions as `ofputil_phy_port_format` prints them (`lib/ofp-port.c`).

use crate::ofproto::codec::message::port_status::Port;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::value;
use std::fmt::Write;

/// `ofputil_port_config_to_name` (OpenFlow 1.1+ bit positions equal OVS's).
fn config_name(bit: u32) -> Option<&'static str> {
    Some(match bit {
        0x01 => "PORT_DOWN",
        0x02 => "NO_STP",
        0x04 => "NO_RECV",
        0x08 => "NO_RECV_STP",
        0x10 => "NO_FLOOD",
        0x20 => "NO_FWD",
        0x40 => "NO_PACKET_IN",
        _ => return None,
    })
}

/// `netdev_feature_to_name` (OpenFlow 1.1+ `OFPPF_*` bit positions).
fn feature_name(bit: u32) -> Option<&'static str> {
    let names = [
        "10MB-HD",
        "10MB-FD",
        "100MB-HD",
        "100MB-FD",
        "1GB-HD",
        "1GB-FD",
        "10GB-FD",
        "40GB-FD",
        "100GB-FD",
        "1TB-FD",
        "OTHER",
        "COPPER",
        "FIBER",
        "AUTO_NEG",
        "AUTO_PAUSE",
        "AUTO_PAUSE_ASYM",
    ];
    names.get(bit.trailing_zeros() as usize).copied()
}

/// `ofputil_port_config_format`.
pub(super) fn put_config(s: &mut String, config: u32) {
    // OpenFlow 1.1+ defines only these bits; OVS drops the others when decoding.
    super::put_bit_names(s, config & 0x65, config_name, ' ');
    s.push('\n');
}

/// `netdev_features_format`.
pub(super) fn put_features(s: &mut String, f: u32) {
    super::put_bit_names(s, f & 0xffff, feature_name, ' ');
    s.push('\n');
}

fn put_state(s: &mut String, state: u32) {
    let state = state & 0x7;
    super::put_bit_names(
        s,
        state,
        |b| match b {
            1 => Some("LINK_DOWN"),
            2 => Some("BLOCKED"),
            4 => Some("LIVE"),
            _ => None,
        },
        ' ',
    );
    s.push('\n');
}

/// `ofputil_phy_port_format`.
pub(super) fn format_port(p: &Port, s: &mut String) {
    let name: String = p
        .name
        .0
        .iter()
        .take(15)
        .take_while(|c| c.is_ascii_graphic() || **c == b' ')
        .map(|&c| c as char)
        .collect();
    s.push(' ');
    PortNo::from_ofp11(p.port_no)
        .unwrap_or(PortNo::ANY)
        .format(None, s);
    let _ = write!(s, "({name}): addr:");
    value::put_mac(&p.hw_addr, s);
    s.push('\n');
    s.push_str("     config:     ");
    put_config(s, p.config);
    s.push_str("     state:      ");
    put_state(s, p.state);
    let e = p.ethernet.unwrap_or_default();
    for (v, label) in [
        (e.curr, "     current:    "),
        (e.advertised, "     advertised: "),
        (e.supported, "     supported:  "),
        (e.peer, "     peer:       "),
    ] {
        if v != 0 {
            s.push_str(label);
            put_features(s, v);
        }
    }
    let _ = writeln!(
        s,
        "     speed: {} Mbps now, {} Mbps max",
        e.curr_speed / 1000,
        e.max_speed / 1000
    );
}

/// Ports sorted as `ofputil_phy_ports_format` sorts them (by port number).
pub(super) fn format_ports(ports: &[Port], s: &mut String) {
    let mut sorted: Vec<&Port> = ports.iter().collect();
    sorted.sort_by_key(|p| PortNo::from_ofp11(p.port_no).map_or(u16::MAX, |p| p.0));
    for p in sorted {
        format_port(p, s);
    }
}
