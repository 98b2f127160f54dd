//! The match/set_field field table: every field Open vSwitch can match on or write, with its
//! width, maskability, prerequisites, text format and OXM/NXM header assignments.
//!
//! The table mirrors OVS's `include/openvswitch/meta-flow.h` (the facts, not the code), so that
//! header choice per version, names and formats agree with `ovs-ofctl`:
//! - [`Field::header_for`] picks the header OVS emits for a version (`mf_oxm_header`): the
//!   assignment with the highest version not above the target (e.g. `tcp_flags` is
//!   `NXM_NX_TCP_FLAGS` in NXM, `ONFOXM_ET_TCP_FLAGS` in OF1.3, `OXM_OF_TCP_FLAGS` in OF1.5).
//! - [`Field::nxm_name`] is the name `load:`/`move:` print (`NXM_OF_ETH_SRC`, `OXM_OF_METADATA`).
//!
//! Variable-length fields (`tun_metadata0..63`) are not in the table; a match or action carrying
//! them is kept as raw bytes.

use super::Version;

/// How a field's value is written in flow text (`mf_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Decimal integer.
    Decimal,
    /// Hexadecimal integer with `0x` (zero prints as `0`).
    Hexadecimal,
    /// Connection-tracking state flags (`+new+trk` / `new|trk`).
    CtState,
    /// MAC address.
    Ethernet,
    /// IPv4 address, CIDR mask when possible.
    Ipv4,
    /// IPv6 address, CIDR mask when possible.
    Ipv6,
    /// OpenFlow 1.0 (16-bit) port number or reserved name.
    OfpPort,
    /// OpenFlow 1.1+ (32-bit) port number or reserved name.
    OfpPortOxm,
    /// IP fragment type (`no`, `first`, `later`, `yes`, `not_later`).
    Frag,
    /// Tunnel flags (`+oam`).
    TunnelFlags,
    /// TCP flags (`+syn-ack`).
    TcpFlags,
    /// Packet type (`(0,0x800)`).
    PacketType,
}

/// What a packet must be for a field to be matchable (`enum mf_prereqs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prereq {
    /// Always.
    None,
    /// Ethernet packet.
    Ethernet,
    /// ARP or RARP.
    Arp,
    /// VLAN tagged.
    VlanVid,
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
    /// IPv4 or IPv6.
    IpAny,
    /// NSH.
    Nsh,
    /// Tracked by conntrack.
    Ct,
    /// MPLS.
    Mpls,
    /// TCP over IPv4 or IPv6.
    Tcp,
    /// UDP over IPv4 or IPv6.
    Udp,
    /// SCTP over IPv4 or IPv6.
    Sctp,
    /// ICMPv4.
    Icmpv4,
    /// ICMPv6.
    Icmpv6,
    /// ICMPv6 neighbour discovery.
    Nd,
    /// ICMPv6 neighbour solicitation.
    NdSolicit,
    /// ICMPv6 neighbour advertisement.
    NdAdvert,
}

/// A 32-bit OXM/NXM TLV header: `class(16) | field(7) | hasmask(1) | length(8)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OxmHeader(pub u32);

impl OxmHeader {
    /// Builds a header from its parts.
    pub const fn new(class: u16, field: u8, has_mask: bool, length: u8) -> Self {
        OxmHeader(
            (class as u32) << 16
                | ((field as u32) & 0x7f) << 9
                | (has_mask as u32) << 8
                | length as u32,
        )
    }
    /// The OXM class (0x0000 NXM_0, 0x0001 NXM_1, 0x8000 basic, 0x8001 packet regs, 0xffff
    /// experimenter).
    pub const fn class(self) -> u16 {
        (self.0 >> 16) as u16
    }
    /// The field number within the class.
    pub const fn field(self) -> u8 {
        ((self.0 >> 9) & 0x7f) as u8
    }
    /// Whether a mask follows the value.
    pub const fn has_mask(self) -> bool {
        self.0 & 0x100 != 0
    }
    /// Payload length in bytes (value, plus mask if any, plus the experimenter id for class
    /// 0xffff).
    pub const fn length(self) -> u8 {
        self.0 as u8
    }
    /// True for experimenter OXMs, whose payload starts with a 4-byte experimenter id.
    pub const fn is_experimenter(self) -> bool {
        self.class() == 0xffff
    }
}

