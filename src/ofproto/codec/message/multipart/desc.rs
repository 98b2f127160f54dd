//! `OFPMP_DESC` reply: the switch's description strings (`ofp_desc_stats`).

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::message::prop::FixedStr;
use crate::ofproto::codec::DecodeError;
use bytes::BytesMut;

/// Switch description.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DescStats {
    /// Manufacturer.
    pub mfr_desc: FixedStr<256>,
    /// Hardware.
    pub hw_desc: FixedStr<256>,
    /// Software (OVS version).
    pub sw_desc: FixedStr<256>,
    /// Serial number.
    pub serial_num: FixedStr<32>,
    /// Datapath description.
    pub dp_desc: FixedStr<256>,
}

impl DescStats {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>) -> Result<DescStats, DecodeError> {
        let d = DescStats {
            mfr_desc: FixedStr::decode(r, "ofp_desc_stats")?,
            hw_desc: FixedStr::decode(r, "ofp_desc_stats")?,
            sw_desc: FixedStr::decode(r, "ofp_desc_stats")?,
            serial_num: FixedStr::decode(r, "ofp_desc_stats")?,
            dp_desc: FixedStr::decode(r, "ofp_desc_stats")?,
        };
        r.finish("ofp_desc_stats")?;
        Ok(d)
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut) {
        self.mfr_desc.encode(out);
        self.hw_desc.encode(out);
        self.sw_desc.encode(out);
        self.serial_num.encode(out);
        self.dp_desc.encode(out);
    }
}
