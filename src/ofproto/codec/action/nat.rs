//! `NXAST_NAT` (`nat(src=10.0.0.1-10.0.0.9:1000-2000,random)`), valid only inside `ct`.
//!
//! Mirrors `decode_NXAST_RAW_NAT` / `encode_NAT` of `lib/ofp-actions.c`: a 16-byte header
//! (`pad(2) flags(16) range_present(16)`) followed by the present range fields in the order
//! IPv4 min/max or IPv6 min/max, then port min/max, padded to 8. Ranges must be non-empty and
//! ordered; flags outside `NX_NAT_F_MASK`, src together with dst, or hash together with random
//! are rejected.

use super::subfield::{bad, ActErr};
use super::{min_len, put_nx_header, Action};
use crate::ofproto::codec::EncodeError;
use bytes::{BufMut, BytesMut};
use std::net::{Ipv4Addr, Ipv6Addr};

const NAT: u16 = 36;

const RANGE_IPV4_MIN: u16 = 1 << 0;
const RANGE_IPV4_MAX: u16 = 1 << 1;
const RANGE_IPV6_MIN: u16 = 1 << 2;
const RANGE_IPV6_MAX: u16 = 1 << 3;
const RANGE_PROTO_MIN: u16 = 1 << 4;
const RANGE_PROTO_MAX: u16 = 1 << 5;

/// The `nat` action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nat {
    /// `NX_NAT_F_*` bits ([`Nat::SRC`], [`Nat::DST`], ...).
    pub flags: u16,
    /// The address (and port) range, if any.
    pub range: Option<NatRange>,
}

impl Nat {
    /// Source NAT.
    pub const SRC: u16 = 1 << 0;
    /// Destination NAT.
    pub const DST: u16 = 1 << 1;
    /// Persistent address selection.
    pub const PERSISTENT: u16 = 1 << 2;
    /// Hash-based port selection.
    pub const PROTO_HASH: u16 = 1 << 3;
    /// Random port selection.
    pub const PROTO_RANDOM: u16 = 1 << 4;
    /// Every defined flag.
    pub const MASK: u16 = 0x1f;
}

/// An address range with an optional port range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NatRange {
    /// Addresses.
    pub addr: NatAddr,
    /// Ports, if given.
    pub ports: Option<NatPorts>,
}

/// `min[-max]` addresses of one family (`max` absent = a single address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NatAddr {
    /// IPv4 range.
    V4 {
        /// First address (non-zero).
        min: Ipv4Addr,
        /// Last address.
        max: Option<Ipv4Addr>,
    },
    /// IPv6 range.
    V6 {
        /// First address (non-zero).
        min: Ipv6Addr,
        /// Last address.
        max: Option<Ipv6Addr>,
    },
}

/// `min[-max]` ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NatPorts {
    /// First port (non-zero).
    pub min: u16,
    /// Last port.
    pub max: Option<u16>,
}

/// Takes `N` bytes from the option area, or fails as OVS does (`OFPBAC_BAD_ARGUMENT`).
fn take<const N: usize>(opts: &mut &[u8]) -> Result<[u8; N], ActErr> {
    if opts.len() < N {
        return Err(bad("nat range truncated", opts.len() as u64));
    }
    let (head, tail) = opts.split_at(N);
    *opts = tail;
    let mut a = [0u8; N];
    a.copy_from_slice(head);
    Ok(a)
}