/// One OXM/NXM header assignment of a field, as meta-flow.h lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderAssign {
    /// OXM class.
    pub class: u16,
    /// Field number.
    pub field: u8,
    /// Unmasked `oxm_length` (value bytes, plus 4 for an experimenter id).
    pub length: u8,
    /// Experimenter id for class 0xffff, else 0.
    pub experimenter: u32,
    /// The header's name (`NXM_NX_REG0`, `OXM_OF_ETH_SRC`).
    pub name: &'static str,
    /// Lowest OpenFlow wire version that uses this header (0 for NXM, usable anywhere).
    pub version: u8,
}

impl HeaderAssign {
    const fn new(
        class: u16,
        field: u8,
        length: u8,
        experimenter: u32,
        name: &'static str,
        version: u8,
    ) -> Self {
        HeaderAssign {
            class,
            field,
            length,
            experimenter,
            name,
            version,
        }
    }

    /// The unmasked or masked wire header.
    pub const fn header(&self, masked: bool) -> OxmHeader {
        let value_len = if self.class == 0xffff {
            self.length - 4
        } else {
            self.length
        };
        let extra = if self.class == 0xffff { 4 } else { 0 };
        let len = if masked {
            value_len * 2 + extra
        } else {
            value_len + extra
        };
        OxmHeader::new(self.class, self.field, masked, len)
    }
}

/// Static facts about one [`Field`].
#[derive(Debug)]
pub struct FieldInfo {
    /// The field.
    pub field: Field,
    /// Canonical name (`eth_src`, `reg0`, `ct_state`).
    pub name: &'static str,
    /// Alternative name accepted in text (`dl_src`, `nw_src`, `tp_dst`).
    pub extra_name: Option<&'static str>,
    /// Bytes on the wire.
    pub n_bytes: u8,
    /// Meaningful bits (e.g. 12 for `vlan_vid`, 20 for `ipv6_label`).
    pub n_bits: u16,
    /// Whether a match may use an arbitrary bitwise mask.
    pub maskable: bool,
    /// Whether actions may write the field.
    pub writable: bool,
    /// Text format.
    pub format: Format,
    /// Prerequisites.
    pub prereq: Prereq,
    /// Header assignments, sorted by version (OVS's `nx-match.inc` order).
    pub headers: &'static [HeaderAssign],
}

macro_rules! field_table {
    ($( $v:ident => ($name:literal, $extra:expr, $bytes:literal, $bits:literal, $mask:literal,
        $wr:literal, $fmt:expr, $pre:expr, [$($h:expr),*]) ),* $(,)?) => {
        /// A field that a match or `set_field` can name (OVS `enum mf_field_id`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)]
        pub enum Field { $($v),* }

        /// How many [`Field`]s there are (discriminants are `0..FIELD_COUNT`).
        pub(crate) const FIELD_COUNT: usize = [$(stringify!($v)),*].len();

        /// The fields with a prerequisite (`prereq != Prereq::None`), one bit per discriminant.
        pub(crate) const WITH_PREREQ: u128 =
            0 $(| if matches!($pre, Prereq::None) { 0 } else { 1u128 << (Field::$v as u32) })*;

        type H = HeaderAssign;
        static FIELDS: &[FieldInfo] = &[
            $(FieldInfo {
                field: Field::$v,
                name: $name,
                extra_name: $extra,
                n_bytes: $bytes,
                n_bits: $bits,
                maskable: $mask,
                writable: $wr,
                format: $fmt,
                prereq: $pre,
                headers: &[$($h),*],
            }),*
        ];
    };
}

include!("field_table.rs");

impl Field {
    /// Every field, in meta-flow.h order.
    pub fn all() -> impl Iterator<Item = Field> {
        FIELDS.iter().map(|i| i.field)
    }

