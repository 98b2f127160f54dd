//! The simple Nicira extension actions: resubmit, set_tunnel, pop_queue, exit, ct_clear, note,
//! fin_timeout, dec_ttl(ids), write_metadata, sample, conjunction, output_trunc and clone.
//!
//! Mirrors the corresponding `decode_NXAST_RAW_*` / `encode_*` functions of
//! `lib/ofp-actions.c`, including which reserved bytes must be zero (resubmit_table padding,
//! dec_ttl_cnt_ids and write_metadata zeros, sample3 zeros) and which OVS ignores.

use super::subfield::{bad, ActErr};
use super::{decode_list, fixed_len, min_len, put_nx_header, Action, Outer};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

const RESUBMIT: u16 = 1;
const SET_TUNNEL: u16 = 2;
const POP_QUEUE: u16 = 5;
const NOTE: u16 = 8;
const SET_TUNNEL64: u16 = 9;
const RESUBMIT_TABLE: u16 = 14;
const EXIT: u16 = 17;
const FIN_TIMEOUT: u16 = 19;
const DEC_TTL_CNT_IDS: u16 = 21;
const WRITE_METADATA: u16 = 22;
const SAMPLE: u16 = 29;
const CONJUNCTION: u16 = 34;
const SAMPLE2: u16 = 38;
const OUTPUT_TRUNC: u16 = 39;
const SAMPLE3: u16 = 41;
const CLONE: u16 = 42;
const CT_CLEAR: u16 = 43;
const RESUBMIT_TABLE_CT: u16 = 44;

/// Which of the three sample actions a [`Sample`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SampleForm {
    /// `NXAST_SAMPLE` (no sampling port, no direction).
    Sample,
    /// `NXAST_SAMPLE2` (adds the sampling port).
    Sample2,
    /// `NXAST_SAMPLE3` (adds the direction).
    Sample3,
}

/// `sample(...)`: IPFIX/sFlow sampling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sample {
    /// The wire form.
    pub form: SampleForm,
    /// Packets sampled out of 65535 (non-zero).
    pub probability: u16,
    /// Collector set id.
    pub collector_set_id: u32,
    /// Observation domain id.
    pub obs_domain_id: u32,
    /// Observation point id.
    pub obs_point_id: u32,
    /// Sampling port (`ANY` = none).
    pub sampling_port: PortNo,
    /// 0 default, 1 ingress, 2 egress.
    pub direction: u8,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be64(b: &[u8], at: usize) -> u64 {
    (be32(b, at) as u64) << 32 | be32(b, at + 4) as u64
}

fn nonzero(b: &[u8]) -> bool {
    b.iter().any(|&x| x != 0)
}

/// A Nicira action without arguments (16 bytes).
pub(crate) fn decode_void(bytes: &[u8], a: Action, what: &'static str) -> Result<Action, ActErr> {
    fixed_len(bytes, 16, what)?;
    Ok(a)
}

/// `NXAST_RESUBMIT`: the port only (table and padding are ignored, as in OVS).
pub(crate) fn decode_resubmit(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 16, "NXAST_RESUBMIT")?;
    Ok(Action::Resubmit {
        in_port: PortNo(be16(bytes, 10)),
    })
}

/// `NXAST_RESUBMIT_TABLE` / `NXAST_RESUBMIT_TABLE_CT`: padding must be zero.
pub(crate) fn decode_resubmit_table(bytes: &[u8], ct: bool) -> Result<Action, ActErr> {
    fixed_len(bytes, 16, "NXAST_RESUBMIT_TABLE")?;
    if nonzero(&bytes[13..16]) {
        return Err(bad("resubmit padding", 1));
    }
    Ok(Action::ResubmitTable {
        in_port: PortNo(be16(bytes, 10)),
        table: bytes[12],
        ct,
    })
}

/// `NXAST_SET_TUNNEL`.
pub(crate) fn decode_set_tunnel(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 16, "NXAST_SET_TUNNEL")?;
    Ok(Action::SetTunnel(be32(bytes, 12)))
}

/// `NXAST_SET_TUNNEL64`.
pub(crate) fn decode_set_tunnel64(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 24, "NXAST_SET_TUNNEL64")?;
    Ok(Action::SetTunnel64(be64(bytes, 16)))
}

/// `NXAST_NOTE`: everything after the subtype, padding included.
pub(crate) fn decode_note(bytes: &[u8]) -> Result<Action, ActErr> {
    min_len(bytes, 16, "NXAST_NOTE")?;
    Ok(Action::Note(Bytes::copy_from_slice(&bytes[10..])))
}

