//! The egress domain: pure data and functions, no I/O, no clock, no randomness.
//!
//! Given Egresses, ExternalIPPools, Pods, Namespaces, Nodes and the set of alive nodes, decide
//! which IP each Egress uses ([`pool`]), which node owns each IP ([`election`]), the tunnel key of
//! each IP ([`egress_id`]) and which Egress applies to each pod ([`binding`]); [`state`] puts it
//! together ([`state::compute`]) and [`engine`] keeps the result up to date incrementally.
//! Every agent computes the same answers from the same inputs: each pass has an explicit,
//! documented order (Egresses by creationTimestamp then name, as Antrea's scheduler).
//!
//! Reading order: [`model`] → [`selector`] → [`pool`] → [`election`] → [`egress_id`] →
//! [`plan`] → [`binding`] → [`state`] → [`engine`].

pub mod binding;
pub mod conditions;
pub mod egress_id;
pub mod election;
pub mod engine;
pub mod model;
pub mod plan;
pub mod pool;
pub mod selector;
pub mod state;
