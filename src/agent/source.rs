//! What sources feed the controller: cluster objects (from the manifest directory now, from
//! the Kubernetes API later), the node's local pod ports (OVSDB), and node liveness (the
//! membership layer). Every source speaks [`Input`]; the controller does not know which source
//! an object came from, so adding a source never touches the controller.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use crate::egress::model::{Object, PodKey};

use super::config::MacAddr;

/// The kind of a cluster object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// core/v1 Namespace.
    Namespace,
    /// core/v1 Node.
    Node,
    /// core/v1 Pod.
    Pod,
    /// crd.antrea.io ExternalIPPool.
    ExternalIPPool,
    /// crd.antrea.io Egress.
    Egress,
}

impl Kind {
    /// The kind as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::ExternalIPPool => "ExternalIPPool",
            Kind::Egress => "Egress",
        }
    }
}

/// The identity of a cluster object: kind, namespace (Pods only) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// Kind.
    pub kind: Kind,
    /// Namespace (Pods; empty for cluster-scoped kinds).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectRef {
    /// The identity of `object`.
    pub fn of(object: &Object) -> ObjectRef {
        let (kind, namespace) = match object {
            Object::Pod(p) => (Kind::Pod, p.namespace().to_string()),
            Object::Namespace(_) => (Kind::Namespace, String::new()),
            Object::Node(_) => (Kind::Node, String::new()),
            Object::Egress(_) => (Kind::Egress, String::new()),
            Object::ExternalIPPool(_) => (Kind::ExternalIPPool, String::new()),
        };
        ObjectRef {
            kind,
            namespace,
            name: object.name().to_string(),
        }
    }

    /// The pod key, for a Pod reference.
    pub fn pod_key(&self) -> Option<PodKey> {
        (self.kind == Kind::Pod).then(|| PodKey::new(&self.namespace, &self.name))
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind.as_str(), self.name)
        } else {
            write!(f, "{} {}/{}", self.kind.as_str(), self.namespace, self.name)
        }
    }
}

/// A problem a source found in its input (an invalid manifest, a duplicate object), reported
/// in the status and the log; it never stops the other objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceError {
    /// Where (a file relative to the manifest directory, or an API path).
    pub origin: String,
    /// The object concerned, when known.
    pub object: Option<ObjectRef>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// A pod port on this node, as the CNI attached it (OVSDB `Interface` external_ids + ofport).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodPort {
    /// The pod.
    pub pod: PodKey,
    /// The OVS interface name.
    pub interface: String,
    /// Its OpenFlow port on the pipeline bridge.
    pub ofport: u32,
    /// `attached-mac`.
    pub mac: MacAddr,
    /// `ip-address`.
    pub ips: Vec<IpAddr>,
}

/// One input to the controller.
#[derive(Debug, Clone)]
pub enum Input {
    /// A cluster object appeared or changed.
    Upsert(Box<Object>),
    /// A cluster object disappeared.
    Delete(ObjectRef),
    /// The complete list of problems a source currently sees (replaces its earlier list).
    SourceErrors {
        /// The source (`manifests`, `kubernetes`...).
        source: &'static str,
        /// Its problems.
        errors: Vec<SourceError>,
    },
    /// The first full snapshot of a source has been delivered (the controller installs flows
    /// only once every source it waits for is synced, so a restart never installs a partial view).
    SourceSynced(&'static str),
    /// A pod port appeared or changed on this node.
    PortUp(PodPort),
    /// A pod port disappeared (the interface name).
    PortDown(String),
    /// The nodes the membership layer considers alive (replaces the earlier set).
    Alive(BTreeSet<String>),
    /// A gossip membership snapshot (issue 7): alive set, isolation, claims. Replaces
    /// [`Input::Alive`]'s set; the first one marks the source [`MEMBERSHIP`] synced.
    Membership(Box<super::membership::MembershipReport>),
    /// The nodes Kubernetes declares failed (`Ready` other than `True` for longer than the
    /// grace, `k8s::liveness`): vetoed from the alive set whatever gossip says (replaces the
    /// earlier set; docs/failover.md, "Liveness").
    KubeDown(BTreeSet<String>),
}

/// The source name of gossip membership (waited for at start when it is configured).
pub const MEMBERSHIP: &str = "membership";
