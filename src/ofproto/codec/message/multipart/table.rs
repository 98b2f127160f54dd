//! `OFPMP_TABLE` (table statistics) and `OFPMP_TABLE_FEATURES` (`ofp13_table_features` +
//! properties). Mirrors OVS `lib/ofp-table.c`.
//!
//! A TABLE_FEATURES request with a body *sets* features; OVS uses it to set table names
//! (`ofproto/ofproto.c` `handle_table_features_change`): with OpenFlow 1.5's
//! `command = OFPTFC15_MODIFY` and no properties, only the names change.

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::message::prop::{patch_len, sub_by_len, FixedStr, Prop};
use crate::ofproto::codec::{DecodeError, EncodeError};
use bytes::{BufMut, BytesMut};

/// One table's counters (`ofp13_table_stats`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableStats {
    /// Table id.
    pub table_id: u8,
    /// Flows in the table.
    pub active_count: u32,
    /// Packets looked up.
    pub lookup_count: u64,
    /// Packets that matched a flow.
    pub matched_count: u64,
}

impl TableStats {
    /// Decodes one entry.
    pub fn decode(r: &mut Reader<'_>) -> Result<TableStats, DecodeError> {
        let table_id = r.u8("ofp13_table_stats")?;
        r.zeros(3, "ofp13_table_stats padding")?;
        Ok(TableStats {
            table_id,
            active_count: r.u32("ofp13_table_stats")?,
            lookup_count: r.u64("ofp13_table_stats")?,
            matched_count: r.u64("ofp13_table_stats")?,
        })
    }

    /// Appends the entry.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.table_id);
        out.put_bytes(0, 3);
        out.put_u32(self.active_count);
        out.put_u64(self.lookup_count);
        out.put_u64(self.matched_count);
    }
}

/// `OFPTFC15_*` table-features commands (OpenFlow 1.5; the byte is padding, i.e. replace, in
/// 1.3).
pub mod command {
    /// Replace the whole pipeline.
    pub const REPLACE: u8 = 0;
    /// Modify the listed tables only.
    pub const MODIFY: u8 = 1;
    /// Enable tables.
    pub const ENABLE: u8 = 2;
    /// Disable tables.
    pub const DISABLE: u8 = 3;
}

/// `OFPTFPT13_*` table-feature property types.
pub mod prop_type {
    /// Instructions.
    pub const INSTRUCTIONS: u16 = 0;
    /// Instructions for table-miss.
    pub const INSTRUCTIONS_MISS: u16 = 1;
    /// Next tables.
    pub const NEXT_TABLES: u16 = 2;
    /// Next tables for table-miss.
    pub const NEXT_TABLES_MISS: u16 = 3;
    /// Write-actions.
    pub const WRITE_ACTIONS: u16 = 4;
    /// Write-actions for table-miss.
    pub const WRITE_ACTIONS_MISS: u16 = 5;
    /// Apply-actions.
    pub const APPLY_ACTIONS: u16 = 6;
    /// Apply-actions for table-miss.
    pub const APPLY_ACTIONS_MISS: u16 = 7;
    /// Match fields.
    pub const MATCH: u16 = 8;
    /// Wildcardable fields.
    pub const WILDCARDS: u16 = 10;
    /// Write set-field.
    pub const WRITE_SETFIELD: u16 = 12;
    /// Write set-field for table-miss.
    pub const WRITE_SETFIELD_MISS: u16 = 13;
    /// Apply set-field.
    pub const APPLY_SETFIELD: u16 = 14;
    /// Apply set-field for table-miss.
    pub const APPLY_SETFIELD_MISS: u16 = 15;
}

/// One table's features.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableFeatures {
    /// Table id.
    pub table_id: u8,
    /// `OFPTFC15_*` (see [`command`]); padding (0) in OpenFlow 1.3.
    pub command: u8,
    /// Table name.
    pub name: FixedStr<32>,
    /// Metadata bits the table can match.
    pub metadata_match: u64,
    /// Metadata bits the table can write.
    pub metadata_write: u64,
    /// `OFPTC_*` capabilities (OpenFlow 1.4+; "config" in 1.3).
    pub capabilities: u32,
    /// Maximum number of flows.
    pub max_entries: u32,
    /// Feature properties, verbatim.
    pub props: Vec<Prop>,
}

impl TableFeatures {
    /// Features that only name a table: what an OpenFlow 1.5 `MODIFY` request needs to set
    /// the name of table `table_id` (OVS refuses to change `max_entries`, so pass the value the
    /// switch reports; 1000000 by default).
    pub fn name_only(table_id: u8, name: &str, max_entries: u32) -> TableFeatures {
        TableFeatures {
            table_id,
            command: command::MODIFY,
            name: FixedStr::new(name),
            metadata_match: u64::MAX,
            metadata_write: u64::MAX,
            capabilities: 0,
            max_entries,
            props: Vec::new(),
        }
    }

    /// Decodes one entry.
    pub fn decode(r: &mut Reader<'_>) -> Result<TableFeatures, DecodeError> {
        let mut t = sub_by_len(r, 0, 64, true, "ofp13_table_features")?;
        t.skip(2, "ofp13_table_features length")?;
        let table_id = t.u8("ofp13_table_features")?;
        let command = t.u8("ofp13_table_features")?;
        t.zeros(4, "ofp13_table_features padding")?;
        Ok(TableFeatures {
            table_id,
            command,
            name: FixedStr::decode(&mut t, "ofp13_table_features name")?,
            metadata_match: t.u64("ofp13_table_features")?,
            metadata_write: t.u64("ofp13_table_features")?,
            capabilities: t.u32("ofp13_table_features")?,
            max_entries: t.u32("ofp13_table_features")?,
            props: Prop::decode_all(&mut t, "table feature property")?,
        })
    }

    /// Appends the entry.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u16(0);
        out.put_u8(self.table_id);
        out.put_u8(self.command);
        out.put_u32(0);
        self.name.encode(out);
        out.put_u64(self.metadata_match);
        out.put_u64(self.metadata_write);
        out.put_u32(self.capabilities);
        out.put_u32(self.max_entries);
        Prop::encode_all(&self.props, out)?;
        patch_len(out, start, start, "table features")
    }
}