    /// The static facts about this field.
    pub fn info(self) -> &'static FieldInfo {
        // The table is generated in enum order, so the discriminant is the index.
        &FIELDS[self as usize]
    }

    /// Canonical text name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Bytes on the wire.
    pub fn n_bytes(self) -> usize {
        self.info().n_bytes as usize
    }

    /// Looks a field up by its canonical or alternative text name (`eth_src`, `dl_src`).
    pub fn from_name(name: &str) -> Option<Field> {
        FIELDS
            .iter()
            .find(|i| i.name == name || i.extra_name == Some(name))
            .map(|i| i.field)
    }

    /// Looks a field up by one of its header names (`NXM_NX_REG0`, `OXM_OF_ETH_SRC`).
    pub fn from_header_name(name: &str) -> Option<Field> {
        FIELDS
            .iter()
            .find(|i| i.headers.iter().any(|h| h.name == name))
            .map(|i| i.field)
    }

    /// Looks a field up by a wire header (mask bit and length ignored) and, for class 0xffff,
    /// the experimenter id.
    pub fn from_header(header: OxmHeader, experimenter: u32) -> Option<Field> {
        let (class, field) = (header.class(), header.field());
        let index = HEADER_INDEX.get_or_init(HeaderIndex::build);
        let table = match class {
            0x0000 => &index.nxm0,
            0x0001 => &index.nxm1,
            0x8000 => &index.basic,
            0x8001 => &index.regs,
            _ => {
                return index
                    .other
                    .iter()
                    .find(|(c, f, e, _)| {
                        *c == class && *f == field && (class != 0xffff || *e == experimenter)
                    })
                    .map(|x| x.3)
            }
        };
        table.get(field as usize).copied().flatten()
    }

    /// The header assignment OVS uses for `version` (`nxm_field_by_mf_id`): the last
    /// assignment whose version is not above the target, else the first one.
    pub fn header_for(self, version: Version) -> Option<&'static HeaderAssign> {
        pick_header(self.info().headers, version.wire())
    }

    /// The header assignment OVS uses for NXM (OpenFlow 1.0 / extension actions).
    pub fn nxm_header(self) -> Option<&'static HeaderAssign> {
        pick_header(self.info().headers, 0)
    }

    /// The name `load:`, `move:` and `output:` print for a subfield of this field
    /// (`NXM_NX_REG0`, `NXM_OF_ETH_SRC`, `OXM_OF_METADATA`); falls back to the field name.
    pub fn nxm_name(self) -> &'static str {
        self.nxm_header()
            .map(|h| h.name)
            .unwrap_or(self.info().name)
    }

    /// All-ones mask of this field's meaningful bits, as a [`super::Value`].
    pub fn full_mask(self) -> super::Value {
        super::Value::ones(self.n_bytes(), self.info().n_bits as u32)
    }
}

/// Direct lookup of fields by wire header (decoding looks up every TLV): one 128-entry table per
/// common class, a short list for the rest (experimenter and vendor classes).
struct HeaderIndex {
    nxm0: [Option<Field>; 128],
    nxm1: [Option<Field>; 128],
    basic: [Option<Field>; 128],
    regs: [Option<Field>; 128],
    other: Vec<(u16, u8, u32, Field)>,
}

static HEADER_INDEX: std::sync::OnceLock<HeaderIndex> = std::sync::OnceLock::new();

impl HeaderIndex {
    fn build() -> HeaderIndex {
        let mut index = HeaderIndex {
            nxm0: [None; 128],
            nxm1: [None; 128],
            basic: [None; 128],
            regs: [None; 128],
            other: Vec::new(),
        };
        for info in FIELDS {
            for h in info.headers {
                let table = match h.class {
                    0x0000 => &mut index.nxm0,
                    0x0001 => &mut index.nxm1,
                    0x8000 => &mut index.basic,
                    0x8001 => &mut index.regs,
                    _ => {
                        index
                            .other
                            .push((h.class, h.field, h.experimenter, info.field));
                        continue;
                    }
                };
                // The first field in table order wins, as the linear search it replaces did.
                if let Some(slot) = table.get_mut(h.field as usize) {
                    slot.get_or_insert(info.field);
                }
            }
        }
        index
    }
}

