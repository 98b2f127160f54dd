//! Meter multipart bodies: `OFPMP_METER` (statistics), `OFPMP_METER_CONFIG` and
//! `OFPMP_METER_FEATURES` (`ofp13_meter_*`, unchanged in 1.5). Mirrors OVS `lib/ofp-meter.c`.

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::message::meter_mod::{decode_bands, encode_bands, MeterBand};
use crate::ofproto::codec::message::prop::{patch_len, sub_by_len};
use crate::ofproto::codec::{DecodeError, EncodeError};
use bytes::{BufMut, BytesMut};

/// Counters of one meter band.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MeterBandStats {
    /// Packets in the band.
    pub packet_count: u64,
    /// Bytes in the band.
    pub byte_count: u64,
}

/// One meter's statistics (`ofp13_meter_stats`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MeterStats {
    /// Meter id.
    pub meter_id: u32,
    /// Flows using the meter.
    pub flow_count: u32,
    /// Packets entering the meter.
    pub packet_in_count: u64,
    /// Bytes entering the meter.
    pub byte_in_count: u64,
    /// Seconds the meter has existed.
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Per-band counters.
    pub bands: Vec<MeterBandStats>,
}

impl MeterStats {
    /// Decodes one entry.
    pub fn decode(r: &mut Reader<'_>) -> Result<MeterStats, DecodeError> {
        let mut m = sub_by_len(r, 4, 40, false, "ofp13_meter_stats")?;
        let meter_id = m.u32("ofp13_meter_stats")?;
        m.skip(2, "ofp13_meter_stats length")?;
        m.zeros(6, "ofp13_meter_stats padding")?;
        let mut s = MeterStats {
            meter_id,
            flow_count: m.u32("ofp13_meter_stats")?,
            packet_in_count: m.u64("ofp13_meter_stats")?,
            byte_in_count: m.u64("ofp13_meter_stats")?,
            duration_sec: m.u32("ofp13_meter_stats")?,
            duration_nsec: m.u32("ofp13_meter_stats")?,
            bands: Vec::new(),
        };
        while !m.is_empty() {
            s.bands.push(MeterBandStats {
                packet_count: m.u64("ofp13_meter_band_stats")?,
                byte_count: m.u64("ofp13_meter_band_stats")?,
            });
        }
        Ok(s)
    }

    /// Appends the entry.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u32(self.meter_id);
        out.put_u16(0);
        out.put_bytes(0, 6);
        out.put_u32(self.flow_count);
        out.put_u64(self.packet_in_count);
        out.put_u64(self.byte_in_count);
        out.put_u32(self.duration_sec);
        out.put_u32(self.duration_nsec);
        for b in &self.bands {
            out.put_u64(b.packet_count);
            out.put_u64(b.byte_count);
        }
        patch_len(out, start, start + 4, "meter stats")
    }
}

/// One meter's configuration (`ofp13_meter_config`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MeterConfig {
    /// `OFPMF_*` flags.
    pub flags: u16,
    /// Meter id.
    pub meter_id: u32,
    /// Bands.
    pub bands: Vec<MeterBand>,
}

impl MeterConfig {
    /// Decodes one entry.
    pub fn decode(r: &mut Reader<'_>) -> Result<MeterConfig, DecodeError> {
        let mut m = sub_by_len(r, 0, 8, false, "ofp13_meter_config")?;
        m.skip(2, "ofp13_meter_config length")?;
        Ok(MeterConfig {
            flags: m.u16("ofp13_meter_config")?,
            meter_id: m.u32("ofp13_meter_config")?,
            bands: decode_bands(&mut m)?,
        })
    }

    /// Appends the entry.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u16(0);
        out.put_u16(self.flags);
        out.put_u32(self.meter_id);
        encode_bands(&self.bands, out)?;
        patch_len(out, start, start, "meter config")
    }
}

/// The switch's meter capabilities (`ofp13_meter_features`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MeterFeatures {
    /// Maximum number of meters.
    pub max_meter: u32,
    /// Bitmap of supported `OFPMBT_*` band types.
    pub band_types: u32,
    /// Bitmap of supported `OFPMF_*` flags.
    pub capabilities: u32,
    /// Maximum bands per meter.
    pub max_bands: u8,
    /// Maximum color value.
    pub max_color: u8,
}

impl MeterFeatures {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>) -> Result<MeterFeatures, DecodeError> {
        let f = MeterFeatures {
            max_meter: r.u32("ofp13_meter_features")?,
            band_types: r.u32("ofp13_meter_features")?,
            capabilities: r.u32("ofp13_meter_features")?,
            max_bands: r.u8("ofp13_meter_features")?,
            max_color: r.u8("ofp13_meter_features")?,
        };
        r.zeros(2, "ofp13_meter_features padding")?;
        Ok(f)
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.max_meter);
        out.put_u32(self.band_types);
        out.put_u32(self.capabilities);
        out.put_u8(self.max_bands);
        out.put_u8(self.max_color);
        out.put_u16(0);
    }
}
