//! Groups: `OFPT_GROUP_MOD` and the group descriptions of `OFPMP_GROUP_DESC` replies, with
//! their buckets, in the OpenFlow 1.3 (`ofp11_group_mod`, `ofp11_bucket`) and 1.5
//! (`ofp15_group_mod`, `ofp15_bucket` with properties, group properties) layouts.
//! Mirrors OVS `lib/ofp-group.c`.
//!
//! OpenFlow 1.5 turned the bucket's weight / watch_port / watch_group into optional properties;
//! [`Bucket`] holds them as `Option`s (always `Some` after a 1.3 decode), recognised only while
//! they come in OVS's order before any other property, so any property list round-trips.

use super::prop::{patch_len, sub_by_len, Prop};
use crate::ofproto::codec::action::{decode_actions, encode_actions, Action};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, BytesMut};

/// `OFPG_ANY` / `OFPP_ANY` (32-bit): "no watch port/group".
pub const WATCH_NONE: u32 = 0xffff_ffff;

const PROP_WEIGHT: u16 = 0;
const PROP_WATCH_PORT: u16 = 1;
const PROP_WATCH_GROUP: u16 = 2;

/// One bucket of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bucket {
    /// OpenFlow 1.5 bucket id (0 in 1.3, where buckets have no ids).
    pub bucket_id: u32,
    /// Relative weight (select groups).
    pub weight: Option<u16>,
    /// Port whose liveness gates the bucket (fast-failover groups).
    pub watch_port: Option<u32>,
    /// Group whose liveness gates the bucket.
    pub watch_group: Option<u32>,
    /// The actions.
    pub actions: Vec<Action>,
    /// Other OpenFlow 1.5 bucket properties, verbatim.
    pub props: Vec<Prop>,
}

impl Bucket {
    /// Decodes one bucket.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<Bucket, DecodeError> {
        match version {
            Version::Of13 => {
                let mut b = sub_by_len(r, 0, 16, true, "ofp11_bucket")?;
                b.skip(2, "ofp11_bucket length")?;
                let weight = b.u16("ofp11_bucket")?;
                let watch_port = b.u32("ofp11_bucket")?;
                let watch_group = b.u32("ofp11_bucket")?;
                b.zeros(4, "ofp11_bucket padding")?;
                Ok(Bucket {
                    bucket_id: 0,
                    weight: Some(weight),
                    watch_port: Some(watch_port),
                    watch_group: Some(watch_group),
                    actions: decode_actions(&mut b, version)?,
                    props: Vec::new(),
                })
            }
            Version::Of15 => {
                let mut b = sub_by_len(r, 0, 8, true, "ofp15_bucket")?;
                b.skip(2, "ofp15_bucket length")?;
                let actions_len = b.u16("ofp15_bucket")? as usize;
                let bucket_id = b.u32("ofp15_bucket")?;
                let mut a = b.sub(actions_len, "ofp15_bucket actions")?;
                let actions = decode_actions(&mut a, version)?;
                let mut bucket = Bucket {
                    bucket_id,
                    actions,
                    ..Bucket::default()
                };
                let mut stage = 0;
                for p in Prop::decode_all(&mut b, "bucket property")? {
                    let typed = bucket.props.is_empty() && p.prop_type >= stage;
                    match (p.prop_type, typed) {
                        (PROP_WEIGHT, true) if p.data.len() == 4 && p.data[2..] == [0, 0] => {
                            bucket.weight = Some(u16::from_be_bytes([p.data[0], p.data[1]]));
                        }
                        (PROP_WATCH_PORT, true) if p.data.len() == 4 => {
                            bucket.watch_port = p.as_u32();
                        }
                        (PROP_WATCH_GROUP, true) if p.data.len() == 4 => {
                            bucket.watch_group = p.as_u32();
                        }
                        _ => {
                            bucket.props.push(p);
                            continue;
                        }
                    }
                    stage = p.prop_type + 1;
                }
                Ok(bucket)
            }
        }
    }

    /// Appends the bucket.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u16(0);
        match version {
            Version::Of13 => {
                if !self.props.is_empty() || self.bucket_id != 0 {
                    return Err(EncodeError::NotInVersion {
                        what: "bucket id or properties",
                        version,
                    });
                }
                out.put_u16(self.weight.unwrap_or(0));
                out.put_u32(self.watch_port.unwrap_or(WATCH_NONE));
                out.put_u32(self.watch_group.unwrap_or(WATCH_NONE));
                out.put_u32(0);
                encode_actions(&self.actions, out, version)?;
            }
            Version::Of15 => {
                out.put_u16(0);
                out.put_u32(self.bucket_id);
                let actions_start = out.len();
                encode_actions(&self.actions, out, version)?;
                patch_len(out, actions_start, start + 2, "bucket actions")?;
                if let Some(w) = self.weight {
                    Prop::new(PROP_WEIGHT, [(w >> 8) as u8, w as u8, 0, 0].to_vec()).encode(out)?;
                }
                if let Some(p) = self.watch_port {
                    Prop::new(PROP_WATCH_PORT, p.to_be_bytes().to_vec()).encode(out)?;
                }
                if let Some(g) = self.watch_group {
                    Prop::new(PROP_WATCH_GROUP, g.to_be_bytes().to_vec()).encode(out)?;
                }
                Prop::encode_all(&self.props, out)?;
            }
        }
        patch_len(out, start, start, "bucket")
    }
}