/// Decodes `NXAST_NAT`.
pub(crate) fn decode(bytes: &[u8]) -> Result<Action, ActErr> {
    min_len(bytes, 16, "NXAST_NAT")?;
    let flags = u16::from_be_bytes([bytes[12], bytes[13]]);
    let present = u16::from_be_bytes([bytes[14], bytes[15]]);
    if flags & !Nat::MASK != 0
        || (flags & Nat::SRC != 0 && flags & Nat::DST != 0)
        || (flags & Nat::PROTO_HASH != 0 && flags & Nat::PROTO_RANDOM != 0)
    {
        return Err(bad("nat flags", flags as u64));
    }
    let mut opts = &bytes[16..];
    let addr = if present & RANGE_IPV4_MIN != 0 {
        if present & (RANGE_IPV6_MIN | RANGE_IPV6_MAX) != 0 {
            return Err(bad("nat range_present", present as u64));
        }
        let min = Ipv4Addr::from(take::<4>(&mut opts)?);
        if min.is_unspecified() {
            return Err(bad("nat ipv4 min", 0));
        }
        let max = if present & RANGE_IPV4_MAX != 0 {
            let max = Ipv4Addr::from(take::<4>(&mut opts)?);
            if max < min {
                return Err(bad("nat ipv4 range", u32::from(max) as u64));
            }
            Some(max)
        } else {
            None
        };
        Some(NatAddr::V4 { min, max })
    } else if present & RANGE_IPV4_MAX != 0 {
        return Err(bad("nat range_present", present as u64));
    } else if present & RANGE_IPV6_MIN != 0 {
        let min = Ipv6Addr::from(take::<16>(&mut opts)?);
        if min.is_unspecified() {
            return Err(bad("nat ipv6 min", 0));
        }
        let max = if present & RANGE_IPV6_MAX != 0 {
            let max = Ipv6Addr::from(take::<16>(&mut opts)?);
            if max < min {
                return Err(bad("nat ipv6 range", 0));
            }
            Some(max)
        } else {
            None
        };
        Some(NatAddr::V6 { min, max })
    } else if present & RANGE_IPV6_MAX != 0 {
        return Err(bad("nat range_present", present as u64));
    } else {
        None
    };
    let ports = if present & RANGE_PROTO_MIN != 0 {
        if addr.is_none() {
            return Err(bad("nat port range without address range", present as u64));
        }
        let min = u16::from_be_bytes(take::<2>(&mut opts)?);
        if min == 0 {
            return Err(bad("nat port min", 0));
        }
        let max = if present & RANGE_PROTO_MAX != 0 {
            let max = u16::from_be_bytes(take::<2>(&mut opts)?);
            if max < min {
                return Err(bad("nat port range", max as u64));
            }
            Some(max)
        } else {
            None
        };
        Some(NatPorts { min, max })
    } else if present & RANGE_PROTO_MAX != 0 {
        return Err(bad("nat range_present", present as u64));
    } else {
        None
    };
    Ok(Action::Nat(Nat {
        flags,
        range: addr.map(|addr| NatRange { addr, ports }),
    }))
}

/// Encodes `NXAST_NAT` like `encode_NAT` (zero addresses and ports are left out).
pub(crate) fn encode(n: &Nat, out: &mut BytesMut) -> Result<(), EncodeError> {
    let start = out.len();
    put_nx_header(out, NAT);
    out.put_u16(0);
    out.put_u16(n.flags);
    out.put_u16(0);
    let mut present = 0u16;
    if let Some(range) = &n.range {
        match range.addr {
            NatAddr::V4 { min, max } => {
                if !min.is_unspecified() {
                    out.put_u32(min.into());
                    present |= RANGE_IPV4_MIN;
                }
                if let Some(max) = max.filter(|m| !m.is_unspecified()) {
                    out.put_u32(max.into());
                    present |= RANGE_IPV4_MAX;
                }
            }
            NatAddr::V6 { min, max } => {
                if !min.is_unspecified() {
                    out.put_slice(&min.octets());
                    present |= RANGE_IPV6_MIN;
                }
                if let Some(max) = max.filter(|m| !m.is_unspecified()) {
                    out.put_slice(&max.octets());
                    present |= RANGE_IPV6_MAX;
                }
            }
        }
        if let Some(p) = range.ports {
            if p.min != 0 {
                out.put_u16(p.min);
                present |= RANGE_PROTO_MIN;
            }
            if let Some(max) = p.max.filter(|m| *m != 0) {
                out.put_u16(max);
                present |= RANGE_PROTO_MAX;
            }
        }
    }
    crate::ofproto::codec::buf::patch_u16(out, start + 14, present);
    Ok(())
}
