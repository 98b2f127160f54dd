//! `OFPT_GET_CONFIG_REPLY` / `OFPT_SET_CONFIG` body (`ofp_switch_config`).
//!
//! A service connection (`<bridge>.mgmt`) only receives packet-ins after a SET_CONFIG with a
//! non-zero `miss_send_len` (OVS `ofproto/connmgr.c`).

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::DecodeError;
use bytes::{BufMut, BytesMut};

/// `ofp_switch_config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SwitchConfig {
    /// `OFPC_*` flags: the low 2 bits are the fragment handling (`OFPC_FRAG_*`).
    pub flags: u16,
    /// Bytes of a table-miss packet to send to the controller (`0xffff` = whole packet).
    pub miss_send_len: u16,
}

impl SwitchConfig {
    /// Fragment handling `normal`.
    pub const FRAG_NORMAL: u16 = 0;
    /// Fragment handling `drop`.
    pub const FRAG_DROP: u16 = 1;
    /// Fragment handling `reassemble`.
    pub const FRAG_REASM: u16 = 2;
    /// Fragment handling `nx-match`.
    pub const FRAG_NX_MATCH: u16 = 3;

    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>) -> Result<SwitchConfig, DecodeError> {
        let c = SwitchConfig {
            flags: r.u16("ofp_switch_config")?,
            miss_send_len: r.u16("ofp_switch_config")?,
        };
        r.finish("ofp_switch_config")?;
        Ok(c)
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u16(self.flags);
        out.put_u16(self.miss_send_len);
    }

    /// OVS's name of the fragment handling (`normal`, `drop`, `reassemble`, `nx-match`).
    pub fn frag_name(&self) -> &'static str {
        match self.flags & 3 {
            0 => "normal",
            1 => "drop",
            2 => "reassemble",
            _ => "nx-match",
        }
    }
}

impl Default for SwitchConfig {
    fn default() -> Self {
        SwitchConfig {
            flags: 0,
            miss_send_len: 128,
        }
    }
}
