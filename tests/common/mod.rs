//! Helpers shared by integration tests: OVS autotest parsing (`ovs_at`) and a fake OpenFlow
//! switch that captures what `ovs-ofctl` sends (`fake_switch`).
#![allow(dead_code)]

pub mod fake_switch;
pub mod ovs_at;
