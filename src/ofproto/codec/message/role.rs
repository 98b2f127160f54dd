//! `OFPT_ROLE_REQUEST` / `OFPT_ROLE_REPLY` (`ofp12_role_request`), as in OVS
//! `lib/ofp-connection.c`.

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::DecodeError;
use bytes::{BufMut, BytesMut};

/// A controller role request or reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Role {
    /// `OFPCR_ROLE_*` (0 nochange, 1 equal, 2 primary, 3 secondary), raw.
    pub role: u32,
    /// Generation id (`u64::MAX` when not given).
    pub generation_id: u64,
}

impl Role {
    /// Keep the current role.
    pub const NOCHANGE: u32 = 0;
    /// Equal (the default).
    pub const EQUAL: u32 = 1;
    /// Primary (master).
    pub const PRIMARY: u32 = 2;
    /// Secondary (slave).
    pub const SECONDARY: u32 = 3;

    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>) -> Result<Role, DecodeError> {
        let role = r.u32("ofp12_role_request")?;
        r.zeros(4, "ofp12_role_request padding")?;
        let generation_id = r.u64("ofp12_role_request")?;
        r.finish("ofp12_role_request")?;
        Ok(Role {
            role,
            generation_id,
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.role);
        out.put_u32(0);
        out.put_u64(self.generation_id);
    }

    /// OVS's name of the role (`equal`, `primary`...).
    pub fn role_name(&self) -> Option<&'static str> {
        match self.role {
            0 => Some("nochange"),
            1 => Some("equal"),
            2 => Some("primary"),
            3 => Some("secondary"),
            _ => None,
        }
    }
}
