//! RFC 7047 OVSDB client and typed helpers for the `Open_vSwitch` schema.
//!
//! Layers, each usable on its own by a CNI agent that wants nothing else of this crate:
//! - [`proto`]: the protocol as plain data (sans-IO): framing, JSON-RPC 1.0, the data model,
//!   transact operations and results, monitor updates and a local replica of monitored tables;
//! - [`client`]: a tokio driver over `unix:PATH` / `tcp:HOST:PORT` (one task owns the socket,
//!   answers echo, re-establishes monitors after a reconnect);
//! - [`vswitch`]: idempotent `Open_vSwitch` helpers (bridges, ports, `next_cfg`/`cur_cfg`,
//!   ofport) and a live view of Interfaces with the CNI's `external_ids`.
//!
//! The OVS sources mirrored: `lib/jsonrpc.c` (messages, echo), `lib/ovsdb-data.c` (data
//! encoding, update2 diffs), `lib/ovsdb-cs.c` (monitor/reconnect state machine),
//! `ovsdb/execution.c` (transact results), `utilities/ovs-vsctl.c` (what add-br/add-port send,
//! waiting for `cur_cfg`), `vswitchd/vswitch.ovsschema`.
//!
//! # Why our own client
//! The mission names the `ovsdb` crate; it and the other candidates were evaluated against
//! issue 4 (see `shared/reference/openflow-ovsdb.md` §1) and none serves:
//! - `ovsdb` 0.0.6 (holodekk, "heavily WIP", silent since 2024-02): its transact only knows
//!   `select`; `monitor`, `lock` and friends are commented out; no reconnect.
//! - `ovsdb-client` 0.0.1 (vexxhost): no `transact`; built on a JSON-RPC 2.0 library patched to
//!   look like 1.0, and its decoder parses the whole read buffer and clears it, so two replies in
//!   one read fail with "trailing characters" and a message split over two reads is lost.
//! - `rovs-ovsdb` 0.2.0: the right scope but a young single-author work in progress; it parses
//!   by counting braces, and its bridge helpers neither bump `next_cfg` nor wait for `cur_cfg`,
//!   so "the port exists and has an ofport" cannot be awaited the way ovs-vsctl does.
//!
//! Writing the protocol core ourselves is a few hundred lines per concern on top of `serde_json`
//! (whose `StreamDeserializer` does the framing), `tokio` and `uuid`, and lets the tests hold it
//! to ovsdb-server's real behaviour.

pub mod client;
pub mod proto;
pub mod vswitch;
