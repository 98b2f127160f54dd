//! `OFPT_MULTIPART_REQUEST` / `OFPT_MULTIPART_REPLY` (`ofp11_stats_msg`: type, flags, 4 pad
//! bytes, body). Modelled bodies: desc, flow, aggregate, table, port-desc, group-desc,
//! table-features, meter, meter-config, meter-features; every other type (port and queue
//! statistics, experimenter multiparts such as ONF flow monitors...) is kept verbatim.
//!
//! Large replies are split across messages with [`MORE`] set on all but the last, same xid;
//! [`MpReply::append`] glues the parts together.

mod desc;
mod flow;
mod meter;
mod table;

pub use desc::DescStats;
pub use flow::{decode_flow_stats, encode_flow_stats, AggregateStats, FlowStatsRequest};
pub use meter::{MeterBandStats, MeterConfig, MeterFeatures, MeterStats};
pub use table::{command as table_features_command, prop_type as table_feature_prop};
pub use table::{TableFeatures, TableStats};

use super::group_mod::GroupDesc;
use super::port_status::Port;
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::flow::FlowStats;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

/// `OFPMPF_REPLY_MORE` / `OFPMPF_REQ_MORE`: more parts follow with the same xid.
pub const MORE: u16 = 1;

/// `OFPMP_*` multipart types.
pub mod mp_type {
    /// Switch description.
    pub const DESC: u16 = 0;
    /// Flow statistics.
    pub const FLOW: u16 = 1;
    /// Aggregate flow statistics.
    pub const AGGREGATE: u16 = 2;
    /// Table statistics.
    pub const TABLE: u16 = 3;
    /// Port statistics.
    pub const PORT_STATS: u16 = 4;
    /// Queue statistics.
    pub const QUEUE: u16 = 5;
    /// Group statistics.
    pub const GROUP: u16 = 6;
    /// Group descriptions.
    pub const GROUP_DESC: u16 = 7;
    /// Group features.
    pub const GROUP_FEATURES: u16 = 8;
    /// Meter statistics.
    pub const METER: u16 = 9;
    /// Meter configuration.
    pub const METER_CONFIG: u16 = 10;
    /// Meter features.
    pub const METER_FEATURES: u16 = 11;
    /// Table features.
    pub const TABLE_FEATURES: u16 = 12;
    /// Port descriptions.
    pub const PORT_DESC: u16 = 13;
    /// Experimenter.
    pub const EXPERIMENTER: u16 = 0xffff;
}

/// `OFPP_ANY` in 32-bit form.
pub const PORT_ANY: u32 = 0xffff_ffff;
/// `OFPG_ALL`: every group.
pub const GROUP_ALL: u32 = 0xffff_fffc;
/// `OFPM_ALL`: every meter.
pub const METER_ALL: u32 = 0xffff_ffff;

/// A multipart request body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MpRequest {
    /// Switch description.
    Desc,
    /// Flow statistics.
    Flow(FlowStatsRequest),
    /// Aggregate statistics.
    Aggregate(FlowStatsRequest),
    /// Table statistics.
    Table,
    /// Port descriptions; OpenFlow 1.5 can ask for one port (1.3 always asks for all:
    /// `PORT_ANY`).
    PortDesc {
        /// Port (32-bit form) or [`PORT_ANY`].
        port_no: u32,
    },
    /// Group descriptions; OpenFlow 1.5 can ask for one group (1.3: [`GROUP_ALL`]).
    GroupDesc {
        /// Group id or [`GROUP_ALL`].
        group_id: u32,
    },
    /// Table features: empty to query, non-empty to set (e.g. table names).
    TableFeatures(Vec<TableFeatures>),
    /// Meter statistics of one meter or [`METER_ALL`].
    Meter {
        /// Meter id.
        meter_id: u32,
    },
    /// Meter configuration of one meter or [`METER_ALL`].
    MeterConfig {
        /// Meter id.
        meter_id: u32,
    },
    /// Meter features.
    MeterFeatures,
    /// Any other type, body verbatim.
    Raw {
        /// `OFPMP_*`.
        mp_type: u16,
        /// The body.
        body: Bytes,
    },
}

