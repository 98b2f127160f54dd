//! The sans-IO OpenFlow codec: bytes ⇄ typed messages, for OpenFlow 1.3 and 1.5 with the Open
//! vSwitch (Nicira) extensions.
//!
//! Invariants:
//! - Decoding never panics and never reads past a length the input declared: every TLV, action,
//!   instruction and message body is parsed through a bounded [`Reader`] of exactly its length.
//! - Decoding is lossless: anything we do not model (unknown messages, actions, match fields,
//!   properties) is kept as raw bytes and re-encoded unchanged.
//! - Distinct wire forms stay distinct (`reg_load` vs `reg_load2` vs `set_field`, `resubmit` vs
//!   `resubmit(,table)`), because `ovs-ofctl` prints them differently.
//! - The protocol version is an argument of encoding; types are version-independent where OVS's
//!   own intermediate representation is (`lib/ofp-actions.c`, `lib/nx-match.c`).

pub mod action;
mod buf;
pub mod field;
pub mod flow;
pub mod instruction;
pub mod match_;
pub mod message;
pub mod port;
pub mod value;

pub use action::Action;
pub use buf::{pad_to, patch_u16, Reader};
pub use field::{Field, FieldInfo, Format, HeaderAssign, OxmHeader, Prereq};
pub use flow::{FlowMod, FlowModCommand, FlowModFlags, FlowStats};
pub use instruction::Instruction;
pub use match_::{Match, MatchEntry, MatchProblem};
pub use port::{PortNames, PortNo};
pub use value::Value;

/// An OpenFlow protocol version this codec can encode and decode bodies for.
///
/// Only 1.3 and 1.5 are modelled: they are what Antrea (1.5) and most controllers (1.3) speak,
/// and the two differ in the places that matter for a CNI pipeline (set_field masks, copy_field,
/// bundles, flow stats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// OpenFlow 1.3, wire version 0x04.
    Of13,
    /// OpenFlow 1.5, wire version 0x06.
    Of15,
}

impl Version {
    /// The `ofp_header.version` byte.
    pub const fn wire(self) -> u8 {
        match self {
            Version::Of13 => 0x04,
            Version::Of15 => 0x06,
        }
    }

    /// The version for a header byte, if supported.
    pub const fn from_wire(v: u8) -> Option<Version> {
        match v {
            0x04 => Some(Version::Of13),
            0x06 => Some(Version::Of15),
            _ => None,
        }
    }

    /// The name ovs-ofctl uses in message headers (`OF1.3`).
    pub const fn short_name(self) -> &'static str {
        match self {
            Version::Of13 => "OF1.3",
            Version::Of15 => "OF1.5",
        }
    }

    /// The name used by `-O` and `Bridge.protocols` (`OpenFlow13`).
    pub const fn protocol_name(self) -> &'static str {
        match self {
            Version::Of13 => "OpenFlow13",
            Version::Of15 => "OpenFlow15",
        }
    }
}

/// Why some bytes could not be decoded. Carries enough context to say where and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than a structure needs.
    #[error("{what}: truncated (need {need} bytes, have {have})")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// A length field is impossible (too small, not a multiple of 8, past the end...).
    #[error("{what}: bad length {len}")]
    BadLength {
        /// The structure whose length is wrong.
        what: &'static str,
        /// The length found.
        len: usize,
    },
    /// The version byte names a version this codec does not decode.
    #[error("unsupported OpenFlow version 0x{0:02x}")]
    UnsupportedVersion(u8),
    /// A field holds a value the protocol does not allow.
    #[error("{what}: bad value {value:#x}")]
    BadValue {
        /// The field.
        what: &'static str,
        /// The value found.
        value: u64,
    },
    /// Padding that must be zero is not.
    #[error("{what}: non-zero padding")]
    BadPadding {
        /// The structure.
        what: &'static str,
    },
    /// A match field appears twice, has a mask where none is allowed, has value bits outside its
    /// mask, or comes before its prerequisites.
    #[error("match field {field}: {problem}")]
    BadMatch {
        /// The field name (`ipv4_src`) or header (`0x80001604`).
        field: String,
        /// What is wrong (the `OFPBMC_*` error OVS would answer).
        problem: MatchProblem,
    },
    /// Bytes are left over after a structure that must fill its container.
    #[error("{what}: {extra} trailing bytes")]
    Trailing {
        /// The structure.
        what: &'static str,
        /// Number of extra bytes.
        extra: usize,
    },
}

/// Why a typed value cannot be encoded for a version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The construct does not exist in this protocol version (e.g. `reg_load` in OF1.5, a masked
    /// `set_field` in OF1.3).
    #[error("{what} cannot be encoded in {}", version.short_name())]
    NotInVersion {
        /// The construct.
        what: &'static str,
        /// The target version.
        version: Version,
    },
    /// The encoding would exceed a 16-bit length field.
    #[error("{what} is too long ({len} bytes)")]
    TooLong {
        /// The construct.
        what: &'static str,
        /// The length it would have.
        len: usize,
    },
    /// A value is out of range for its wire field.
    #[error("{what}: {problem}")]
    BadValue {
        /// The construct.
        what: &'static str,
        /// What is wrong.
        problem: String,
    },
}