/// `NXAST_FIN_TIMEOUT`.
pub(crate) fn decode_fin_timeout(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 16, "NXAST_FIN_TIMEOUT")?;
    Ok(Action::FinTimeout {
        idle_timeout: be16(bytes, 10),
        hard_timeout: be16(bytes, 12),
    })
}

/// `NXAST_DEC_TTL_CNT_IDS`.
pub(crate) fn decode_dec_ttl_cnt_ids(bytes: &[u8]) -> Result<Action, ActErr> {
    min_len(bytes, 16, "NXAST_DEC_TTL_CNT_IDS")?;
    let n = be16(bytes, 10) as usize;
    if nonzero(&bytes[12..16]) {
        return Err(ActErr::Bad(DecodeError::BadPadding {
            what: "dec_ttl_cnt_ids",
        }));
    }
    if bytes.len() - 16 < n * 2 {
        return Err(ActErr::Bad(DecodeError::BadLength {
            what: "dec_ttl_cnt_ids controller ids",
            len: bytes.len(),
        }));
    }
    let ids = (0..n).map(|i| be16(bytes, 16 + 2 * i)).collect();
    Ok(Action::DecTtlCntIds(ids))
}

/// `NXAST_WRITE_METADATA`.
pub(crate) fn decode_write_metadata(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 32, "NXAST_WRITE_METADATA")?;
    if nonzero(&bytes[10..16]) {
        return Err(ActErr::Bad(DecodeError::BadPadding {
            what: "write_metadata",
        }));
    }
    Ok(Action::WriteMetadata {
        metadata: be64(bytes, 16),
        mask: be64(bytes, 24),
    })
}

/// `NXAST_SAMPLE`, `NXAST_SAMPLE2`, `NXAST_SAMPLE3`.
pub(crate) fn decode_sample(bytes: &[u8], subtype: u16) -> Result<Action, ActErr> {
    let form = match subtype {
        SAMPLE => SampleForm::Sample,
        SAMPLE2 => SampleForm::Sample2,
        _ => SampleForm::Sample3,
    };
    fixed_len(
        bytes,
        if form == SampleForm::Sample { 24 } else { 32 },
        "NXAST_SAMPLE",
    )?;
    let mut s = Sample {
        form,
        probability: be16(bytes, 10),
        collector_set_id: be32(bytes, 12),
        obs_domain_id: be32(bytes, 16),
        obs_point_id: be32(bytes, 20),
        sampling_port: PortNo::ANY,
        direction: 0,
    };
    if form != SampleForm::Sample {
        s.sampling_port = PortNo(be16(bytes, 24));
    }
    if form == SampleForm::Sample3 {
        if nonzero(&bytes[27..32]) {
            return Err(ActErr::Bad(DecodeError::BadPadding { what: "sample3" }));
        }
        if bytes[26] > 2 {
            return Err(bad("sample direction", bytes[26] as u64));
        }
        s.direction = bytes[26];
    }
    if s.probability == 0 {
        return Err(bad("sample probability", 0));
    }
    Ok(Action::Sample(s))
}

/// `NXAST_CONJUNCTION`.
pub(crate) fn decode_conjunction(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 16, "NXAST_CONJUNCTION")?;
    let (clause, n_clauses) = (bytes[10], bytes[11]);
    if !(2..=64).contains(&n_clauses) || clause >= n_clauses {
        return Err(bad(
            "conjunction clause",
            (clause as u64) << 8 | n_clauses as u64,
        ));
    }
    Ok(Action::Conjunction {
        id: be32(bytes, 12),
        clause,
        n_clauses,
    })
}

/// `NXAST_OUTPUT_TRUNC`.
pub(crate) fn decode_output_trunc(bytes: &[u8]) -> Result<Action, ActErr> {
    fixed_len(bytes, 16, "NXAST_OUTPUT_TRUNC")?;
    let max_len = be32(bytes, 12);
    if max_len < 14 {
        return Err(bad("output_trunc max_len", max_len as u64));
    }
    Ok(Action::OutputTrunc {
        port: PortNo(be16(bytes, 10)),
        max_len,
    })
}

/// `NXAST_CLONE`: nested actions after the 16-byte header.
pub(crate) fn decode_clone(bytes: &[u8], version: Version, depth: usize) -> Result<Action, ActErr> {
    min_len(bytes, 16, "NXAST_CLONE")?;
    let mut r = Reader::new(&bytes[16..]);
    Ok(Action::Clone(decode_list(
        &mut r,
        version,
        Outer::Clone,
        depth + 1,
    )?))
}

