//! The ovs-ofctl action and instruction text: parse it into wire-form actions for a protocol
//! version, and print decoded actions exactly as `ovs-ofctl` prints them.
//!
//! - [`parse_instructions`] / [`parse_actions`] mirror `ofpacts_parse_instructions` /
//!   `ofpacts_parse_actions` of OVS's `lib/ofp-actions.c` *and* the encoding choices
//!   `ovs-ofctl` then makes for `TextContext::version` (see [`parse`] for the rules), so
//!   encoding the result gives the bytes `ovs-ofctl` would send.
//! - [`format_instructions`] / [`format_actions`] mirror `ofpacts_format`: the text of a flow
//!   after `actions=`.
//!
//! Port and table names from the context are used both ways (`--names`).

mod check;
mod format;
mod kv;
mod learn;
pub mod parse;
mod parse_args;
mod parse_ct;
mod parse_field;
mod parse_header;

pub use format::{format_action, format_actions, format_instructions, format_subfield};
pub use parse::{parse_actions, parse_instructions, parse_instructions_for_match};

#[cfg(test)]
mod tests;
