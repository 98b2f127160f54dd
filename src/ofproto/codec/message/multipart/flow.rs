//! `OFPMP_FLOW` and `OFPMP_AGGREGATE`: the flow-stats request shared by both, flow-stats
//! entries (OpenFlow 1.3 `ofp11_flow_stats`, OpenFlow 1.5 `ofp15_flow_desc` + OXS statistics)
//! and the aggregate reply. Mirrors OVS `lib/ofp-flow.c`.

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::flow::{FlowModFlags, FlowStats};
use crate::ofproto::codec::instruction::{decode_instructions, encode_instructions};
use crate::ofproto::codec::match_::Match;
use crate::ofproto::codec::message::flow_mod::decode_port;
use crate::ofproto::codec::message::oxs::OxsStats;
use crate::ofproto::codec::message::prop::{patch_len, sub_by_len};
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

/// A flow-stats or aggregate-stats request (`ofp11_flow_stats_request`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FlowStatsRequest {
    /// Table to read (`0xff` = all).
    pub table_id: u8,
    /// Only flows that output to this port (`ANY` = all).
    pub out_port: PortNo,
    /// Only flows that output to this group (`0xffffffff` = all).
    pub out_group: u32,
    /// Only flows whose cookie matches under `cookie_mask`.
    pub cookie: u64,
    /// Which cookie bits must match.
    pub cookie_mask: u64,
    /// Only flows matching this (non-strict) match.
    pub match_: Match,
    /// Bytes after the match (some OpenFlow 1.5 encoders append an OXS statistics request;
    /// OVS ignores them), verbatim.
    pub extra: Bytes,
}

impl Default for FlowStatsRequest {
    fn default() -> Self {
        FlowStatsRequest {
            table_id: 0xff,
            out_port: PortNo::ANY,
            out_group: u32::MAX,
            cookie: 0,
            cookie_mask: 0,
            match_: Match::new(),
            extra: Bytes::new(),
        }
    }
}

