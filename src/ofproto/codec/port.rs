//! OpenFlow port numbers, in Open vSwitch's internal 16-bit form.
//!
//! OVS keeps ports as OpenFlow 1.0 numbers (`ofp_port_t`): real ports below `0xff00`, reserved
//! ports `0xfff7..=0xffff`. OpenFlow 1.1+ messages carry 32-bit numbers where reserved ports are
//! `0xfffffff7..`; [`PortNo::to_ofp11`] and [`PortNo::from_ofp11`] convert exactly as
//! `ofputil_port_to_ofp11` / `ofputil_port_from_ofp11` do, so text and Nicira actions (which use
//! 16-bit ports) agree with ovs-ofctl.

use std::collections::BTreeMap;

/// An OpenFlow port number (OVS internal 16-bit form).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortNo(pub u16);

impl PortNo {
    /// Highest number + 1 of a physical port.
    pub const MAX: PortNo = PortNo(0xff00);
    /// `actset_output` "not set".
    pub const UNSET: PortNo = PortNo(0xfff7);
    /// Send back out the input port.
    pub const IN_PORT: PortNo = PortNo(0xfff8);
    /// Submit to the flow table (packet-out only).
    pub const TABLE: PortNo = PortNo(0xfff9);
    /// Traditional L2/L3 switching.
    pub const NORMAL: PortNo = PortNo(0xfffa);
    /// Flood without the input port.
    pub const FLOOD: PortNo = PortNo(0xfffb);
    /// All ports but the input port.
    pub const ALL: PortNo = PortNo(0xfffc);
    /// Send to the controller.
    pub const CONTROLLER: PortNo = PortNo(0xfffd);
    /// The bridge's local port.
    pub const LOCAL: PortNo = PortNo(0xfffe);
    /// No port / any port (`OFPP_NONE` / `OFPP_ANY`).
    pub const ANY: PortNo = PortNo(0xffff);

    const OFP11_OFFSET: u32 = 0xffff_0000;
    const OFP11_MAX: u32 = 0xffff_ff00;

    /// The 32-bit OpenFlow 1.1+ wire number.
    pub const fn to_ofp11(self) -> u32 {
        if self.0 < Self::MAX.0 {
            self.0 as u32
        } else {
            self.0 as u32 + Self::OFP11_OFFSET
        }
    }

    /// Converts a 32-bit OpenFlow 1.1+ wire number; `None` for numbers OVS cannot represent
    /// (`0xff00..0xffffff00`).
    pub const fn from_ofp11(port: u32) -> Option<PortNo> {
        if port < Self::MAX.0 as u32 {
            Some(PortNo(port as u16))
        } else if port >= Self::OFP11_MAX {
            Some(PortNo((port - Self::OFP11_OFFSET) as u16))
        } else {
            None
        }
    }

    /// The reserved name (`LOCAL`, `IN_PORT`...), if this is a reserved port.
    pub const fn reserved_name(self) -> Option<&'static str> {
        Some(match self {
            PortNo::IN_PORT => "IN_PORT",
            PortNo::TABLE => "TABLE",
            PortNo::NORMAL => "NORMAL",
            PortNo::FLOOD => "FLOOD",
            PortNo::ALL => "ALL",
            PortNo::CONTROLLER => "CONTROLLER",
            PortNo::LOCAL => "LOCAL",
            PortNo::ANY => "ANY",
            PortNo::UNSET => "UNSET",
            _ => return None,
        })
    }

    /// Parses a port as ovs-ofctl does (`ofputil_port_from_string`): a reserved name (any case,
    /// `NONE` meaning `ANY`), a decimal number (32-bit OF1.1 reserved numbers are translated),
    /// or a name from `names`, quoted or not.
    pub fn parse(s: &str, names: Option<&PortNames>) -> Option<PortNo> {
        if s.starts_with('-') {
            return None;
        }
        if let Ok(n) = s.parse::<u32>() {
            return if n < 0x1_0000 {
                Some(PortNo(n as u16))
            } else if n >= Self::OFP11_MAX {
                Some(PortNo((n - Self::OFP11_OFFSET) as u16))
            } else {
                None
            };
        }
        const RESERVED: [PortNo; 9] = [
            PortNo::IN_PORT,
            PortNo::TABLE,
            PortNo::NORMAL,
            PortNo::FLOOD,
            PortNo::ALL,
            PortNo::CONTROLLER,
            PortNo::LOCAL,
            PortNo::ANY,
            PortNo::UNSET,
        ];
        for p in RESERVED {
            if p.reserved_name().is_some_and(|n| n.eq_ignore_ascii_case(s)) {
                return Some(p);
            }
        }
        if s.eq_ignore_ascii_case("none") {
            return Some(PortNo::ANY);
        }
        let names = names?;
        let unquoted = unquote_name(s)?;
        names.number(&unquoted)
    }

    /// Appends the port as ovs-ofctl prints it: reserved name, else the name from `names`
    /// (quoted when needed), else the decimal number.
    pub fn format(self, names: Option<&PortNames>, out: &mut String) {
        if let Some(n) = self.reserved_name() {
            out.push_str(n);
        } else if let Some(name) = names.and_then(|m| m.name(self)) {
            put_name(name, out);
        } else {
            super::value::put_dec(self.0 as u64, out);
        }
    }
}

