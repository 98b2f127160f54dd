//! The Kubernetes API as a source and a status sink (feature `kube`).
//!
//! - [`source`]: kube-runtime watchers for Namespaces, Nodes, this node's Pods, ExternalIPPools
//!   and Egresses (`crd.antrea.io/v1beta1`), turned into the controller's
//!   [`Input`](super::source::Input)s exactly as the manifest directory produces them
//!   ([`mirror`] keeps the diff across relists, [`resources`] converts API objects through the
//!   model's loader).
//! - [`status`]: which status fields this node writes (pure), and [`writer`]: writing them with
//!   the status subresource, retrying on `409 Conflict`, and Kubernetes Events.
//! - [`liveness`]: node liveness as Kubernetes reports it (Node `Ready`, Leases), combined with
//!   the membership layer.
//!
//! Invariants: nothing here decides anything the egress domain decides; every agent computes
//! the same plan, and exactly one agent (chosen deterministically from the plan and the alive
//! set) writes each status field, so agents do not fight over objects. `docs/kubernetes.md`
//! describes deployment, RBAC and what the test API server does not model.

pub mod liveness;
pub mod mirror;
pub mod resources;
pub mod source;
pub mod status;
pub mod writer;
