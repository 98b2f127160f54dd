//! `--sort[=FIELD]` / `--rsort[=FIELD]` (`compare_flows` in ovs-ofctl.c): criteria in the order
//! given, then descending priority. A flow that does not match on the field (field wildcarded or
//! its prerequisites unmet) sorts after the others in both directions; otherwise, and also
//! between two flows that both lack the field, the values OVS keeps in the field's storage
//! compare as big-endian bytes (so `--sort=ip_src` orders ARP flows by `arp_spa`, which shares
//! `nw_src`, as ovs-ofctl does); ties keep the switch's order.

use super::OfctlError;
use crate::ofproto::codec::match_::is_canonical;
use crate::ofproto::codec::{Field, FlowStats, Match};
use std::cmp::Ordering;

/// One sort criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortKey {
    /// The field, or `None` for the priority.
    pub field: Option<Field>,
    /// `--rsort`.
    pub descending: bool,
}

impl SortKey {
    /// The criterion for `--sort[=name]` (no name or `priority`: by priority).
    pub fn parse(name: Option<&str>, descending: bool) -> Result<SortKey, OfctlError> {
        let field = match name {
            None => None,
            Some(n) if n.eq_ignore_ascii_case("priority") => None,
            Some(n) => {
                let f = Field::from_name(n).ok_or_else(|| OfctlError::BadSortField(n.into()))?;
                if !is_canonical(f) {
                    // Stored folded into another field (vlan_vid into vlan_tci...).
                    return Err(OfctlError::BadSortField(n.into()));
                }
                Some(f)
            }
        };
        Ok(SortKey { field, descending })
    }

    fn compare(&self, a: &FlowStats, b: &FlowStats) -> Ordering {
        let ord = match self.field {
            None => a.priority.cmp(&b.priority),
            Some(f) => {
                let (ina, inb) = (has(&a.match_, f), has(&b.match_, f));
                if ina != inb {
                    return if ina {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    };
                }
                a.match_.slot_value(f).cmp(&b.match_.slot_value(f))
            }
        };
        if self.descending {
            ord.reverse()
        } else {
            ord
        }
    }
}

fn has(m: &Match, f: Field) -> bool {
    m.prereq_ok(f.info().prereq) && m.bits(f).1 != 0
}

/// Sorts `flows` by `keys`, then by descending priority (stable).
pub fn sort_flows(flows: &mut [FlowStats], keys: &[SortKey]) {
    let last = SortKey {
        field: None,
        descending: true,
    };
    flows.sort_by(|a, b| {
        keys.iter()
            .chain(std::iter::once(&last))
            .map(|k| k.compare(a, b))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ofproto::codec::Value;

    fn fs(priority: u16, reg0: Option<u32>) -> FlowStats {
        let mut f = FlowStats {
            priority,
            ..FlowStats::default()
        };
        if let Some(r) = reg0 {
            f.match_.set(Field::Reg0, Value::from_u64(4, r as u64));
        }
        f
    }

    #[test]
    fn field_then_priority_missing_last() {
        let mut v = vec![fs(1, Some(5)), fs(9, None), fs(3, Some(2)), fs(2, Some(5))];
        sort_flows(&mut v, &[SortKey::parse(Some("reg0"), false).unwrap()]);
        let p: Vec<u16> = v.iter().map(|f| f.priority).collect();
        assert_eq!(p, [3, 2, 1, 9]);
        sort_flows(&mut v, &[SortKey::parse(Some("reg0"), true).unwrap()]);
        let p: Vec<u16> = v.iter().map(|f| f.priority).collect();
        assert_eq!(p, [2, 1, 3, 9]);
        sort_flows(&mut v, &[SortKey::parse(None, false).unwrap()]);
        let p: Vec<u16> = v.iter().map(|f| f.priority).collect();
        assert_eq!(p, [1, 2, 3, 9]);
        assert!(SortKey::parse(Some("nonsense"), false).is_err());
        assert!(SortKey::parse(Some("dl_vlan"), false).is_err());
        assert!(SortKey::parse(Some("dl_src"), false).is_ok());
    }
}
