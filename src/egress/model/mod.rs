//! Plain-data Kubernetes and Antrea objects: `Egress`, `ExternalIPPool`
//! (`crd.antrea.io/v1beta1` and `v1alpha2`, Antrea manifests load unchanged) and the parts of
//! `Pod`, `Namespace` and `Node` the egress domain needs.
//!
//! Invariants: every value of these types is valid as far as one object can tell (IPs parse,
//! selectors are well formed, ranges are ordered and single-family) because validation happens
//! during deserialization; errors carry the field path (via `serde_path_to_error`).
//! No kube / k8s-openapi types here: the `kube` feature converts into these.
//!
//! YAML: `serde_norway` remains optional (feature `agent`); [`load::load_values`] takes JSON
//! values so the model builds with `--no-default-features`, and `yaml::load_yaml` (feature
//! `agent`) is the multi-document YAML front end.

pub mod core;
pub mod egress;
pub mod external_ip_pool;
pub mod load;
pub mod meta;
pub mod net;
pub mod quantity;
#[cfg(feature = "agent")]
pub mod yaml;

pub use self::core::{Namespace, Node, NodeAddress, Pod, PodIp, PodKey, MAX_EGRESS_IPS_ANNOTATION};
pub use crate::egress::selector::{LabelSelector, Labels};
pub use egress::{AppliedTo, Bandwidth, Egress, EgressSpec, EgressStatus, StatusCondition};
pub use external_ip_pool::{ExternalIPPool, ExternalIPPoolSpec, IpPoolUsage, IpRange, SubnetInfo};
pub use load::{load_value, load_values, validate, LoadError, Loaded, Object};
pub use meta::{ObjectMeta, Timestamp};
pub use quantity::Quantity;
#[cfg(feature = "agent")]
pub use yaml::load_yaml;
