//! OVS's rules for where actions may appear (`ofpacts_verify`, `ofpacts_verify_nested` and
//! `ofpact_is_allowed_in_actions_set` in `lib/ofp-actions.c`), applied to every decoded list.
//!
//! - A list with a `conjunction` may contain only `conjunction` and `note`.
//! - `ct_mark` / `ct_label` may be written only inside `ct`, and `nat` appears only inside `ct`.
//! - Inside `ct`, only writes to `ct_mark` / `ct_label` and `nat` are allowed.
//! - The meter action may not be nested in `ct` (OVS decodes `clone` as a top-level list).
//! - The Nicira write_metadata action is an instruction to OVS: allowed only as the last action
//!   of a top-level list.
//! - A write-actions set holds only action-set actions (output, group, set-field-like, ...).
//!
//! Raw (unmodelled) actions cannot be checked and are allowed anywhere.

use super::{Action, Outer};
use crate::ofproto::codec::field::Field;
use crate::ofproto::codec::DecodeError;

fn reject(what: &'static str, value: u64) -> DecodeError {
    DecodeError::BadValue { what, value }
}

/// Checks a decoded action list against the rules for its position.
pub(crate) fn verify_list(actions: &[Action], outer: Outer) -> Result<(), DecodeError> {
    if outer == Outer::WriteActions {
        return match actions.iter().position(|a| !allowed_in_action_set(a)) {
            Some(i) => Err(reject("action not allowed in write_actions", i as u64)),
            None => Ok(()),
        };
    }
    for (i, a) in actions.iter().enumerate() {
        if matches!(a, Action::Conjunction { .. }) {
            return if actions
                .iter()
                .all(|a| matches!(a, Action::Conjunction { .. } | Action::Note(_)))
            {
                Ok(())
            } else {
                Err(reject("conjunction mixed with other actions", i as u64))
            };
        }
        verify_nested(a, outer, i)?;
        if matches!(a, Action::WriteMetadata { .. })
            && (outer != Outer::Top || i + 1 != actions.len())
        {
            return Err(reject(
                "write_metadata instruction not allowed here",
                i as u64,
            ));
        }
    }
    Ok(())
}

fn verify_nested(a: &Action, outer: Outer, i: usize) -> Result<(), DecodeError> {
    let field = a.dst_field();
    let ct_field = field.is_some_and(|f| f == Field::CtMark || f == Field::CtLabel);
    if ct_field && outer != Outer::Ct {
        return Err(reject("ct fields written outside ct", i as u64));
    }
    if matches!(a, Action::Nat(_)) {
        return if outer == Outer::Ct {
            Ok(())
        } else {
            Err(reject("nat outside ct", i as u64))
        };
    }
    if matches!(a, Action::Raw(_)) {
        return Ok(());
    }
    if outer == Outer::Ct && !ct_field {
        return Err(reject("ct does not support this nested action", i as u64));
    }
    // OVS decodes clone(...) as a top-level list (outer action 0), so only ct and the action
    // set reject a nested meter.
    if matches!(outer, Outer::Ct | Outer::WriteActions) && matches!(a, Action::Meter(_)) {
        return Err(reject("meter action may not be nested", i as u64));
    }
    Ok(())
}

/// `ofpact_is_allowed_in_actions_set`.
pub(crate) fn allowed_in_action_set(a: &Action) -> bool {
    matches!(
        a,
        Action::Output { .. }
            | Action::Group(_)
            | Action::SetQueue(_)
            | Action::PushVlan(_)
            | Action::PopVlan
            | Action::DecNwTtl
            | Action::DecTtlCntIds(_)
            | Action::SetField { .. }
            | Action::CopyField { .. }
            | Action::OnfCopyField { .. }
            | Action::RegMove { .. }
            | Action::RegLoad { .. }
            | Action::RegLoad2 { .. }
            | Action::SetTunnel(_)
            | Action::SetTunnel64(_)
            | Action::Ct(_)
            | Action::CtClear
            | Action::Resubmit { .. }
            | Action::ResubmitTable { .. }
            | Action::SetNwTtl(_)
            | Action::SetMplsTtl(_)
            | Action::DecMplsTtl
            | Action::PushMpls(_)
            | Action::PopMpls(_)
            | Action::SetTpSrc(_)
            | Action::SetTpDst(_)
            | Action::Raw(_)
    )
}
