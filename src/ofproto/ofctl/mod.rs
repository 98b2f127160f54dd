//! ovs-ofctl's flow commands over a [`Switch`](crate::ofproto::conn::Switch): `dump-flows`
//! (both of its output paths, sorting, `--names`), flow files, and `add-flows`, `del-flows`,
//! `replace-flows` as atomic bundles, `diff-flows`. The `flow-dump` binary is a thin front end
//! over this module; the reconciler can reuse the flow-table diff.
//!
//! Mirrors (facts, not code) `utilities/ovs-ofctl.c`: `ofctl_dump_flows` (the streaming
//! `ofp_print` path vs. the collect-sort-print path), `compare_flows`, `get_port_map` /
//! `get_table_map`, `ds_get_preprocessed_line`, `read_flows_from_file` /
//! `read_flows_from_switch` / `fte_version_equals` / `fte_version_format` /
//! `fte_make_flow_mod` (replace-flows and diff-flows).

mod diff;
mod dump;
mod error;
mod file;
mod names;
mod sort;

pub use diff::{FlowTable, TableEntry};
pub use dump::{dump_flows, parse_dump_filter, DumpOptions, DumpPath};
pub use error::OfctlError;
pub use file::{read_flow_lines, FlowLine};
pub use names::{fetch_names, Names};
pub use sort::{sort_flows, SortKey};
