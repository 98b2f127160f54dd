//! Shared building blocks of message bodies: OpenFlow property lists, fixed-size name fields
//! and length back-patching.
//!
//! Properties (`struct ofp_prop_header` in OVS `include/openflow/openflow-common.h`) are
//! `type(16) length(16)` + `length - 4` bytes of payload + zero padding to a multiple of 8; the
//! padding is not counted in `length`. Hello elements, OF1.4+ port/table/group/bucket
//! properties, table-feature properties, bundle properties and NXT_PACKET_IN2 properties all
//! use this form. Decoding requires the padding to be zero, so re-encoding is byte-identical.

use crate::ofproto::codec::buf::{patch_u16, Reader};
use crate::ofproto::codec::{DecodeError, EncodeError};
use bytes::{BufMut, Bytes, BytesMut};

/// One property TLV, kept as its type and payload (padding stripped, always re-added as zeros).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Prop {
    /// The property type.
    pub prop_type: u16,
    /// The payload: `length - 4` bytes (for experimenter properties this starts with the
    /// experimenter id and type).
    pub data: Bytes,
}

impl Prop {
    /// A property of `prop_type` carrying `data`.
    pub fn new(prop_type: u16, data: impl Into<Bytes>) -> Prop {
        Prop {
            prop_type,
            data: data.into(),
        }
    }

    /// Decodes one property (with its padding) from `r`.
    pub fn decode(r: &mut Reader<'_>, what: &'static str) -> Result<Prop, DecodeError> {
        let prop_type = r.u16(what)?;
        let len = r.u16(what)? as usize;
        if len < 4 {
            return Err(DecodeError::BadLength { what, len });
        }
        let data = Bytes::copy_from_slice(r.bytes(len - 4, what)?);
        let pad = len.div_ceil(8) * 8 - len;
        // The last property of a list may omit its padding when the container ends there (OVS
        // tolerates it in `ofpprop_pull__`), but then re-encoding would add it: refuse.
        r.zeros(pad, what)?;
        Ok(Prop { prop_type, data })
    }

    /// Decodes properties until `r` is empty.
    pub fn decode_all(r: &mut Reader<'_>, what: &'static str) -> Result<Vec<Prop>, DecodeError> {
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(Prop::decode(r, what)?);
        }
        Ok(out)
    }

    /// Appends the property with zero padding to 8 bytes.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let len = 4 + self.data.len();
        let len16 = u16::try_from(len).map_err(|_| EncodeError::TooLong {
            what: "property",
            len,
        })?;
        out.put_u16(self.prop_type);
        out.put_u16(len16);
        out.put_slice(&self.data);
        out.put_bytes(0, len.div_ceil(8) * 8 - len);
        Ok(())
    }

    /// Appends every property of `props`.
    pub fn encode_all(props: &[Prop], out: &mut BytesMut) -> Result<(), EncodeError> {
        props.iter().try_for_each(|p| p.encode(out))
    }

    /// The payload as a big-endian u32, if it is exactly 4 bytes.
    pub fn as_u32(&self) -> Option<u32> {
        <[u8; 4]>::try_from(&self.data[..])
            .ok()
            .map(u32::from_be_bytes)
    }

    /// The payload as a big-endian u64, if it is exactly 8 bytes.
    pub fn as_u64(&self) -> Option<u64> {
        <[u8; 8]>::try_from(&self.data[..])
            .ok()
            .map(u64::from_be_bytes)
    }
}

/// A fixed-size, NUL-padded name field (`char name[N]` on the wire: port names, table names,
/// description strings), kept byte for byte so that re-encoding is lossless.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedStr<const N: usize>(pub [u8; N]);

impl<const N: usize> FixedStr<N> {
    /// A field holding `s`, truncated to `N - 1` bytes so it stays NUL-terminated (as OVS's
    /// `ovs_strlcpy` does).
    pub fn new(s: &str) -> Self {
        let mut b = [0u8; N];
        let n = s.len().min(N.saturating_sub(1));
        b[..n].copy_from_slice(&s.as_bytes()[..n]);
        FixedStr(b)
    }

    /// The bytes before the first NUL.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self.0.iter().position(|&c| c == 0).unwrap_or(N);
        &self.0[..end]
    }

    /// The text before the first NUL (invalid UTF-8 replaced).
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }

    /// Reads the field.
    pub fn decode(r: &mut Reader<'_>, what: &'static str) -> Result<Self, DecodeError> {
        r.array::<N>(what).map(FixedStr)
    }

    /// Writes the field.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.0);
    }
}

impl<const N: usize> Default for FixedStr<N> {
    fn default() -> Self {
        FixedStr([0; N])
    }
}

impl<const N: usize> std::fmt::Debug for FixedStr<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.to_string_lossy())
    }
}

/// Patches a 16-bit length slot at `offset` with `out.len() - start`, or fails if it does not
/// fit.
pub fn patch_len(
    out: &mut BytesMut,
    start: usize,
    offset: usize,
    what: &'static str,
) -> Result<(), EncodeError> {
    let len = out.len() - start;
    let len16 = u16::try_from(len).map_err(|_| EncodeError::TooLong { what, len })?;
    patch_u16(out, offset, len16);
    Ok(())
}

/// Reads a 16-bit length field at offset `at` of `r` (not consumed) and carves a sub-reader of
/// that many bytes, checking it is at least `min` and, if `align8`, a multiple of 8.
pub fn sub_by_len<'a>(
    r: &mut Reader<'a>,
    at: usize,
    min: usize,
    align8: bool,
    what: &'static str,
) -> Result<Reader<'a>, DecodeError> {
    let len = r.peek_u16(at, what)? as usize;
    if len < min || (align8 && !len.is_multiple_of(8)) {
        return Err(DecodeError::BadLength { what, len });
    }
    r.sub(len, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prop_round_trip_and_strict_padding() {
        let p = Prop::new(7, vec![1, 2, 3]);
        let mut b = BytesMut::new();
        p.encode(&mut b).unwrap();
        assert_eq!(&b[..], &[0, 7, 0, 7, 1, 2, 3, 0]);
        let mut r = Reader::new(&b);
        assert_eq!(Prop::decode(&mut r, "p").unwrap(), p);
        let bad = [0, 7, 0, 7, 1, 2, 3, 9];
        assert!(Prop::decode(&mut Reader::new(&bad), "p").is_err());
        let short = [0, 7, 0, 3];
        assert!(Prop::decode(&mut Reader::new(&short), "p").is_err());
    }

    #[test]
    fn fixed_str() {
        let s = FixedStr::<8>::new("antrea-gw0");
        assert_eq!(s.to_string_lossy(), "antrea-");
        assert_eq!(s.0[7], 0);
    }
}
