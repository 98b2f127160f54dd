//! `OFPT_HELLO`: the first message on a connection, carrying the versions a side speaks.
//!
//! Mirrors OVS `lib/ofp-util.c` (`ofputil_decode_hello`, `ofputil_encode_hello`): the body is a
//! list of hello elements (property TLVs padded to 8); element type 1 (`OFPHET_VERSIONBITMAP`)
//! holds 32-bit bitmaps where bit `v` means version `v`. Without a bitmap, a hello announces
//! every version up to its header version. Bytes that do not parse as elements are kept in
//! [`Hello::extra`], so any hello re-encodes byte for byte.

use super::prop::Prop;
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

/// Hello element type of the version bitmap.
pub const OFPHET_VERSIONBITMAP: u16 = 1;

/// An `OFPT_HELLO` body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Hello {
    /// Hello elements, in wire order.
    pub elements: Vec<Prop>,
    /// Bytes after the last well-formed element (normally empty).
    pub extra: Bytes,
}

impl Hello {
    /// A hello announcing exactly `versions` with a version bitmap, as ovs-vswitchd and
    /// ovs-ofctl send it when more than one non-contiguous version is allowed. The message must
    /// be sent with the highest of them in its header.
    pub fn with_versions(versions: &[Version]) -> Hello {
        let bitmap = versions
            .iter()
            .fold(0u32, |acc, v| acc | (1u32 << v.wire()));
        Hello {
            elements: vec![Prop::new(
                OFPHET_VERSIONBITMAP,
                Bytes::copy_from_slice(&bitmap.to_be_bytes()),
            )],
            extra: Bytes::new(),
        }
    }

    /// Decodes a hello body. Never fails: what does not parse is kept in `extra`.
    pub fn decode(body: &[u8]) -> Hello {
        let mut r = Reader::new(body);
        let mut elements = Vec::new();
        while !r.is_empty() {
            let before = r.clone();
            match Prop::decode(&mut r, "hello element") {
                Ok(p) => elements.push(p),
                Err(_) => {
                    return Hello {
                        elements,
                        extra: Bytes::copy_from_slice(before.rest()),
                    }
                }
            }
        }
        Hello {
            elements,
            extra: Bytes::new(),
        }
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        Prop::encode_all(&self.elements, out)?;
        out.put_slice(&self.extra);
        Ok(())
    }

    /// The versions the sender allows, as a bitmap (bit `v` = wire version `v`), given the
    /// header's version byte; and whether the hello was fully understood. Same rules as OVS
    /// `ofputil_decode_hello`: start from "every version up to the header's", let each valid
    /// version-bitmap element replace it (only its first 32-bit word, version 0 ignored), and
    /// flag anything else.
    pub fn allowed_versions(&self, header_version: u8) -> (u32, bool) {
        let mut allowed = if header_version < 32 {
            ((1u32 << header_version) - 1) << 1
        } else {
            u32::MAX << 1
        };
        let mut ok = self.extra.is_empty();
        for e in &self.elements {
            let words = &e.data;
            if e.prop_type != OFPHET_VERSIONBITMAP || words.is_empty() || words.len() % 4 != 0 {
                ok = false;
                continue;
            }
            let first = u32::from_be_bytes([words[0], words[1], words[2], words[3]]) & !1;
            if first == 0 {
                ok = false;
            } else {
                allowed = first;
            }
        }
        (allowed, ok)
    }

    /// The highest version both sides allow (`ours` is a bitmap like [`Hello::allowed_versions`]
    /// returns), as OVS's `rconn`/`vconn` negotiation picks it.
    pub fn negotiate(&self, header_version: u8, ours: u32) -> Option<u8> {
        let common = self.allowed_versions(header_version).0 & ours;
        (common != 0).then(|| 31 - common.leading_zeros() as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_and_negotiation() {
        let h = Hello::with_versions(&[Version::Of13, Version::Of15]);
        let mut b = BytesMut::new();
        h.encode(&mut b).unwrap();
        assert_eq!(&b[..], &[0, 1, 0, 8, 0, 0, 0, 0x50]);
        assert_eq!(Hello::decode(&b), h);
        assert_eq!(h.allowed_versions(6), (0x50, true));
        assert_eq!(h.negotiate(6, 1 << 4), Some(4));
        assert_eq!(h.negotiate(6, 1 << 1), None);
        let bare = Hello::decode(&[]);
        assert_eq!(bare.allowed_versions(4), (0x1e, true));
        let junk = Hello::decode(&[0xff, 0xff, 0, 6, 1, 2]);
        assert_eq!(junk.extra.len(), 6);
    }
}
