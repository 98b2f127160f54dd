//! The Kubernetes API as a source and a status sink (feature `kube`).
//!
//! - [`source`]: kube-runtime watchers for Namespaces, Nodes, this node's Pods, ExternalIPPools
//!   and Egresses (`crd.antrea.io/v1beta1`), turned into the controller's
//!   [`Input`]s exactly as the manifest directory produces them
//!   ([`mirror`] keeps the diff across relists, [`resources`] converts API objects through the
//!   model's loader).
//! - [`status`]: which status fields this node writes (pure), and [`writer`]: writing them with
//!   the status subresource, retrying on `409 Conflict`, and Kubernetes Events.
//! - [`node_settings`]: this node's transport IP and pod CIDR from its Node object.
//! - [`liveness`]: node liveness as Kubernetes reports it (Node `Ready`, Leases), combined with
//!   the membership layer.
//!
//! Invariants: nothing here decides anything the egress domain decides; every agent computes
//! the same plan, and exactly one agent (chosen deterministically from the plan and the alive
//! set) writes each status field, so agents do not fight over objects. `docs/kubernetes.md`
//! describes deployment, RBAC and what the test API server does not model.

pub mod liveness;
pub mod mirror;
pub mod node_settings;
pub mod resources;
pub mod source;
pub mod status;
pub mod writer;

use std::collections::BTreeSet;
use std::time::Duration;

use ::kube::Client;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::cluster::ClusterView;
use super::source::Input;
use source::SourceConfig;
use status::{plan_writes, Write};
use writer::StatusWriter;

/// A client from the environment: the in-cluster service account (a DaemonSet pod), else
/// `KUBECONFIG` / `~/.kube/config`.
pub async fn client_from_env() -> Result<Client, ::kube::Error> {
    Client::try_default().await
}

/// The Kubernetes side of one agent: the source task feeding the controller, the status writer
/// task, and what the controller calls after applying inputs. Tasks stop when it is dropped.
///
/// Wiring (what the controller does):
/// ```text
/// let k8s = KubeHandle::spawn(client, SourceConfig::new(node), inputs_tx, true);
/// while let Some(input) = inputs_rx.recv().await {
///     view.apply(input);
///     k8s.after_apply(&view);            // plans this node's status writes once synced
/// }
/// ```
pub struct KubeHandle {
    node: String,
    writes: watch::Sender<Vec<Write>>,
    kube_down: watch::Receiver<BTreeSet<String>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for KubeHandle {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl KubeHandle {
    /// Starts the source (sending to `inputs`, including [`Input::KubeDown`] whenever the set of
    /// nodes Kubernetes declares failed changes) and, if `write_status`, the status writer.
    pub fn spawn(
        client: Client,
        cfg: SourceConfig,
        inputs: mpsc::UnboundedSender<Input>,
        write_status: bool,
    ) -> KubeHandle {
        let node = cfg.node_name.clone();
        let (down_tx, kube_down) = watch::channel(BTreeSet::new());
        let (writes, writes_rx) = watch::channel(Vec::new());
        let mut tasks = vec![
            tokio::spawn(source::run(client.clone(), cfg, inputs.clone(), down_tx)),
            tokio::spawn(forward_kube_down(kube_down.clone(), inputs)),
        ];
        if write_status {
            let writer = StatusWriter::new(client, &node);
            tasks.push(tokio::spawn(writer.run(writes_rx, Duration::from_secs(5))));
        }
        KubeHandle {
            node,
            writes,
            kube_down,
            tasks,
        }
    }

    /// Plans this node's status writes from `view` (once the Kubernetes source is synced, so a
    /// partial view never writes) and hands them to the writer if they changed.
    pub fn after_apply(&self, view: &ClusterView) {
        if !view.is_synced(source::SOURCE) {
            return;
        }
        let planned = plan_writes(view.engine(), &self.node);
        self.writes.send_if_modified(|w| {
            let changed = *w != planned;
            if changed {
                *w = planned;
            }
            changed
        });
    }

    /// The nodes Kubernetes declares down, for the membership layer
    /// ([`liveness::combine`]).
    pub fn kube_down(&self) -> watch::Receiver<BTreeSet<String>> {
        self.kube_down.clone()
    }
}

/// Sends every change of the nodes Kubernetes declares down to the controller as
/// [`Input::KubeDown`] (the cluster view's veto on the alive set, `docs/failover.md`).
async fn forward_kube_down(
    mut down: watch::Receiver<BTreeSet<String>>,
    inputs: mpsc::UnboundedSender<Input>,
) {
    loop {
        let set = down.borrow_and_update().clone();
        if inputs.send(Input::KubeDown(set)).is_err() {
            return;
        }
        if down.changed().await.is_err() {
            return;
        }
    }
}
