//! Errors of the testbed: every failure says which step and which object it concerns.

use std::io;
use std::path::PathBuf;

use crate::sandbox::SandboxError;

use super::pcap::PcapError;

/// Why a topology could not be built, used or torn down.
#[derive(Debug, thiserror::Error)]
pub enum TestbedError {
    /// The topology spec is inconsistent (too many nodes for the address plan, a bad prefix...).
    #[error("invalid topology spec: {0}")]
    InvalidSpec(String),
    /// A command (`ip`, `ovs-vsctl`, `ethtool`...) failed, or a condition timed out.
    #[error(transparent)]
    Command(#[from] SandboxError),
    /// A file of the run directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The `testbed-probe` helper binary (TCP recorder and client) was not found.
    #[error(
        "cannot find the testbed-probe binary (looked at {0}); build it with \
         `cargo build --bin testbed-probe`, or set OVS_EGRESS_TESTBED_PROBE"
    )]
    ProbeNotFound(String),
    /// A tool printed something we could not interpret.
    #[error("unexpected output from {what}: {output:?}")]
    UnexpectedOutput {
        /// Which tool or step.
        what: String,
        /// What it printed.
        output: String,
    },
    /// The external host's packet capture could not be parsed.
    #[error("packet capture {path}: {source}")]
    Capture {
        /// The capture file.
        path: PathBuf,
        /// What is wrong with it.
        source: PcapError,
    },
    /// No node or pod of that name or index exists in the topology.
    #[error("no {kind} {name:?} in this topology")]
    NotFound {
        /// "node" or "pod".
        kind: &'static str,
        /// The name or index asked for.
        name: String,
    },
    /// Teardown finished but something it created is still there.
    #[error("teardown left things behind: {0}")]
    Leftovers(String),
}

impl TestbedError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> TestbedError {
        TestbedError::Io {
            path: path.into(),
            source,
        }
    }
}