/// Encodes the actions of this module (the caller pads and writes the length).
pub(crate) fn encode(a: &Action, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
    match a {
        Action::Resubmit { in_port } => {
            put_nx_header(out, RESUBMIT);
            out.put_u16(in_port.0);
        }
        Action::ResubmitTable { in_port, table, ct } => {
            put_nx_header(
                out,
                if *ct {
                    RESUBMIT_TABLE_CT
                } else {
                    RESUBMIT_TABLE
                },
            );
            out.put_u16(in_port.0);
            out.put_u8(*table);
        }
        Action::SetTunnel(id) => {
            put_nx_header(out, SET_TUNNEL);
            out.put_u16(0);
            out.put_u32(*id);
        }
        Action::SetTunnel64(id) => {
            put_nx_header(out, SET_TUNNEL64);
            out.put_bytes(0, 6);
            out.put_u64(*id);
        }
        Action::PopQueue => put_nx_header(out, POP_QUEUE),
        Action::Exit => put_nx_header(out, EXIT),
        Action::CtClear => put_nx_header(out, CT_CLEAR),
        Action::Note(data) => {
            put_nx_header(out, NOTE);
            out.put_slice(data);
        }
        Action::FinTimeout {
            idle_timeout,
            hard_timeout,
        } => {
            put_nx_header(out, FIN_TIMEOUT);
            out.put_u16(*idle_timeout);
            out.put_u16(*hard_timeout);
        }
        Action::DecTtlCntIds(ids) => {
            let n = u16::try_from(ids.len()).map_err(|_| EncodeError::TooLong {
                what: "dec_ttl controller ids",
                len: ids.len(),
            })?;
            put_nx_header(out, DEC_TTL_CNT_IDS);
            out.put_u16(n);
            out.put_u32(0);
            for id in ids {
                out.put_u16(*id);
            }
        }
        Action::WriteMetadata { metadata, mask } => {
            put_nx_header(out, WRITE_METADATA);
            out.put_bytes(0, 6);
            out.put_u64(*metadata);
            out.put_u64(*mask);
        }
        Action::Sample(s) => encode_sample(s, out)?,
        Action::Conjunction {
            id,
            clause,
            n_clauses,
        } => {
            if !(2..=64).contains(n_clauses) || clause >= n_clauses {
                return Err(EncodeError::BadValue {
                    what: "conjunction",
                    problem: format!("clause {clause} of {n_clauses} (0-based, 2..=64 clauses)"),
                });
            }
            put_nx_header(out, CONJUNCTION);
            out.put_u8(*clause);
            out.put_u8(*n_clauses);
            out.put_u32(*id);
        }
        Action::OutputTrunc { port, max_len } => {
            put_nx_header(out, OUTPUT_TRUNC);
            out.put_u16(port.0);
            out.put_u32(*max_len);
        }
        Action::Clone(actions) => {
            put_nx_header(out, CLONE);
            out.put_bytes(0, 6);
            super::encode_actions(actions, out, version)?;
        }
        other => {
            return Err(EncodeError::BadValue {
                what: "action",
                problem: format!("{other:?} is not a simple Nicira action"),
            })
        }
    }
    Ok(())
}

fn encode_sample(s: &Sample, out: &mut BytesMut) -> Result<(), EncodeError> {
    let bad_form = |problem: &str| EncodeError::BadValue {
        what: "sample",
        problem: problem.to_owned(),
    };
    match s.form {
        SampleForm::Sample if s.sampling_port != PortNo::ANY || s.direction != 0 => {
            return Err(bad_form("NXAST_SAMPLE has no sampling port or direction"))
        }
        SampleForm::Sample2 if s.direction != 0 => {
            return Err(bad_form("NXAST_SAMPLE2 has no direction"))
        }
        _ => {}
    }
    put_nx_header(
        out,
        match s.form {
            SampleForm::Sample => SAMPLE,
            SampleForm::Sample2 => SAMPLE2,
            SampleForm::Sample3 => SAMPLE3,
        },
    );
    out.put_u16(s.probability);
    out.put_u32(s.collector_set_id);
    out.put_u32(s.obs_domain_id);
    out.put_u32(s.obs_point_id);
    if s.form != SampleForm::Sample {
        out.put_u16(s.sampling_port.0);
        out.put_u8(s.direction);
    }
    Ok(())
}
