//! Meters: `OFPT_METER_MOD` and the meter bands shared with meter-config replies
//! (`ofp13_meter_mod`, `ofp13_meter_band_*`; the same in OpenFlow 1.5). Mirrors OVS
//! `lib/ofp-meter.c`.

use super::prop::sub_by_len;
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{DecodeError, EncodeError};
use bytes::{BufMut, Bytes, BytesMut};

/// One meter band: the common header plus its type-specific bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MeterBand {
    /// `OFPMBT_*`: 1 drop, 2 dscp_remark, 0xffff experimenter.
    pub band_type: u16,
    /// Rate (kbps or pktps per the meter flags).
    pub rate: u32,
    /// Burst size.
    pub burst_size: u32,
    /// The bytes after the 12-byte header: padding for drop, `prec_level` + padding for
    /// dscp_remark, the experimenter id for experimenter bands.
    pub data: Bytes,
}

impl MeterBand {
    /// Drop band.
    pub const DROP: u16 = 1;
    /// DSCP remark band.
    pub const DSCP_REMARK: u16 = 2;

    /// A drop band (`type=drop rate=R burst_size=B`).
    pub fn drop(rate: u32, burst_size: u32) -> MeterBand {
        MeterBand {
            band_type: Self::DROP,
            rate,
            burst_size,
            data: Bytes::from_static(&[0; 4]),
        }
    }

    /// The precedence level of a dscp_remark band.
    pub fn prec_level(&self) -> u8 {
        self.data.first().copied().unwrap_or(0)
    }

    /// Decodes one band.
    pub fn decode(r: &mut Reader<'_>) -> Result<MeterBand, DecodeError> {
        let mut b = sub_by_len(r, 2, 12, false, "ofp13_meter_band")?;
        let band_type = b.u16("ofp13_meter_band")?;
        b.skip(2, "ofp13_meter_band length")?;
        Ok(MeterBand {
            band_type,
            rate: b.u32("ofp13_meter_band")?,
            burst_size: b.u32("ofp13_meter_band")?,
            data: Bytes::copy_from_slice(b.take_rest()),
        })
    }

    /// Appends the band.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u16(self.band_type);
        out.put_u16(0);
        out.put_u32(self.rate);
        out.put_u32(self.burst_size);
        out.put_slice(&self.data);
        super::prop::patch_len(out, start, start + 2, "meter band")
    }
}

/// Decodes bands until `r` is empty.
pub fn decode_bands(r: &mut Reader<'_>) -> Result<Vec<MeterBand>, DecodeError> {
    let mut v = Vec::new();
    while !r.is_empty() {
        v.push(MeterBand::decode(r)?);
    }
    Ok(v)
}

/// Appends bands.
pub fn encode_bands(bands: &[MeterBand], out: &mut BytesMut) -> Result<(), EncodeError> {
    bands.iter().try_for_each(|b| b.encode(out))
}

/// `OFPT_METER_MOD`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MeterMod {
    /// `OFPMC_*`: 0 add, 1 modify, 2 delete.
    pub command: u16,
    /// `OFPMF_*`: 1 kbps, 2 pktps, 4 burst, 8 stats.
    pub flags: u16,
    /// Meter id.
    pub meter_id: u32,
    /// Bands.
    pub bands: Vec<MeterBand>,
}

impl MeterMod {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>) -> Result<MeterMod, DecodeError> {
        Ok(MeterMod {
            command: r.u16("ofp13_meter_mod")?,
            flags: r.u16("ofp13_meter_mod")?,
            meter_id: r.u32("ofp13_meter_mod")?,
            bands: decode_bands(r)?,
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        out.put_u16(self.command);
        out.put_u16(self.flags);
        out.put_u32(self.meter_id);
        encode_bands(&self.bands, out)
    }
}
