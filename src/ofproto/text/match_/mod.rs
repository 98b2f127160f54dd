//! The match part of ovs-ofctl flow text: printing ([`format_match`], OVS's `match_format`)
//! and parsing ([`parse_match`], [`MatchParser`], OVS's `parse_ofp_str__` for match keys).
//!
//! Invariant: for every match `m` OVS can print, `parse(format(m)) == m` (the canonical
//! [`Match`](crate::ofproto::codec::Match) makes the different spellings compare equal), and
//! `format` of a match decoded from OVS's bytes equals what `ovs-ofctl` prints for them.

mod format;
mod kv;
mod parse;

pub use format::{format_match, DEFAULT_PRIORITY};
pub use kv::{split_actions, KeyValues};
pub use parse::{parse_match, parse_u16, MatchParser};

#[cfg(test)]
mod tests;
