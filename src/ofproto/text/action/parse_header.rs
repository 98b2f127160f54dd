//! Actions that change packet headers (`mod_*`, `set_vlan_*`, `strip_vlan`, `push_vlan`, MPLS,
//! `dec_ttl`, `fin_timeout`): their OpenFlow 1.2+ wire forms (`encode_SET_VLAN_VID`,
//! `encode_SET_L4_*`, `encode_SET_MPLS_*` ... in OVS's `lib/ofp-actions.c`) and their
//! consistency with the match (`check_*`, see `check.rs`), which for some of them decides the
//! wire form. Kept out of `parse.rs` so the recursive parser's stack frame stays small (nested
//! lists go 100 deep).

use super::check::FlowFacts;
use super::kv::{c_u16, c_u32, c_u8};
use super::parse::{err, Item};
use super::parse_args::{parse_dec_ttl, parse_fin_timeout};
use crate::ofproto::codec::action::{is_mpls_ethertype, Action};
use crate::ofproto::codec::field::Field;
use crate::ofproto::codec::value::{self, Value};
use crate::ofproto::text::{ParseError, ParseErrorKind};

/// Parses `lower[:value]` if it is one of this module's actions, appending what it becomes to
/// `items`; returns whether it was.
pub(crate) fn parse_header_action(
    lower: &str,
    value: &str,
    whole: &str,
    items: &mut Vec<Item>,
    facts: &mut FlowFacts,
) -> Result<bool, ParseError> {
    let act = Item::Act;
    match lower {
        "strip_vlan" | "pop_vlan" => {
            facts.pop_vlan(whole)?;
            items.push(act(Action::PopVlan));
        }
        "push_vlan" => {
            let e =
                c_u16(value).ok_or_else(|| err(whole, format!("invalid ethertype \"{value}\"")))?;
            if e != 0x8100 && e != 0x88a8 {
                return Err(err(whole, format!("{value}: not a valid VLAN ethertype")));
            }
            facts.push_vlan(whole)?;
            items.push(act(Action::PushVlan(e)));
        }
        "mod_dl_src" | "mod_dl_dst" => {
            let field = if lower == "mod_dl_src" {
                Field::EthSrc
            } else {
                Field::EthDst
            };
            let (value, _) = value::parse(field, value, None)
                .map_err(|e| ParseError::new(whole, ParseErrorKind::BadValue(e)))?;
            items.push(act(exact_set_field(field, value)));
        }
        "mod_nw_src" | "mod_nw_dst" => {
            let field = if lower == "mod_nw_src" {
                Field::Ipv4Src
            } else {
                Field::Ipv4Dst
            };
            let ip: std::net::Ipv4Addr = value
                .parse()
                .map_err(|_| err(whole, format!("{value}: invalid IP address")))?;
            facts.require(facts.is_ipv4(), whole)?;
            items.push(act(exact_set_field(field, Value::from_ipv4(ip))));
        }
        "mod_nw_tos" => {
            let tos = c_u8(value).ok_or_else(|| err(whole, format!("invalid TOS \"{value}\"")))?;
            if tos & 0x03 != 0 {
                return Err(err(whole, format!("{value}: not a valid TOS")));
            }
            facts.require(facts.is_ip_any(), whole)?;
            items.push(act(exact_set_field(
                Field::IpDscpShifted,
                Value::from_u64(1, (tos >> 2) as u64),
            )));
        }
        "mod_nw_ecn" => {
            let ecn = c_u8(value).ok_or_else(|| err(whole, format!("invalid ECN \"{value}\"")))?;
            if ecn > 3 {
                return Err(err(whole, format!("{value}: not a valid ECN")));
            }
            facts.require(facts.is_ip_any(), whole)?;
            items.push(act(exact_set_field(
                Field::IpEcn,
                Value::from_u64(1, ecn as u64),
            )));
        }
        "dec_ttl" => {
            let a = parse_dec_ttl(value, whole)?;
            facts.require(facts.is_ip_any(), whole)?;
            items.push(act(a));
        }
        "mod_nw_ttl" => {
            let ttl = c_u8(value).ok_or_else(|| err(whole, format!("invalid TTL \"{value}\"")))?;
            facts.require(facts.is_ip_any(), whole)?;
            items.push(act(Action::SetNwTtl(ttl)));
        }
        "mod_vlan_vid" | "set_vlan_vid" => {
            let vid =
                c_u16(value).ok_or_else(|| err(whole, format!("invalid VLAN VID \"{value}\"")))?;
            if vid & !0x0fff != 0 {
                return Err(err(whole, format!("{value}: not a valid VLAN VID")));
            }
            parse_set_vlan(
                lower == "mod_vlan_vid",
                exact_set_field(Field::VlanVid, Value::from_u64(2, (vid | 0x1000) as u64)),
                whole,
                items,
                facts,
            )?;
        }
        "mod_vlan_pcp" | "set_vlan_pcp" => {
            let pcp =
                c_u8(value).ok_or_else(|| err(whole, format!("invalid VLAN PCP \"{value}\"")))?;
            if pcp & !7 != 0 {
                return Err(err(whole, format!("{value}: not a valid VLAN PCP")));
            }
            parse_set_vlan(
                lower == "mod_vlan_pcp",
                exact_set_field(Field::VlanPcp, Value::from_u64(1, pcp as u64)),
                whole,
                items,
                facts,
            )?;
        }
        "mod_tp_src" | "mod_tp_dst" => {
            let src = lower == "mod_tp_src";
            let port = c_u16(value).ok_or_else(|| {
                let what = if src { "source" } else { "destination" };
                err(whole, format!("invalid {what} port \"{value}\""))
            })?;
            facts.require(facts.l4_consistent(), whole)?;
            let field = match (facts.nw_proto(), src) {
                (6, true) => Some(Field::TcpSrc),
                (6, false) => Some(Field::TcpDst),
                (17, true) => Some(Field::UdpSrc),
                (17, false) => Some(Field::UdpDst),
                (132, true) => Some(Field::SctpSrc),
                (132, false) => Some(Field::SctpDst),
                _ => None,
            };
            items.push(act(match field {
                Some(f) => exact_set_field(f, Value::from_u64(2, port as u64)),
                None if src => Action::SetTpSrc(port),
                None => Action::SetTpDst(port),
            }));
        }
        "set_mpls_label" => {
            if value.is_empty() {
                return Err(err(whole, "set_mpls_label: expected label."));
            }
            let label = c_u32(value)
                .ok_or_else(|| err(whole, format!("invalid numeric format {value}")))?;
            if label & !0xfffff != 0 {
                return Err(err(whole, format!("{value}: not a valid MPLS label")));
            }
            facts.require(facts.is_mpls(), whole)?;
            items.push(act(exact_set_field(
                Field::MplsLabel,
                Value::from_u64(4, label as u64),
            )));
        }
        "set_mpls_tc" => {
            if value.is_empty() {
                return Err(err(whole, "set_mpls_tc: expected tc."));
            }
            let tc =
                c_u8(value).ok_or_else(|| err(whole, format!("invalid MPLS TC \"{value}\"")))?;
            if tc & !7 != 0 {
                return Err(err(whole, format!("{value}: not a valid MPLS TC")));
            }
            facts.require(facts.is_mpls(), whole)?;
            items.push(act(exact_set_field(
                Field::MplsTc,
                Value::from_u64(1, tc as u64),
            )));
        }
        "set_mpls_ttl" => {
            if value.is_empty() {
                return Err(err(whole, "set_mpls_ttl: expected ttl."));
            }
            let ttl =
                c_u8(value).ok_or_else(|| err(whole, format!("invalid MPLS TTL \"{value}\"")))?;
            facts.require(facts.is_mpls(), whole)?;
            items.push(act(Action::SetMplsTtl(ttl)));
        }
        "dec_mpls_ttl" => {
            facts.require(facts.is_mpls(), whole)?;
            items.push(act(Action::DecMplsTtl));
        }
        "push_mpls" | "pop_mpls" => {
            let e =
                c_u16(value).ok_or_else(|| err(whole, format!("invalid {lower} \"{value}\"")))?;
            if lower == "push_mpls" {
                // OVS parses any Ethertype but refuses a non-MPLS one when it decodes.
                if !is_mpls_ethertype(e) {
                    return Err(err(whole, format!("{value}: not an MPLS ethertype")));
                }
                facts.push_mpls(e, whole)?;
                items.push(act(Action::PushMpls(e)));
            } else {
                facts.pop_mpls(e, whole)?;
                items.push(act(Action::PopMpls(e)));
            }
        }
        "fin_timeout" => {
            let a = parse_fin_timeout(value, whole)?;
            facts.require(facts.nw_proto() == 6, whole)?;
            items.push(act(a));
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn exact_set_field(field: Field, value: Value) -> Action {
    Action::SetField {
        field,
        value,
        mask: None,
    }
}

/// `mod_vlan_vid` / `mod_vlan_pcp` (`push`: push an 802.1Q header first if the packet has
/// none) and `set_vlan_vid` / `set_vlan_pcp` (inconsistent without a VLAN header), which
/// OpenFlow 1.2+ sends as `set_field` (`encode_SET_VLAN_VID`, `check_SET_VLAN_VID`).
fn parse_set_vlan(
    push: bool,
    set: Action,
    whole: &str,
    items: &mut Vec<Item>,
    facts: &mut FlowFacts,
) -> Result<(), ParseError> {
    if !facts.has_vlan() {
        if push {
            items.push(Item::Act(Action::PushVlan(0x8100)));
            facts.push_vlan(whole)?;
        } else {
            facts.require(false, whole)?;
        }
    }
    if let Some(field) = set.dst_field() {
        facts.check_field(field, whole)?;
    }
    facts.mark_vlan();
    items.push(Item::Act(set));
    Ok(())
}
