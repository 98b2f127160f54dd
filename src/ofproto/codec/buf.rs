//! Bounded reading and back-patched writing, shared by every wire structure.
//!
//! [`Reader`] is the only way decoders touch input bytes: each read checks the remaining length
//! and returns [`DecodeError::Truncated`] instead of panicking, and [`Reader::sub`] carves a
//! child reader of exactly a declared length so a nested TLV cannot read past its own end
//! (the rustls `Reader::sub` idea).

use super::DecodeError;
use bytes::BytesMut;

/// A cursor over input bytes that never reads past its end.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The unconsumed bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// Consumes and returns `n` bytes.
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated {
                what,
                need: n,
                have: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Consumes everything left.
    pub fn take_rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// Consumes `n` bytes and returns a reader over exactly them.
    pub fn sub(&mut self, n: usize, what: &'static str) -> Result<Reader<'a>, DecodeError> {
        self.bytes(n, what).map(Reader::new)
    }

    /// Consumes a fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let b = self.bytes(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// Consumes one byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// Consumes a big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// Consumes a big-endian u32.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// Consumes a big-endian u64.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// Peeks a big-endian u16 at `offset` without consuming.
    pub fn peek_u16(&self, offset: usize, what: &'static str) -> Result<u16, DecodeError> {
        match self.buf.get(offset..offset + 2) {
            Some(b) => Ok(u16::from_be_bytes([b[0], b[1]])),
            None => Err(DecodeError::Truncated {
                what,
                need: offset + 2,
                have: self.buf.len(),
            }),
        }
    }

    /// Peeks a big-endian u32 at `offset` without consuming.
    pub fn peek_u32(&self, offset: usize, what: &'static str) -> Result<u32, DecodeError> {
        match self.buf.get(offset..offset + 4) {
            Some(b) => Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            None => Err(DecodeError::Truncated {
                what,
                need: offset + 4,
                have: self.buf.len(),
            }),
        }
    }

    /// Consumes `n` padding bytes, which must be zero.
    pub fn zeros(&mut self, n: usize, what: &'static str) -> Result<(), DecodeError> {
        if self.bytes(n, what)?.iter().any(|&b| b != 0) {
            return Err(DecodeError::BadPadding { what });
        }
        Ok(())
    }

    /// Consumes `n` bytes whatever they hold (padding OVS does not check either).
    pub fn skip(&mut self, n: usize, what: &'static str) -> Result<(), DecodeError> {
        self.bytes(n, what).map(|_| ())
    }

    /// Fails with [`DecodeError::Trailing`] unless everything was consumed.
    pub fn finish(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Trailing {
                what,
                extra: self.buf.len(),
            })
        }
    }
}

/// Writes `value` as a big-endian u16 at `offset` of `out` (a length slot reserved earlier).
///
/// Callers reserve the slot with `put_u16(0)` and remember `out.len()` before it; the slot is
/// always inside `out`, so this cannot fail.
pub fn patch_u16(out: &mut BytesMut, offset: usize, value: u16) {
    if let Some(slot) = out.get_mut(offset..offset + 2) {
        slot.copy_from_slice(&value.to_be_bytes());
    }
}

/// Appends zero bytes until `out.len() - start` is a multiple of `align`.
pub fn pad_to(out: &mut BytesMut, start: usize, align: usize) {
    let len = out.len() - start;
    let padded = len.div_ceil(align) * align;
    out.resize(start + padded, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_bounded() {
        let mut r = Reader::new(&[0, 1, 2, 3, 4]);
        assert_eq!(r.u16("a").unwrap(), 1);
        let mut s = r.sub(2, "sub").unwrap();
        assert_eq!(s.u8("x").unwrap(), 2);
        assert_eq!(
            s.u16("y"),
            Err(DecodeError::Truncated {
                what: "y",
                need: 2,
                have: 1
            })
        );
        assert_eq!(
            r.u32("z"),
            Err(DecodeError::Truncated {
                what: "z",
                need: 4,
                have: 1
            })
        );
        assert!(r.finish("r").is_err());
    }

    #[test]
    fn padding_and_patching() {
        let mut b = BytesMut::new();
        b.extend_from_slice(&[0xaa, 0, 0, 0xbb, 0xcc]);
        pad_to(&mut b, 0, 8);
        patch_u16(&mut b, 1, 0x1234);
        assert_eq!(&b[..], &[0xaa, 0x12, 0x34, 0xbb, 0xcc, 0, 0, 0]);
    }
}
