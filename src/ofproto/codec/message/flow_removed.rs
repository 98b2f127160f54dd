//! `OFPT_FLOW_REMOVED`: OpenFlow 1.3 fixed counters (`ofp12_flow_removed`) vs OpenFlow 1.5 OXS
//! statistics (`ofp15_flow_removed` + `ofp_oxs_stat`), as in OVS `lib/ofp-monitor.c`.

use super::oxs::OxsStats;
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::match_::Match;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, BytesMut};

/// A flow was removed (timeout, delete, eviction...).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FlowRemoved {
    /// Cookie of the removed flow.
    pub cookie: u64,
    /// Its priority.
    pub priority: u16,
    /// Why (`OFPRR_*`: 0 idle, 1 hard, 2 delete, 3 group_delete, 4 meter_delete, 5 eviction).
    pub reason: u8,
    /// Its table.
    pub table_id: u8,
    /// Seconds it lived (`u32::MAX` = unknown, OF1.5 without a duration statistic).
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Its idle timeout.
    pub idle_timeout: u16,
    /// Its hard timeout.
    pub hard_timeout: u16,
    /// Packets it matched (`u64::MAX` = unknown).
    pub packet_count: u64,
    /// Bytes it matched (`u64::MAX` = unknown).
    pub byte_count: u64,
    /// Its match.
    pub match_: Match,
    /// OpenFlow 1.5 only: the OXS block as received when it is not the one OVS would write for
    /// the fields above (other order or extra statistics); encoding then writes it verbatim.
    pub oxs: Option<OxsStats>,
}

fn known<T: PartialEq + Copy>(v: T, unknown: T) -> Option<T> {
    (v != unknown).then_some(v)
}

impl FlowRemoved {
    fn canonical_oxs(&self) -> OxsStats {
        OxsStats::canonical(
            known(self.duration_sec, u32::MAX).map(|s| (s, self.duration_nsec)),
            None,
            known(self.packet_count, u64::MAX),
            known(self.byte_count, u64::MAX),
            None,
        )
    }

    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<FlowRemoved, DecodeError> {
        match version {
            Version::Of13 => {
                let cookie = r.u64("ofp_flow_removed")?;
                let priority = r.u16("ofp_flow_removed")?;
                let reason = r.u8("ofp_flow_removed")?;
                let table_id = r.u8("ofp_flow_removed")?;
                let duration_sec = r.u32("ofp_flow_removed")?;
                let duration_nsec = r.u32("ofp_flow_removed")?;
                let idle_timeout = r.u16("ofp_flow_removed")?;
                let hard_timeout = r.u16("ofp_flow_removed")?;
                let packet_count = r.u64("ofp_flow_removed")?;
                let byte_count = r.u64("ofp_flow_removed")?;
                let match_ = Match::decode(r, version)?;
                r.finish("ofp_flow_removed")?;
                Ok(FlowRemoved {
                    cookie,
                    priority,
                    reason,
                    table_id,
                    duration_sec,
                    duration_nsec,
                    idle_timeout,
                    hard_timeout,
                    packet_count,
                    byte_count,
                    match_,
                    oxs: None,
                })
            }
            Version::Of15 => {
                let table_id = r.u8("ofp15_flow_removed")?;
                let reason = r.u8("ofp15_flow_removed")?;
                let priority = r.u16("ofp15_flow_removed")?;
                let idle_timeout = r.u16("ofp15_flow_removed")?;
                let hard_timeout = r.u16("ofp15_flow_removed")?;
                let cookie = r.u64("ofp15_flow_removed")?;
                let match_ = Match::decode(r, version)?;
                let stats = OxsStats::decode(r)?;
                r.finish("ofp15_flow_removed")?;
                let (duration_sec, duration_nsec) = stats.duration().unwrap_or((u32::MAX, 0));
                let mut fr = FlowRemoved {
                    cookie,
                    priority,
                    reason,
                    table_id,
                    duration_sec,
                    duration_nsec,
                    idle_timeout,
                    hard_timeout,
                    packet_count: stats.packet_count().unwrap_or(u64::MAX),
                    byte_count: stats.byte_count().unwrap_or(u64::MAX),
                    match_,
                    oxs: None,
                };
                if fr.canonical_oxs() != stats {
                    fr.oxs = Some(stats);
                }
                Ok(fr)
            }
        }
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        match version {
            Version::Of13 => {
                out.put_u64(self.cookie);
                out.put_u16(self.priority);
                out.put_u8(self.reason);
                out.put_u8(self.table_id);
                out.put_u32(self.duration_sec);
                out.put_u32(self.duration_nsec);
                out.put_u16(self.idle_timeout);
                out.put_u16(self.hard_timeout);
                out.put_u64(self.packet_count);
                out.put_u64(self.byte_count);
                self.match_.encode(out, version)
            }
            Version::Of15 => {
                out.put_u8(self.table_id);
                out.put_u8(self.reason);
                out.put_u16(self.priority);
                out.put_u16(self.idle_timeout);
                out.put_u16(self.hard_timeout);
                out.put_u64(self.cookie);
                self.match_.encode(out, version)?;
                match &self.oxs {
                    Some(oxs) => oxs.encode(out),
                    None => self.canonical_oxs().encode(out),
                }
            }
        }
    }
}
