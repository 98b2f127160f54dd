//! OpenFlow for Open vSwitch: the wire codec ([`codec`]), the ovs-ofctl flow text ([`text`]) and
//! the connection to `ovs-vswitchd` ([`conn`]).
//!
//! Written by hand because no Rust crate speaks OpenFlow 1.3/1.5 with the Nicira extensions
//! losslessly (see `docs/architecture.md`).

pub mod codec;
pub mod conn;
pub mod ofctl;
pub mod text;
