//! The ovs-ofctl flow text: parse flows (`priority=200,ip,nw_src=10.0.0.0/8,actions=...`) into
//! flow-mods, and print flows exactly as `ovs-ofctl dump-flows` prints them.
//!
//! Printing mirrors OVS's `lib/match.c::match_format`, `lib/ofp-actions.c::format_*` and
//! `lib/ofp-flow.c::ofputil_flow_stats_format`; parsing mirrors `lib/ofp-flow.c::parse_ofp_str`
//! and the `parse_*` functions of `lib/ofp-actions.c`, including their per-version encoding
//! choices (e.g. a masked `set_field` becomes `load:` in OpenFlow 1.3).

pub mod action;
pub mod flow;
pub mod match_;
mod names;

pub use names::TableNames;

use crate::ofproto::codec::value::ValueError;
use crate::ofproto::codec::{PortNames, Version};

/// What the text layer needs to know besides the text: the protocol version (encoding choices
/// depend on it) and the port and table names to print or accept.
#[derive(Clone, Copy, Debug)]
pub struct TextContext<'a> {
    /// The OpenFlow version the flow will be encoded in, or was decoded from.
    pub version: Version,
    /// Port names (`--names`), if any.
    pub ports: Option<&'a PortNames>,
    /// Table names (`--names`), if any.
    pub tables: Option<&'a TableNames>,
}

impl<'a> TextContext<'a> {
    /// A context without names.
    pub fn new(version: Version) -> Self {
        TextContext {
            version,
            ports: None,
            tables: None,
        }
    }
}

/// Why flow text could not be parsed: the offending piece of text and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input}: {kind}")]
pub struct ParseError {
    /// The piece of text that was rejected (a `key=value`, an action, ...).
    pub input: String,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// The kinds of flow-text errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A match field or keyword nobody knows.
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// An action nobody knows.
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    /// A field value that does not parse.
    #[error(transparent)]
    BadValue(#[from] ValueError),
    /// A syntax error (unbalanced parentheses, missing `=`...).
    #[error("{0}")]
    Syntax(String),
    /// A match field used without its prerequisite (`nw_src` without `ip`).
    #[error("{field} requires {needs}")]
    MissingPrerequisite {
        /// The field.
        field: &'static str,
        /// What it needs (`ip`, `tcp`...).
        needs: &'static str,
    },
    /// An action that does not fit the match (`mod_nw_ttl` without `ip`, `pop_mpls` without
    /// `mpls`...): only OpenFlow 1.0 tolerates it, so `ovs-ofctl -O OpenFlow13` refuses it
    /// ("no usable protocol").
    #[error("action inconsistent with the match (only OpenFlow 1.0 allows it)")]
    InconsistentWithMatch,
    /// An action reads or writes a field whose prerequisites the match lacks
    /// (`set_field:80->tcp_dst` without `tcp`): OVS's `OFPBAC_MATCH_INCONSISTENT`.
    #[error("{0} lacks correct prerequisites (OFPBAC_MATCH_INCONSISTENT)")]
    FieldPrerequisite(&'static str),
    /// Valid text that cannot be expressed in the chosen OpenFlow version.
    #[error("{what} is not supported in {}", version.short_name())]
    NotInVersion {
        /// The construct.
        what: String,
        /// The version.
        version: Version,
    },
}

impl ParseError {
    /// An error about `input`.
    pub fn new(input: impl Into<String>, kind: ParseErrorKind) -> Self {
        ParseError {
            input: input.into(),
            kind,
        }
    }
}
