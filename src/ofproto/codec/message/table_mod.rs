//! `OFPT_TABLE_MOD` (`ofp11_table_mod`; OpenFlow 1.4+ appends properties such as eviction and
//! vacancy). Mirrors OVS `lib/ofp-table.c`.

use super::prop::Prop;
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, BytesMut};

/// Configure a table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableMod {
    /// Table (`0xff` = all).
    pub table_id: u8,
    /// `OFPTC_*` bits.
    pub config: u32,
    /// OpenFlow 1.5 properties, verbatim.
    pub props: Vec<Prop>,
}

impl TableMod {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<TableMod, DecodeError> {
        let table_id = r.u8("ofp_table_mod")?;
        r.zeros(3, "ofp_table_mod padding")?;
        let config = r.u32("ofp_table_mod")?;
        let props = match version {
            Version::Of13 => Vec::new(),
            Version::Of15 => Prop::decode_all(r, "table_mod property")?,
        };
        r.finish("ofp_table_mod")?;
        Ok(TableMod {
            table_id,
            config,
            props,
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        if version == Version::Of13 && !self.props.is_empty() {
            return Err(EncodeError::NotInVersion {
                what: "table_mod properties",
                version,
            });
        }
        out.put_u8(self.table_id);
        out.put_bytes(0, 3);
        out.put_u32(self.config);
        Prop::encode_all(&self.props, out)
    }
}