/// A multipart reply body (one part).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MpReply {
    /// Switch description (boxed: 1056 bytes).
    Desc(Box<DescStats>),
    /// Flow statistics.
    Flow(Vec<FlowStats>),
    /// Aggregate statistics.
    Aggregate(AggregateStats),
    /// Table statistics.
    Table(Vec<TableStats>),
    /// Port descriptions.
    PortDesc(Vec<Port>),
    /// Group descriptions.
    GroupDesc(Vec<GroupDesc>),
    /// Table features.
    TableFeatures(Vec<TableFeatures>),
    /// Meter statistics.
    Meter(Vec<MeterStats>),
    /// Meter configurations.
    MeterConfig(Vec<MeterConfig>),
    /// Meter features.
    MeterFeatures(MeterFeatures),
    /// Any other type (or a flow reply in an encoding `FlowStats` cannot hold), verbatim.
    Raw {
        /// `OFPMP_*`.
        mp_type: u16,
        /// The body.
        body: Bytes,
    },
}

/// A multipart request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MultipartRequest {
    /// `OFPMPF_REQ_MORE` and other flag bits, raw.
    pub flags: u16,
    /// The body.
    pub body: MpRequest,
}

/// One part of a multipart reply.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MultipartReply {
    /// `OFPMPF_REPLY_MORE` and other flag bits, raw.
    pub flags: u16,
    /// The body.
    pub body: MpReply,
}

impl MultipartReply {
    /// True when more parts with the same xid follow.
    pub fn more(&self) -> bool {
        self.flags & MORE != 0
    }
}

