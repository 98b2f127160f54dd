//! `OFPT_ERROR`: standard errors (`type`, `code`) and OpenFlow 1.2+ experimenter errors
//! (`type = 0xffff`, `exp_code`, `experimenter`), with OVS's error names.
//!
//! Names follow OVS `include/openvswitch/ofp-errors.h` (table in `error_table.rs`): the same
//! condition may have different numbers per version, e.g. a bundle error is the ONF experimenter
//! error 2300+n in OpenFlow 1.3 (`ONF1.3(2300)`) and the standard type 17 in 1.4+
//! (`OF1.4+(17,n)`). Decoding follows `ofperr_decode_msg`: for an experimenter error the
//! experimenter's code plays the role of the type and the code is 0.

use super::error_table::ERRORS;
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{DecodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

/// `OFPET12_EXPERIMENTER`.
pub const OFPET_EXPERIMENTER: u16 = 0xffff;
/// Nicira's experimenter id.
pub const NX_VENDOR_ID: u32 = 0x0000_2320;
/// The Open Networking Foundation's experimenter id.
pub const ONF_VENDOR_ID: u32 = 0x4f4e_4600;

/// Which error an `OFPT_ERROR` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A standard error: `ofp_error_msg.type` and `.code`.
    Standard {
        /// `OFPET_*`.
        err_type: u16,
        /// The type-specific code.
        code: u16,
    },
    /// An experimenter error (`type = 0xffff`).
    Experimenter {
        /// The experimenter-defined code (e.g. 2300 = ONF bundle `OFPBFC_UNKNOWN`).
        exp_code: u16,
        /// The experimenter id (`NX_VENDOR_ID`, `ONF_VENDOR_ID`...).
        experimenter: u32,
    },
}

impl ErrorCode {
    /// OVS's name for this error in `version` (`OFPBRC_BAD_TYPE`, `OFPBFC_MSG_BAD_XID`...), if
    /// OVS knows it.
    pub fn name(self, version: Version) -> Option<&'static str> {
        let key = self.triplet();
        ERRORS
            .iter()
            .find(|(_, v13, v15)| {
                let t = match version {
                    Version::Of13 => v13,
                    Version::Of15 => v15,
                };
                *t == Some(key)
            })
            .map(|(name, _, _)| *name)
    }

    /// The error OVS calls `name` (`OFPBFC_MSG_BAD_XID`), as encoded in `version`.
    pub fn from_name(name: &str, version: Version) -> Option<ErrorCode> {
        let (_, v13, v15) = ERRORS.iter().find(|(n, _, _)| *n == name)?;
        let (vendor, ty, code) = match version {
            Version::Of13 => (*v13)?,
            Version::Of15 => (*v15)?,
        };
        Some(if vendor == 0 {
            ErrorCode::Standard { err_type: ty, code }
        } else {
            ErrorCode::Experimenter {
                exp_code: ty,
                experimenter: vendor,
            }
        })
    }

    /// `(vendor, type, code)` as OVS's error tables key it.
    fn triplet(self) -> (u32, u16, u16) {
        match self {
            ErrorCode::Standard { err_type, code } => (0, err_type, code),
            ErrorCode::Experimenter {
                exp_code,
                experimenter,
            } => (experimenter, exp_code, 0),
        }
    }
}

/// An `OFPT_ERROR` message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorMsg {
    /// The error.
    pub code: ErrorCode,
    /// Usually the first bytes of the offending request (at least its header); for
    /// `OFPHFC_*` a text explanation.
    pub data: Bytes,
}

impl ErrorMsg {
    /// Decodes an error body.
    pub fn decode(body: &[u8]) -> Result<ErrorMsg, DecodeError> {
        let mut r = Reader::new(body);
        let err_type = r.u16("ofp_error_msg")?;
        let code = r.u16("ofp_error_msg")?;
        let code = if err_type == OFPET_EXPERIMENTER {
            ErrorCode::Experimenter {
                exp_code: code,
                experimenter: r.u32("ofp_error_experimenter_msg")?,
            }
        } else {
            ErrorCode::Standard { err_type, code }
        };
        Ok(ErrorMsg {
            code,
            data: Bytes::copy_from_slice(r.take_rest()),
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut) {
        match self.code {
            ErrorCode::Standard { err_type, code } => {
                out.put_u16(err_type);
                out.put_u16(code);
            }
            ErrorCode::Experimenter {
                exp_code,
                experimenter,
            } => {
                out.put_u16(OFPET_EXPERIMENTER);
                out.put_u16(exp_code);
                out.put_u32(experimenter);
            }
        }
        out.put_slice(&self.data);
    }

    /// The `ofp_header` of the request this error answers, when `data` starts with one.
    pub fn request_header(&self) -> Option<super::Header> {
        super::Header::decode(&self.data).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_per_version() {
        let b13 = ErrorCode::from_name("OFPBFC_MSG_BAD_XID", Version::Of13).unwrap();
        assert_eq!(
            b13,
            ErrorCode::Experimenter {
                exp_code: 2309,
                experimenter: ONF_VENDOR_ID
            }
        );
        let b15 = ErrorCode::from_name("OFPBFC_MSG_BAD_XID", Version::Of15).unwrap();
        assert_eq!(
            b15,
            ErrorCode::Standard {
                err_type: 17,
                code: 9
            }
        );
        assert_eq!(b13.name(Version::Of13), Some("OFPBFC_MSG_BAD_XID"));
        assert_eq!(b15.name(Version::Of15), Some("OFPBFC_MSG_BAD_XID"));
        let nx = ErrorCode::Experimenter {
            exp_code: 4,
            experimenter: NX_VENDOR_ID,
        };
        assert_eq!(nx.name(Version::Of13), Some("NXBRC_MUST_BE_ZERO"));
        let e = ErrorMsg::decode(&[0xff, 0xff, 0x0a, 0x28, 0x4f, 0x4e, 0x46, 0, 9]).unwrap();
        assert_eq!(e.code.name(Version::Of13), Some("OFPBIC_DUP_INST"));
        let mut b = BytesMut::new();
        e.encode(&mut b);
        assert_eq!(&b[..], &[0xff, 0xff, 0x0a, 0x28, 0x4f, 0x4e, 0x46, 0, 9]);
    }
}
