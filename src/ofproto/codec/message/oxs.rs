//! OpenFlow 1.5 OXS statistics (`struct ofp_oxs_stat` + TLVs), used by flow-stats replies,
//! aggregate replies and flow-removed messages in 1.5. Mirrors OVS `lib/ox-stat.c`.
//!
//! Wire form: `reserved(16) length(16)` then TLVs `class(16) field(7) hasmask(1) length(8)` +
//! value, zero-padded to 8 (`length` excludes the padding). OVS writes duration, idle time,
//! packet count, byte count, flow count in that order (`oxs_put_stats`); other encoders use
//! other orders, so [`OxsStats`] keeps the fields in wire order.

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{DecodeError, EncodeError};
use bytes::{BufMut, Bytes, BytesMut};

const CLASS_BASIC: u32 = 0x8002;
const DURATION: u32 = 0;
const IDLE_TIME: u32 = 1;
const FLOW_COUNT: u32 = 3;
const PACKET_COUNT: u32 = 4;
const BYTE_COUNT: u32 = 5;

const fn header(field: u32, len: u32) -> u32 {
    (CLASS_BASIC << 16) | (field << 9) | len
}

/// One OXS statistic.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OxsField {
    /// Time the flow has been alive.
    Duration {
        /// Seconds.
        sec: u32,
        /// Nanoseconds beyond `sec`.
        nsec: u32,
    },
    /// Time the flow has been idle: seconds in the high 32 bits, nanoseconds in the low.
    IdleTime(u64),
    /// Number of flows aggregated.
    FlowCount(u32),
    /// Packets.
    PacketCount(u64),
    /// Bytes.
    ByteCount(u64),
    /// A statistic this codec does not model.
    Raw {
        /// The 32-bit TLV header.
        header: u32,
        /// The `length` bytes after it (experimenter id included).
        payload: Bytes,
    },
}

/// An OXS statistics block, fields in wire order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct OxsStats(pub Vec<OxsField>);

impl OxsStats {
    /// The block OVS writes for these values (`None` = omitted), in OVS's order.
    pub fn canonical(
        duration: Option<(u32, u32)>,
        idle_secs: Option<u32>,
        packet_count: Option<u64>,
        byte_count: Option<u64>,
        flow_count: Option<u32>,
    ) -> OxsStats {
        let mut v = Vec::new();
        if let Some((sec, nsec)) = duration {
            v.push(OxsField::Duration { sec, nsec });
        }
        if let Some(s) = idle_secs {
            v.push(OxsField::IdleTime((s as u64) << 32));
        }
        if let Some(n) = packet_count {
            v.push(OxsField::PacketCount(n));
        }
        if let Some(n) = byte_count {
            v.push(OxsField::ByteCount(n));
        }
        if let Some(n) = flow_count {
            v.push(OxsField::FlowCount(n));
        }
        OxsStats(v)
    }

    /// Duration `(sec, nsec)`, if present.
    pub fn duration(&self) -> Option<(u32, u32)> {
        self.0.iter().find_map(|f| match f {
            OxsField::Duration { sec, nsec } => Some((*sec, *nsec)),
            _ => None,
        })
    }

    /// Idle time in whole seconds, if present.
    pub fn idle_secs(&self) -> Option<u32> {
        self.0.iter().find_map(|f| match f {
            OxsField::IdleTime(t) => Some((t >> 32) as u32),
            _ => None,
        })
    }

    /// Packet count, if present.
    pub fn packet_count(&self) -> Option<u64> {
        self.0.iter().find_map(|f| match f {
            OxsField::PacketCount(n) => Some(*n),
            _ => None,
        })
    }

    /// Byte count, if present.
    pub fn byte_count(&self) -> Option<u64> {
        self.0.iter().find_map(|f| match f {
            OxsField::ByteCount(n) => Some(*n),
            _ => None,
        })
    }

    /// Flow count, if present.
    pub fn flow_count(&self) -> Option<u32> {
        self.0.iter().find_map(|f| match f {
            OxsField::FlowCount(n) => Some(*n),
            _ => None,
        })
    }

    /// Decodes a block (header, TLVs, padding) from `r`.
    pub fn decode(r: &mut Reader<'_>) -> Result<OxsStats, DecodeError> {
        r.zeros(2, "ofp_oxs_stat.reserved")?;
        let len = r.u16("ofp_oxs_stat.length")? as usize;
        if len < 4 {
            return Err(DecodeError::BadLength {
                what: "ofp_oxs_stat",
                len,
            });
        }
        let mut t = r.sub(len - 4, "ofp_oxs_stat")?;
        r.zeros(len.div_ceil(8) * 8 - len, "ofp_oxs_stat padding")?;
        let mut out = Vec::new();
        while !t.is_empty() {
            let h = t.u32("oxs header")?;
            let n = (h & 0xff) as usize;
            let mut p = t.sub(n, "oxs value")?;
            let f = match h {
                _ if h == header(DURATION, 8) => OxsField::Duration {
                    sec: p.u32("oxs duration")?,
                    nsec: p.u32("oxs duration")?,
                },
                _ if h == header(IDLE_TIME, 8) => OxsField::IdleTime(p.u64("oxs idle")?),
                _ if h == header(FLOW_COUNT, 4) => OxsField::FlowCount(p.u32("oxs flows")?),
                _ if h == header(PACKET_COUNT, 8) => OxsField::PacketCount(p.u64("oxs packets")?),
                _ if h == header(BYTE_COUNT, 8) => OxsField::ByteCount(p.u64("oxs bytes")?),
                _ => OxsField::Raw {
                    header: h,
                    payload: Bytes::copy_from_slice(p.take_rest()),
                },
            };
            out.push(f);
        }
        Ok(OxsStats(out))
    }

    /// Appends the block with its padding.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u16(0);
        out.put_u16(0);
        for f in &self.0 {
            match f {
                OxsField::Duration { sec, nsec } => {
                    out.put_u32(header(DURATION, 8));
                    out.put_u32(*sec);
                    out.put_u32(*nsec);
                }
                OxsField::IdleTime(t) => {
                    out.put_u32(header(IDLE_TIME, 8));
                    out.put_u64(*t);
                }
                OxsField::FlowCount(n) => {
                    out.put_u32(header(FLOW_COUNT, 4));
                    out.put_u32(*n);
                }
                OxsField::PacketCount(n) => {
                    out.put_u32(header(PACKET_COUNT, 8));
                    out.put_u64(*n);
                }
                OxsField::ByteCount(n) => {
                    out.put_u32(header(BYTE_COUNT, 8));
                    out.put_u64(*n);
                }
                OxsField::Raw { header, payload } => {
                    if payload.len() != (header & 0xff) as usize {
                        return Err(EncodeError::BadValue {
                            what: "raw OXS statistic",
                            problem: "payload length differs from header length".into(),
                        });
                    }
                    out.put_u32(*header);
                    out.put_slice(payload);
                }
            }
        }
        super::prop::patch_len(out, start, start + 2, "ofp_oxs_stat")?;
        crate::ofproto::codec::pad_to(out, start, 8);
        Ok(())
    }
}
