//! The 8-byte `ofp_header` every OpenFlow message starts with, and cheap framing.

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::DecodeError;

/// Length of `ofp_header`.
pub const HEADER_LEN: usize = 8;

/// `ofp_header`: version, type, length and transaction id.
///
/// The version is kept as the raw byte because HELLO, ERROR and ECHO must be understood whatever
/// version the peer speaks (version negotiation happens through them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// `ofp_header.version` (0x04 = OpenFlow 1.3, 0x06 = OpenFlow 1.5).
    pub version: u8,
    /// `ofp_header.type` (`OFPT_*`).
    pub msg_type: u8,
    /// Total message length including the header.
    pub length: u16,
    /// Transaction id.
    pub xid: u32,
}

impl Header {
    /// Reads a header from the first 8 bytes of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Header, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("ofp_header")?;
        let msg_type = r.u8("ofp_header")?;
        let length = r.u16("ofp_header")?;
        let xid = r.u32("ofp_header")?;
        Ok(Header {
            version,
            msg_type,
            length,
            xid,
        })
    }
}

/// How many bytes the message at the start of `bytes` occupies, once its header is buffered:
/// `None` while fewer than 8 bytes are available, otherwise `ofp_header.length`.
///
/// This is all a stream framer needs (it never allocates or decodes the body). A returned
/// length below 8 means the stream is corrupt; [`super::decode`] rejects such a frame with
/// [`DecodeError::BadLength`], and the connection should be closed.
pub fn frame_len(bytes: &[u8]) -> Option<usize> {
    match bytes {
        [_, _, hi, lo, _, _, _, _, ..] => Some(u16::from_be_bytes([*hi, *lo]) as usize),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing() {
        assert_eq!(frame_len(&[4, 0, 0, 8, 0, 0, 0]), None);
        assert_eq!(frame_len(&[4, 0, 0, 16, 0, 0, 0, 1, 9]), Some(16));
        let h = Header::decode(&[4, 14, 0, 0x50, 0, 0, 0, 7]).unwrap();
        assert_eq!((h.version, h.msg_type, h.length, h.xid), (4, 14, 0x50, 7));
    }
}