fn decode_list<T>(
    r: &mut Reader<'_>,
    mut one: impl FnMut(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut v = Vec::new();
    while !r.is_empty() {
        v.push(one(r)?);
    }
    Ok(v)
}

fn read_id_pad(r: &mut Reader<'_>, what: &'static str) -> Result<u32, DecodeError> {
    let id = r.u32(what)?;
    r.zeros(4, what)?;
    Ok(id)
}

/// Reads the `ofp11_stats_msg` fields after `ofp_header`: `(type, flags)`.
fn decode_mp_header(r: &mut Reader<'_>) -> Result<(u16, u16), DecodeError> {
    let mp_type = r.u16("ofp_multipart")?;
    let flags = r.u16("ofp_multipart")?;
    r.zeros(4, "ofp_multipart padding")?;
    Ok((mp_type, flags))
}

impl MultipartRequest {
    /// Decodes the body after `ofp_header`.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<Self, DecodeError> {
        use mp_type::*;
        let (ty, flags) = decode_mp_header(r)?;
        let body = match ty {
            DESC if r.is_empty() => MpRequest::Desc,
            FLOW => MpRequest::Flow(FlowStatsRequest::decode(r, version)?),
            AGGREGATE => MpRequest::Aggregate(FlowStatsRequest::decode(r, version)?),
            TABLE if r.is_empty() => MpRequest::Table,
            PORT_DESC if version == Version::Of13 && r.is_empty() => {
                MpRequest::PortDesc { port_no: PORT_ANY }
            }
            PORT_DESC if version == Version::Of15 => MpRequest::PortDesc {
                port_no: read_id_pad(r, "ofp15_port_desc_request")?,
            },
            GROUP_DESC if version == Version::Of13 && r.is_empty() => MpRequest::GroupDesc {
                group_id: GROUP_ALL,
            },
            GROUP_DESC if version == Version::Of15 => MpRequest::GroupDesc {
                group_id: read_id_pad(r, "ofp15_group_desc_request")?,
            },
            TABLE_FEATURES => MpRequest::TableFeatures(decode_list(r, TableFeatures::decode)?),
            METER => MpRequest::Meter {
                meter_id: read_id_pad(r, "ofp13_meter_multipart_request")?,
            },
            METER_CONFIG => MpRequest::MeterConfig {
                meter_id: read_id_pad(r, "ofp13_meter_multipart_request")?,
            },
            METER_FEATURES if r.is_empty() => MpRequest::MeterFeatures,
            _ => MpRequest::Raw {
                mp_type: ty,
                body: Bytes::copy_from_slice(r.take_rest()),
            },
        };
        r.finish("multipart request")?;
        Ok(MultipartRequest { flags, body })
    }

    /// The `OFPMP_*` type.
    pub fn mp_type(&self) -> u16 {
        use mp_type::*;
        match &self.body {
            MpRequest::Desc => DESC,
            MpRequest::Flow(_) => FLOW,
            MpRequest::Aggregate(_) => AGGREGATE,
            MpRequest::Table => TABLE,
            MpRequest::PortDesc { .. } => PORT_DESC,
            MpRequest::GroupDesc { .. } => GROUP_DESC,
            MpRequest::TableFeatures(_) => TABLE_FEATURES,
            MpRequest::Meter { .. } => METER,
            MpRequest::MeterConfig { .. } => METER_CONFIG,
            MpRequest::MeterFeatures => METER_FEATURES,
            MpRequest::Raw { mp_type, .. } => *mp_type,
        }
    }

    /// Appends the body after `ofp_header`.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        out.put_u16(self.mp_type());
        out.put_u16(self.flags);
        out.put_u32(0);
        match &self.body {
            MpRequest::Desc | MpRequest::Table | MpRequest::MeterFeatures => {}
            MpRequest::Flow(f) | MpRequest::Aggregate(f) => f.encode(out, version)?,
            MpRequest::PortDesc { port_no: id } | MpRequest::GroupDesc { group_id: id } => {
                let all = if matches!(self.body, MpRequest::PortDesc { .. }) {
                    PORT_ANY
                } else {
                    GROUP_ALL
                };
                match version {
                    Version::Of13 if *id != all => {
                        return Err(EncodeError::NotInVersion {
                            what: "port-desc or group-desc request for one port or group",
                            version,
                        })
                    }
                    Version::Of13 => {}
                    Version::Of15 => {
                        out.put_u32(*id);
                        out.put_u32(0);
                    }
                }
            }
            MpRequest::TableFeatures(v) => v.iter().try_for_each(|t| t.encode(out))?,
            MpRequest::Meter { meter_id } | MpRequest::MeterConfig { meter_id } => {
                out.put_u32(*meter_id);
                out.put_u32(0);
            }
            MpRequest::Raw { body, .. } => out.put_slice(body),
        }
        Ok(())
    }
}

impl MpReply {
    /// The `OFPMP_*` type.
    pub fn mp_type(&self) -> u16 {
        use mp_type::*;
        match self {
            MpReply::Desc(_) => DESC,
            MpReply::Flow(_) => FLOW,
            MpReply::Aggregate(_) => AGGREGATE,
            MpReply::Table(_) => TABLE,
            MpReply::PortDesc(_) => PORT_DESC,
            MpReply::GroupDesc(_) => GROUP_DESC,
            MpReply::TableFeatures(_) => TABLE_FEATURES,
            MpReply::Meter(_) => METER,
            MpReply::MeterConfig(_) => METER_CONFIG,
            MpReply::MeterFeatures(_) => METER_FEATURES,
            MpReply::Raw { mp_type, .. } => *mp_type,
        }
    }

