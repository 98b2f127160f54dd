//! `OFPT_FEATURES_REPLY` (OpenFlow 1.3+ form: no port list; ports come from a PORT_DESC
//! multipart request). Mirrors OVS `lib/ofp-switch.c`.

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::DecodeError;
use bytes::{BufMut, BytesMut};

/// `ofp_switch_features` (OpenFlow 1.3+).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeaturesReply {
    /// Datapath id: low 48 bits a MAC address, high 16 implementer-defined.
    pub datapath_id: u64,
    /// Packets the switch can buffer.
    pub n_buffers: u32,
    /// Number of flow tables.
    pub n_tables: u8,
    /// Auxiliary connection id (0 = main connection).
    pub auxiliary_id: u8,
    /// `OFPC_*` capability bits, raw.
    pub capabilities: u32,
    /// The reserved word after the capabilities.
    pub reserved: u32,
}

/// `OFPC_*` capability bits of OpenFlow 1.3/1.5 with OVS's names, in the order OVS prints them.
pub const CAPABILITIES: [(u32, &str, bool); 9] = [
    (1 << 0, "FLOW_STATS", false),
    (1 << 1, "TABLE_STATS", false),
    (1 << 2, "PORT_STATS", false),
    (1 << 3, "GROUP_STATS", false),
    (1 << 5, "IP_REASM", false),
    (1 << 6, "QUEUE_STATS", false),
    (1 << 8, "PORT_BLOCKED", false),
    // OpenFlow 1.4+ only (the flag says so).
    (1 << 9, "BUNDLES", true),
    (1 << 10, "FLOW_MONITORING", true),
];

impl FeaturesReply {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>) -> Result<FeaturesReply, DecodeError> {
        let f = FeaturesReply {
            datapath_id: r.u64("ofp_switch_features")?,
            n_buffers: r.u32("ofp_switch_features")?,
            n_tables: r.u8("ofp_switch_features")?,
            auxiliary_id: r.u8("ofp_switch_features")?,
            capabilities: {
                r.zeros(2, "ofp_switch_features padding")?;
                r.u32("ofp_switch_features")?
            },
            reserved: r.u32("ofp_switch_features")?,
        };
        r.finish("ofp_switch_features")?;
        Ok(f)
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u64(self.datapath_id);
        out.put_u32(self.n_buffers);
        out.put_u8(self.n_tables);
        out.put_u8(self.auxiliary_id);
        out.put_u16(0);
        out.put_u32(self.capabilities);
        out.put_u32(self.reserved);
    }
}