impl From<u16> for PortNo {
    fn from(v: u16) -> Self {
        PortNo(v)
    }
}

/// A bidirectional map of port numbers and names, used by `--names` printing and parsing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortNames {
    by_number: BTreeMap<u16, String>,
    by_name: BTreeMap<String, u16>,
}

impl PortNames {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a port. A name given to two ports is ambiguous and is not printed, as in OVS
    /// (`ofputil_port_map_put` marks duplicates).
    pub fn insert(&mut self, port: PortNo, name: &str) {
        self.by_number.insert(port.0, name.to_owned());
        self.by_name.insert(name.to_owned(), port.0);
    }

    /// The name of a port, if known.
    pub fn name(&self, port: PortNo) -> Option<&str> {
        self.by_number.get(&port.0).map(String::as_str)
    }

    /// The number of a port name, if known.
    pub fn number(&self, name: &str) -> Option<PortNo> {
        self.by_name.get(name).copied().map(PortNo)
    }

    /// True when no port is known.
    pub fn is_empty(&self) -> bool {
        self.by_number.is_empty()
    }
}

/// Appends a port or table name as OVS does (`namemap_put_name`): bare when it is a letter
/// followed by letters and digits, otherwise as a JSON string.
pub fn put_name(name: &str, out: &mut String) {
    let mut chars = name.chars();
    let bare = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric());
    if bare {
        out.push_str(name);
    } else {
        out.push_str(&serde_json::Value::String(name.to_owned()).to_string());
    }
}

/// Removes JSON quotes from a name if present (`"antrea-gw0"` → `antrea-gw0`).
pub fn unquote_name(s: &str) -> Option<String> {
    if s.starts_with('"') {
        serde_json::from_str::<String>(s).ok()
    } else {
        Some(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ofp11_conversion() {
        assert_eq!(PortNo::LOCAL.to_ofp11(), 0xffff_fffe);
        assert_eq!(PortNo::from_ofp11(0xffff_fffd), Some(PortNo::CONTROLLER));
        assert_eq!(PortNo::from_ofp11(7), Some(PortNo(7)));
        assert_eq!(PortNo::from_ofp11(0x1_0000), None);
    }

    #[test]
    fn text() {
        let mut names = PortNames::new();
        names.insert(PortNo(3), "antrea-gw0");
        names.insert(PortNo(4), "p1");
        let fmt = |p: PortNo| {
            let mut s = String::new();
            p.format(Some(&names), &mut s);
            s
        };
        assert_eq!(fmt(PortNo(3)), "\"antrea-gw0\"");
        assert_eq!(fmt(PortNo(4)), "p1");
        assert_eq!(fmt(PortNo(5)), "5");
        assert_eq!(fmt(PortNo::LOCAL), "LOCAL");
        assert_eq!(PortNo::parse("local", None), Some(PortNo::LOCAL));
        assert_eq!(PortNo::parse("none", None), Some(PortNo::ANY));
        assert_eq!(PortNo::parse("4294967294", None), Some(PortNo::LOCAL));
        assert_eq!(
            PortNo::parse("\"antrea-gw0\"", Some(&names)),
            Some(PortNo(3))
        );
        assert_eq!(PortNo::parse("p1", Some(&names)), Some(PortNo(4)));
        assert_eq!(PortNo::parse("p9", Some(&names)), None);
    }
}
