//! Errors of the ovs-ofctl-like commands: one line each, naming the flow text and where it came
//! from.

use crate::ofproto::conn::{ConnError, SwitchError};
use crate::ofproto::text::ParseError;
use std::fmt;

/// Why a flow command failed.
#[derive(Debug, thiserror::Error)]
pub enum OfctlError {
    /// Talking to the switch failed (unreachable, disconnected, timeout...).
    #[error(transparent)]
    Conn(#[from] ConnError),
    /// A flow does not parse.
    #[error("{place}: {error}")]
    Parse {
        /// `FILE:LINE` or `argument`.
        place: String,
        /// What is wrong.
        error: ParseError,
    },
    /// The switch refused a flow; nothing of the bundle was applied.
    #[error("{place}: the switch rejected \"{text}\": {}; nothing was applied", Code(.error))]
    Rejected {
        /// `FILE:LINE` of the flow.
        place: String,
        /// The flow as written.
        text: String,
        /// The switch's error.
        error: Box<SwitchError>,
    },
    /// A file could not be read.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// `--sort=FIELD` with a field that cannot be sorted by.
    #[error("{0}: unknown field name")]
    BadSortField(String),
}

/// `OFPBAC_BAD_OUT_PORT (type 2, code 4)`.
struct Code<'a>(&'a SwitchError);

impl fmt::Display for Code<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::ofproto::codec::message::ErrorCode;
        f.write_str(self.0.name().unwrap_or("unknown error"))?;
        match self.0.code {
            ErrorCode::Standard { err_type, code } => write!(f, " (type {err_type}, code {code})"),
            ErrorCode::Experimenter {
                exp_code,
                experimenter,
            } => write!(f, " (experimenter {experimenter:#x}, code {exp_code})"),
        }
    }
}