impl FlowStatsRequest {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<Self, DecodeError> {
        let table_id = r.u8("ofp11_flow_stats_request")?;
        r.zeros(3, "ofp11_flow_stats_request padding")?;
        let out_port = decode_port(r.u32("ofp11_flow_stats_request")?, "out_port")?;
        let out_group = r.u32("ofp11_flow_stats_request")?;
        r.zeros(4, "ofp11_flow_stats_request padding")?;
        let cookie = r.u64("ofp11_flow_stats_request")?;
        let cookie_mask = r.u64("ofp11_flow_stats_request")?;
        let match_ = Match::decode(r, version)?;
        Ok(FlowStatsRequest {
            table_id,
            out_port,
            out_group,
            cookie,
            cookie_mask,
            match_,
            extra: Bytes::copy_from_slice(r.take_rest()),
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        out.put_u8(self.table_id);
        out.put_bytes(0, 3);
        out.put_u32(self.out_port.to_ofp11());
        out.put_u32(self.out_group);
        out.put_u32(0);
        out.put_u64(self.cookie);
        out.put_u64(self.cookie_mask);
        self.match_.encode(out, version)?;
        out.put_slice(&self.extra);
        Ok(())
    }
}

fn known<T: PartialEq + Copy>(v: T, unknown: T) -> Option<T> {
    (v != unknown).then_some(v)
}

/// The OXS block OVS writes for a flow-stats entry (`ofputil_append_flow_stats_reply`).
fn flow_oxs(fs: &FlowStats) -> OxsStats {
    OxsStats::canonical(
        known(fs.duration_sec, u32::MAX).map(|s| (s, fs.duration_nsec)),
        fs.idle_age,
        known(fs.packet_count, u64::MAX),
        known(fs.byte_count, u64::MAX),
        None,
    )
}

/// Decodes one flow-stats entry. `Ok(None)` means an OpenFlow 1.5 entry whose OXS statistics
/// are not in the form OVS writes (another order, extra statistics): [`FlowStats`] cannot hold
/// them, so the caller keeps the reply body verbatim instead.
pub fn decode_flow_stats(
    r: &mut Reader<'_>,
    version: Version,
) -> Result<Option<FlowStats>, DecodeError> {
    match version {
        Version::Of13 => {
            let mut e = sub_by_len(r, 0, 48, false, "ofp11_flow_stats")?;
            e.skip(2, "ofp11_flow_stats length")?;
            let table_id = e.u8("ofp11_flow_stats")?;
            e.zeros(1, "ofp11_flow_stats padding")?;
            let duration_sec = e.u32("ofp11_flow_stats")?;
            let duration_nsec = e.u32("ofp11_flow_stats")?;
            let priority = e.u16("ofp11_flow_stats")?;
            let idle_timeout = e.u16("ofp11_flow_stats")?;
            let hard_timeout = e.u16("ofp11_flow_stats")?;
            let flags = FlowModFlags(e.u16("ofp11_flow_stats")?);
            e.zeros(4, "ofp11_flow_stats padding")?;
            let cookie = e.u64("ofp11_flow_stats")?;
            let packet_count = e.u64("ofp11_flow_stats")?;
            let byte_count = e.u64("ofp11_flow_stats")?;
            let match_ = Match::decode(&mut e, version)?;
            let instructions = decode_instructions(&mut e, version)?;
            Ok(Some(FlowStats {
                table_id,
                duration_sec,
                duration_nsec,
                priority,
                idle_timeout,
                hard_timeout,
                flags,
                importance: 0,
                cookie,
                packet_count,
                byte_count,
                idle_age: None,
                match_,
                instructions,
            }))
        }
        Version::Of15 => {
            let mut e = sub_by_len(r, 0, 24, false, "ofp15_flow_desc")?;
            e.skip(2, "ofp15_flow_desc length")?;
            e.zeros(2, "ofp15_flow_desc padding")?;
            let table_id = e.u8("ofp15_flow_desc")?;
            e.zeros(1, "ofp15_flow_desc padding")?;
            let priority = e.u16("ofp15_flow_desc")?;
            let idle_timeout = e.u16("ofp15_flow_desc")?;
            let hard_timeout = e.u16("ofp15_flow_desc")?;
            let flags = FlowModFlags(e.u16("ofp15_flow_desc")?);
            let importance = e.u16("ofp15_flow_desc")?;
            let cookie = e.u64("ofp15_flow_desc")?;
            let match_ = Match::decode(&mut e, version)?;
            let oxs = OxsStats::decode(&mut e)?;
            let instructions = decode_instructions(&mut e, version)?;
            let (duration_sec, duration_nsec) = oxs.duration().unwrap_or((u32::MAX, u32::MAX));
            let fs = FlowStats {
                table_id,
                duration_sec,
                duration_nsec,
                priority,
                idle_timeout,
                hard_timeout,
                flags,
                importance,
                cookie,
                packet_count: oxs.packet_count().unwrap_or(u64::MAX),
                byte_count: oxs.byte_count().unwrap_or(u64::MAX),
                idle_age: oxs.idle_secs(),
                match_,
                instructions,
            };
            Ok((flow_oxs(&fs) == oxs).then_some(fs))
        }
    }
}

/// Appends one flow-stats entry.
pub fn encode_flow_stats(
    fs: &FlowStats,
    out: &mut BytesMut,
    version: Version,
) -> Result<(), EncodeError> {
    let start = out.len();
    out.put_u16(0);
    match version {
        Version::Of13 => {
            if fs.importance != 0 || fs.idle_age.is_some() {
                return Err(EncodeError::NotInVersion {
                    what: "flow importance or idle age",
                    version,
                });
            }
            out.put_u8(fs.table_id);
            out.put_u8(0);
            out.put_u32(fs.duration_sec);
            out.put_u32(fs.duration_nsec);
            out.put_u16(fs.priority);
            out.put_u16(fs.idle_timeout);
            out.put_u16(fs.hard_timeout);
            out.put_u16(fs.flags.0);
            out.put_u32(0);
            out.put_u64(fs.cookie);
            out.put_u64(fs.packet_count);
            out.put_u64(fs.byte_count);
            fs.match_.encode(out, version)?;
        }
        Version::Of15 => {
            out.put_u16(0);
            out.put_u8(fs.table_id);
            out.put_u8(0);
            out.put_u16(fs.priority);
            out.put_u16(fs.idle_timeout);
            out.put_u16(fs.hard_timeout);
            out.put_u16(fs.flags.0);
            out.put_u16(fs.importance);
            out.put_u64(fs.cookie);
            fs.match_.encode(out, version)?;
            flow_oxs(fs).encode(out)?;
        }
    }
    encode_instructions(&fs.instructions, out, version)?;
    patch_len(out, start, start, "flow stats entry")
}

/// An aggregate-stats reply.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AggregateStats {
    /// Packets in all matching flows (`u64::MAX` = unknown in 1.5).
    pub packet_count: u64,
    /// Bytes in all matching flows (`u64::MAX` = unknown in 1.5).
    pub byte_count: u64,
    /// Number of matching flows (`u32::MAX` = unknown in 1.5).
    pub flow_count: u32,
    /// OpenFlow 1.5 only: the OXS block as received when it is not the one OVS writes for the
    /// fields above; encoding then writes it verbatim.
    pub oxs: Option<OxsStats>,
}

impl AggregateStats {
    fn canonical_oxs(&self) -> OxsStats {
        OxsStats::canonical(
            None,
            None,
            known(self.packet_count, u64::MAX),
            known(self.byte_count, u64::MAX),
            known(self.flow_count, u32::MAX),
        )
    }

    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<Self, DecodeError> {
        match version {
            Version::Of13 => {
                let a = AggregateStats {
                    packet_count: r.u64("ofp_aggregate_stats_reply")?,
                    byte_count: r.u64("ofp_aggregate_stats_reply")?,
                    flow_count: r.u32("ofp_aggregate_stats_reply")?,
                    oxs: None,
                };
                r.zeros(4, "ofp_aggregate_stats_reply padding")?;
                Ok(a)
            }
            Version::Of15 => {
                let oxs = OxsStats::decode(r)?;
                let mut a = AggregateStats {
                    packet_count: oxs.packet_count().unwrap_or(u64::MAX),
                    byte_count: oxs.byte_count().unwrap_or(u64::MAX),
                    flow_count: oxs.flow_count().unwrap_or(u32::MAX),
                    oxs: None,
                };
                if a.canonical_oxs() != oxs {
                    a.oxs = Some(oxs);
                }
                Ok(a)
            }
        }
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        match version {
            Version::Of13 => {
                out.put_u64(self.packet_count);
                out.put_u64(self.byte_count);
                out.put_u32(self.flow_count);
                out.put_u32(0);
                Ok(())
            }
            Version::Of15 => match &self.oxs {
                Some(oxs) => oxs.encode(out),
                None => self.canonical_oxs().encode(out),
            },
        }
    }
}