fn decode_buckets(r: &mut Reader<'_>, version: Version) -> Result<Vec<Bucket>, DecodeError> {
    let mut v = Vec::new();
    while !r.is_empty() {
        v.push(Bucket::decode(r, version)?);
    }
    Ok(v)
}

fn encode_buckets(
    buckets: &[Bucket],
    out: &mut BytesMut,
    version: Version,
) -> Result<(), EncodeError> {
    buckets.iter().try_for_each(|b| b.encode(out, version))
}

/// `OFPT_GROUP_MOD`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupMod {
    /// `OFPGC_*`: 0 add, 1 modify, 2 delete; 1.5 adds 3 insert_bucket, 5 remove_bucket,
    /// 0x8000 add_or_mod.
    pub command: u16,
    /// `OFPGT_*`: 0 all, 1 select, 2 indirect, 3 fast failover.
    pub group_type: u8,
    /// Group id.
    pub group_id: u32,
    /// OpenFlow 1.5: bucket the insert/remove command refers to (`0xffffffff` all / unused,
    /// `0xfffffffd` first, `0xfffffffe` last).
    pub command_bucket_id: u32,
    /// The buckets.
    pub buckets: Vec<Bucket>,
    /// OpenFlow 1.5 group properties (e.g. the selection method), verbatim.
    pub props: Vec<Prop>,
}

impl GroupMod {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<GroupMod, DecodeError> {
        let command = r.u16("ofp_group_mod")?;
        let group_type = r.u8("ofp_group_mod")?;
        r.zeros(1, "ofp_group_mod padding")?;
        let group_id = r.u32("ofp_group_mod")?;
        match version {
            Version::Of13 => Ok(GroupMod {
                command,
                group_type,
                group_id,
                command_bucket_id: WATCH_NONE,
                buckets: decode_buckets(r, version)?,
                props: Vec::new(),
            }),
            Version::Of15 => {
                let buckets_len = r.u16("ofp15_group_mod")? as usize;
                r.zeros(2, "ofp15_group_mod padding")?;
                let command_bucket_id = r.u32("ofp15_group_mod")?;
                let mut b = r.sub(buckets_len, "ofp15_group_mod buckets")?;
                Ok(GroupMod {
                    command,
                    group_type,
                    group_id,
                    command_bucket_id,
                    buckets: decode_buckets(&mut b, version)?,
                    props: Prop::decode_all(r, "group property")?,
                })
            }
        }
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        out.put_u16(self.command);
        out.put_u8(self.group_type);
        out.put_u8(0);
        out.put_u32(self.group_id);
        match version {
            Version::Of13 => {
                if !self.props.is_empty() || self.command_bucket_id != WATCH_NONE {
                    return Err(EncodeError::NotInVersion {
                        what: "group properties or command bucket id",
                        version,
                    });
                }
                encode_buckets(&self.buckets, out, version)
            }
            Version::Of15 => {
                let len_at = out.len();
                out.put_u16(0);
                out.put_u16(0);
                out.put_u32(self.command_bucket_id);
                let start = out.len();
                encode_buckets(&self.buckets, out, version)?;
                patch_len(out, start, len_at, "group buckets")?;
                Prop::encode_all(&self.props, out)
            }
        }
    }
}

/// One group of an `OFPMP_GROUP_DESC` reply.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupDesc {
    /// `OFPGT_*`.
    pub group_type: u8,
    /// Group id.
    pub group_id: u32,
    /// The buckets.
    pub buckets: Vec<Bucket>,
    /// OpenFlow 1.5 group properties, verbatim.
    pub props: Vec<Prop>,
}

impl GroupDesc {
    /// Decodes one entry.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<GroupDesc, DecodeError> {
        let min = if version == Version::Of13 { 8 } else { 16 };
        let mut g = sub_by_len(r, 0, min, false, "ofp_group_desc_stats")?;
        g.skip(2, "ofp_group_desc_stats length")?;
        let group_type = g.u8("ofp_group_desc_stats")?;
        g.zeros(1, "ofp_group_desc_stats padding")?;
        let group_id = g.u32("ofp_group_desc_stats")?;
        match version {
            Version::Of13 => Ok(GroupDesc {
                group_type,
                group_id,
                buckets: decode_buckets(&mut g, version)?,
                props: Vec::new(),
            }),
            Version::Of15 => {
                let buckets_len = g.u16("ofp15_group_desc_stats")? as usize;
                g.zeros(6, "ofp15_group_desc_stats padding")?;
                let mut b = g.sub(buckets_len, "ofp15_group_desc_stats buckets")?;
                Ok(GroupDesc {
                    group_type,
                    group_id,
                    buckets: decode_buckets(&mut b, version)?,
                    props: Prop::decode_all(&mut g, "group property")?,
                })
            }
        }
    }

    /// Appends the entry.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u16(0);
        out.put_u8(self.group_type);
        out.put_u8(0);
        out.put_u32(self.group_id);
        match version {
            Version::Of13 => {
                if !self.props.is_empty() {
                    return Err(EncodeError::NotInVersion {
                        what: "group properties",
                        version,
                    });
                }
                encode_buckets(&self.buckets, out, version)?;
            }
            Version::Of15 => {
                let len_at = out.len();
                out.put_u16(0);
                out.put_bytes(0, 6);
                let bstart = out.len();
                encode_buckets(&self.buckets, out, version)?;
                patch_len(out, bstart, len_at, "group buckets")?;
                Prop::encode_all(&self.props, out)?;
            }
        }
        patch_len(out, start, start, "group description")
    }
}
