//! Register layout: what each register (bit range) means inside br-int.
//!
//! | field | bits | values |
//! |---|---|---|
//! | `PktSourceField` | `reg0[0..3]` | 1 [`FROM_TUNNEL`], 3 [`FROM_POD`], 4 [`FROM_UPLINK`] (Antrea's numbering) |
//! | `EgressIdField` | `reg1` (ids use the low 24 bits) | egress id of the IP to SNAT to; 0 = the node IP |
//! | tunnel key | `tun_id` | egress id between nodes; 0 = pod-to-pod traffic and replies |
//!
//! Registers start at 0 for every packet and are not carried across the patch port or the
//! tunnel, so `reg1 = 0` reliably means "no egress IP chosen". The egress id lives in a register
//! of its own (not in `tun_id`) so SNAT sees one field whether the packet came from a local pod
//! or through the tunnel. Writes use OpenFlow 1.5 `set_field` (masked for `reg0`), as Antrea does.

use crate::ofproto::codec::{Action, Field, Match, Value};

/// A value in some bits of a 32-bit register: matched as `reg=value/mask`, written as
/// `set_field:value/mask->reg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegMark {
    /// The register.
    pub field: Field,
    /// The value, already shifted into place.
    pub value: u32,
    /// The bits the mark owns.
    pub mask: u32,
}

impl RegMark {
    /// Constrains `m` to packets carrying this mark.
    pub fn match_on(&self, m: &mut Match) {
        m.set_masked(
            self.field,
            Value::from_u64(4, self.value as u64),
            Some(Value::from_u64(4, self.mask as u64)),
        );
    }

    /// The action that writes this mark (leaving the register's other bits alone).
    pub fn set(&self) -> Action {
        Action::SetField {
            field: self.field,
            value: Value::from_u64(4, self.value as u64),
            mask: (self.mask != u32::MAX).then(|| Value::from_u64(4, self.mask as u64)),
        }
    }
}

/// Bits of `reg0` that say where the packet entered br-int (Antrea's `PktSourceField`).
pub const PKT_SOURCE_MASK: u32 = 0xf;

/// Entered through the tunnel port (Antrea `FromTunnelRegMark`).
pub const FROM_TUNNEL: RegMark = RegMark {
    field: Field::Reg0,
    value: 1,
    mask: PKT_SOURCE_MASK,
};

/// Entered from a local pod's port (Antrea `FromPodRegMark`).
pub const FROM_POD: RegMark = RegMark {
    field: Field::Reg0,
    value: 3,
    mask: PKT_SOURCE_MASK,
};

/// Entered through the patch port from br-phy: replies already un-NATed there (Antrea
/// `FromUplinkRegMark`).
pub const FROM_UPLINK: RegMark = RegMark {
    field: Field::Reg0,
    value: 4,
    mask: PKT_SOURCE_MASK,
};

/// The register holding the egress id chosen in EgressMark and consumed by SNAT.
pub const EGRESS_ID_FIELD: Field = Field::Reg1;

/// Constrains `m` to packets whose chosen egress id is `id` (0 = SNAT to the node IP).
pub fn match_egress_id(m: &mut Match, id: u32) {
    m.set(EGRESS_ID_FIELD, Value::from_u64(4, id as u64));
}

/// Writes the chosen egress id.
pub fn set_egress_id(id: u32) -> Action {
    Action::SetField {
        field: EGRESS_ID_FIELD,
        value: Value::from_u64(4, id as u64),
        mask: None,
    }
}
