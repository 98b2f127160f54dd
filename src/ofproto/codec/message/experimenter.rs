//! `OFPT_EXPERIMENTER` messages this codec does not model (everything but Nicira extensions and
//! the OpenFlow 1.3 ONF bundle messages), kept verbatim.

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::DecodeError;
use bytes::{BufMut, Bytes, BytesMut};

/// An experimenter message: `experimenter` id, experimenter-defined type, and the rest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Experimenter {
    /// Experimenter id (e.g. `ONF_VENDOR_ID`).
    pub experimenter: u32,
    /// Experimenter-defined message type.
    pub exp_type: u32,
    /// Everything after the 16-byte experimenter header.
    pub data: Bytes,
}

impl Experimenter {
    /// Decodes the body after `ofp_header`.
    pub fn decode(body: &[u8]) -> Result<Experimenter, DecodeError> {
        let mut r = Reader::new(body);
        Ok(Experimenter {
            experimenter: r.u32("ofp_experimenter_header")?,
            exp_type: r.u32("ofp_experimenter_header")?,
            data: Bytes::copy_from_slice(r.take_rest()),
        })
    }

    /// Appends the body after `ofp_header`.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.experimenter);
        out.put_u32(self.exp_type);
        out.put_slice(&self.data);
    }
}