    /// Appends the entries of a following part (same type) to this one, so a reply split with
    /// `MORE` can be handled as one. Fails for parts of different types and for types that
    /// are not lists.
    pub fn append(&mut self, next: MpReply) -> Result<(), MpReply> {
        match (self, next) {
            (MpReply::Flow(a), MpReply::Flow(b)) => a.extend(b),
            (MpReply::Table(a), MpReply::Table(b)) => a.extend(b),
            (MpReply::PortDesc(a), MpReply::PortDesc(b)) => a.extend(b),
            (MpReply::GroupDesc(a), MpReply::GroupDesc(b)) => a.extend(b),
            (MpReply::TableFeatures(a), MpReply::TableFeatures(b)) => a.extend(b),
            (MpReply::Meter(a), MpReply::Meter(b)) => a.extend(b),
            (MpReply::MeterConfig(a), MpReply::MeterConfig(b)) => a.extend(b),
            (
                MpReply::Raw { mp_type: t, body },
                MpReply::Raw {
                    mp_type: u,
                    body: more,
                },
            ) if *t == u => {
                let mut b = BytesMut::from(&body[..]);
                b.extend_from_slice(&more);
                *body = b.freeze();
            }
            (_, next) => return Err(next),
        }
        Ok(())
    }
}

impl MultipartReply {
    /// Decodes the body after `ofp_header`.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<Self, DecodeError> {
        use mp_type::*;
        let (ty, flags) = decode_mp_header(r)?;
        let whole = r.clone();
        let body = match ty {
            DESC => MpReply::Desc(Box::new(DescStats::decode(r)?)),
            FLOW => {
                let mut flows = Vec::new();
                let mut canonical = true;
                while !r.is_empty() {
                    match decode_flow_stats(r, version)? {
                        Some(f) => flows.push(f),
                        None => canonical = false,
                    }
                }
                if canonical {
                    MpReply::Flow(flows)
                } else {
                    MpReply::Raw {
                        mp_type: ty,
                        body: Bytes::copy_from_slice(whole.rest()),
                    }
                }
            }
            AGGREGATE => MpReply::Aggregate(AggregateStats::decode(r, version)?),
            TABLE => MpReply::Table(decode_list(r, TableStats::decode)?),
            PORT_DESC => MpReply::PortDesc(decode_list(r, |r| Port::decode(r, version))?),
            GROUP_DESC => MpReply::GroupDesc(decode_list(r, |r| GroupDesc::decode(r, version))?),
            TABLE_FEATURES => MpReply::TableFeatures(decode_list(r, TableFeatures::decode)?),
            METER => MpReply::Meter(decode_list(r, MeterStats::decode)?),
            METER_CONFIG => MpReply::MeterConfig(decode_list(r, MeterConfig::decode)?),
            METER_FEATURES => MpReply::MeterFeatures(MeterFeatures::decode(r)?),
            _ => MpReply::Raw {
                mp_type: ty,
                body: Bytes::copy_from_slice(r.take_rest()),
            },
        };
        r.finish("multipart reply")?;
        Ok(MultipartReply { flags, body })
    }

    /// Appends the body after `ofp_header`.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        out.put_u16(self.body.mp_type());
        out.put_u16(self.flags);
        out.put_u32(0);
        match &self.body {
            MpReply::Desc(d) => d.encode(out),
            MpReply::Flow(v) => v
                .iter()
                .try_for_each(|f| encode_flow_stats(f, out, version))?,
            MpReply::Aggregate(a) => a.encode(out, version)?,
            MpReply::Table(v) => v.iter().for_each(|t| t.encode(out)),
            MpReply::PortDesc(v) => v.iter().try_for_each(|p| p.encode(out, version))?,
            MpReply::GroupDesc(v) => v.iter().try_for_each(|g| g.encode(out, version))?,
            MpReply::TableFeatures(v) => v.iter().try_for_each(|t| t.encode(out))?,
            MpReply::Meter(v) => v.iter().try_for_each(|m| m.encode(out))?,
            MpReply::MeterConfig(v) => v.iter().try_for_each(|m| m.encode(out))?,
            MpReply::MeterFeatures(f) => f.encode(out),
            MpReply::Raw { body, .. } => out.put_slice(body),
        }
        Ok(())
    }
}
