//! Cuts an OpenFlow byte stream into whole messages: an 8-byte `ofp_header` whose `length`
//! (≥ 8) covers the header and body. Nothing is decoded here, so a message whose body is bad
//! still comes out as a frame (the session turns it into a value); only a length below 8 is
//! fatal, because after it the stream cannot be cut any more.

use crate::ofproto::codec::message::{frame_len, HEADER_LEN};
use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Why the stream cannot be framed.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// `ofp_header.length` below 8.
    #[error("bad OpenFlow frame length {0}")]
    BadLength(usize),
    /// The transport failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The OpenFlow framer, for `tokio_util::codec::FramedRead` (decoding) and `FramedWrite`
/// (encoding already-encoded messages).
#[derive(Clone, Copy, Debug, Default)]
pub struct OfFramer;

impl OfFramer {
    /// Takes one whole message off the front of `buf`, if it is all there.
    pub fn next_frame(buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        let Some(len) = frame_len(buf) else {
            return Ok(None);
        };
        if len < HEADER_LEN {
            return Err(FrameError::BadLength(len));
        }
        if buf.len() < len {
            buf.reserve(len - buf.len());
            return Ok(None);
        }
        Ok(Some(buf.split_to(len).freeze()))
    }
}

impl Decoder for OfFramer {
    type Item = Bytes;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        OfFramer::next_frame(src)
    }
}

impl Encoder<Bytes> for OfFramer {
    type Error = FrameError;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), FrameError> {
        dst.extend_from_slice(&item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_whole_frames_only() {
        let mut b = BytesMut::new();
        let mut f = OfFramer;
        b.extend_from_slice(&[4, 20, 0, 8, 0, 0]);
        assert!(f.decode(&mut b).unwrap().is_none());
        b.extend_from_slice(&[0, 1, 4, 2, 0, 12, 0, 0, 0, 2, 1, 2]);
        assert_eq!(
            f.decode(&mut b).unwrap().unwrap().as_ref(),
            &[4, 20, 0, 8, 0, 0, 0, 1]
        );
        assert!(f.decode(&mut b).unwrap().is_none());
        b.extend_from_slice(&[3, 4]);
        assert_eq!(f.decode(&mut b).unwrap().unwrap().len(), 12);
        assert!(b.is_empty());
    }

    #[test]
    fn short_length_is_fatal() {
        let mut b = BytesMut::from(&[4u8, 0, 0, 7, 0, 0, 0, 0][..]);
        assert!(matches!(
            OfFramer.decode(&mut b),
            Err(FrameError::BadLength(7))
        ));
    }
}