fn pick_header(headers: &'static [HeaderAssign], version: u8) -> Option<&'static HeaderAssign> {
    let mut chosen = headers.first()?;
    for h in headers.iter().skip(1) {
        if version >= h.version {
            chosen = h;
        }
    }
    Some(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_enum_order() {
        for (i, info) in FIELDS.iter().enumerate() {
            assert_eq!(info.field as usize, i, "{}", info.name);
        }
    }

    #[test]
    fn headers_match_the_reference_table() {
        // Values from shared/reference/openflow-ovsdb.md, checked there against OVS golden bytes.
        let h = |f: Field, v: Version, m: bool| f.header_for(v).unwrap().header(m).0;
        assert_eq!(h(Field::Reg0, Version::Of13, false), 0x0001_0004);
        assert_eq!(h(Field::Reg7, Version::Of13, false), 0x0001_0e04);
        assert_eq!(h(Field::Reg5, Version::Of13, true), 0x0001_0b08);
        assert_eq!(h(Field::TunId, Version::Of13, false), 0x8000_4c08);
        assert_eq!(
            Field::TunId.nxm_header().unwrap().header(true).0,
            0x0001_2110
        );
        assert_eq!(h(Field::Ipv6Label, Version::Of13, false), 0x8000_3804);
        assert_eq!(
            Field::Ipv6Label.nxm_header().unwrap().header(false).0,
            0x0001_3604
        );
        assert_eq!(h(Field::CtState, Version::Of15, true), 0x0001_d308);
        assert_eq!(h(Field::CtLabel, Version::Of13, false), 0x0001_d810);
        assert_eq!(h(Field::EthSrc, Version::Of13, true), 0x8000_090c);
        assert_eq!(h(Field::ArpTpa, Version::Of13, false), 0x8000_2e04);
        assert_eq!(h(Field::CtTpDst, Version::Of13, true), 0x0001_fb04);
        assert_eq!(h(Field::ConjId, Version::Of15, false), 0x0001_4a04);
    }

    #[test]
    fn header_choice_per_version_follows_ovs() {
        let name = |f: Field, v: Version| f.header_for(v).unwrap().name;
        assert_eq!(name(Field::TcpFlags, Version::Of13), "ONFOXM_ET_TCP_FLAGS");
        assert_eq!(name(Field::TcpFlags, Version::Of15), "OXM_OF_TCP_FLAGS");
        assert_eq!(Field::TcpFlags.nxm_name(), "NXM_NX_TCP_FLAGS");
        assert_eq!(Field::EthSrc.nxm_name(), "NXM_OF_ETH_SRC");
        assert_eq!(Field::Metadata.nxm_name(), "OXM_OF_METADATA");
        assert_eq!(Field::TunId.nxm_name(), "NXM_NX_TUN_ID");
        assert_eq!(Field::DpHash.nxm_name(), "NXM_NX_DP_HASH");
        assert_eq!(name(Field::Xreg0, Version::Of13), "OXM_OF_PKT_REG0");
    }

    #[test]
    fn lookups() {
        assert_eq!(Field::from_name("dl_src"), Some(Field::EthSrc));
        assert_eq!(Field::from_name("nw_dst"), Some(Field::Ipv4Dst));
        assert_eq!(Field::from_name("tp_dst"), Some(Field::TcpDst));
        assert_eq!(Field::from_header_name("NXM_NX_REG3"), Some(Field::Reg3));
        assert_eq!(
            Field::from_header(OxmHeader(0x8000_1604), 0),
            Some(Field::Ipv4Src)
        );
        assert_eq!(
            Field::from_header(OxmHeader(0xffff_5406), 0x4f4e_4600),
            Some(Field::TcpFlags)
        );
        assert_eq!(Field::from_header(OxmHeader(0xffff_5406), 0x2320), None);
    }
}
