//! The Kubernetes source task: five kube watchers (Namespaces, Nodes, Pods on this node,
//! ExternalIPPools, Egresses) merged into one stream of [`Input`]s for the controller — the same
//! inputs the manifest directory produces, so the controller cannot tell them apart.
//!
//! Why only this node's Pods (field selector `spec.nodeName=<node>`): a pod's traffic is
//! classified on its own node (selected → SNAT here or tunnel to the owner; not selected → node
//! IP), and the owner of an egress IP receives remote pods' packets already tunnelled with the
//! egress id, so it needs nothing about them. IP allocation, election and status depend on
//! Egresses, pools, nodes and liveness only, never on pods. So no agent needs another node's pods,
//! and watching only local ones keeps each agent's memory and the API server's fan-out
//! proportional to the node, not the cluster. Namespaces (labels for `namespaceSelector`) and
//! Nodes (labels for pool `nodeSelector`s, transport IPs for tunnels, readiness) are needed
//! cluster-wide.
//!
//! A sixth watcher reads the kubelets' Leases in `kube-node-lease`; they feed only node
//! liveness ([`KubeLiveness`], sent as [`Input::KubeDown`] by the handle), never the mirrors,
//! so they neither produce object inputs nor delay [`Input::SourceSynced`].
//!
//! Resilience is kube-runtime's watcher: list, then watch from the list's `resourceVersion`,
//! resume from the last seen version (bookmarks keep it fresh) when a watch ends or breaks, and
//! relist on `410 Gone`; errors are retried with backoff. [`KindMirror`] turns every relist into
//! a diff, so deletions during an outage are not lost. [`Input::SourceSynced`] is sent once every
//! kind has been listed completely once.

use std::collections::BTreeSet;
use std::time::Duration;

use ::kube::api::{Api, ApiResource, DynamicObject};
use ::kube::runtime::watcher::{self, Event};
use ::kube::runtime::WatchStreamExt;
use ::kube::Client;
use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::{mpsc, watch};

use crate::egress::model::Timestamp;

use super::super::source::{Input, Kind};
use super::liveness::KubeLiveness;
use super::mirror::{KindMirror, MirrorOutput};
use super::resources::{api_resource, WATCHED};

/// The source name in [`Input::SourceErrors`] and [`Input::SourceSynced`].
pub const SOURCE: &str = "kubernetes";

/// What the source watches.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// This node's name (`NODE_NAME` from the downward API): only its Pods are watched.
    pub node_name: String,
    /// Server-side timeout of each watch call in seconds (kube's default 290 when `None`).
    pub watch_timeout: Option<u32>,
    /// How long a Node may be not `Ready`, or its Lease expired, before Kubernetes' opinion
    /// counts as "down" ([`super::liveness`]).
    pub not_ready_grace: Duration,
    /// Whether to watch the kubelets' Leases in `kube-node-lease` as a second liveness signal
    /// next to Node `Ready` (default on; needs `list, watch` on leases there, deploy/rbac.yaml).
    pub watch_leases: bool,
}

impl SourceConfig {
    /// Defaults for `node`: kube's watch timeout, 40 s grace (the node lifecycle controller's
    /// own default before it marks a node `Unknown`).
    pub fn new(node: &str) -> SourceConfig {
        SourceConfig {
            node_name: node.to_string(),
            watch_timeout: None,
            not_ready_grace: Duration::from_secs(40),
            watch_leases: true,
        }
    }
}

/// The field selector for the Pods of `node`.
pub fn pod_field_selector(node: &str) -> String {
    format!("spec.nodeName={node}")
}

/// What a watcher event is about: one of the mirrored kinds, or a kubelet Lease (liveness only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watched {
    Object(Kind),
    Lease,
}

impl Watched {
    fn name(self) -> &'static str {
        match self {
            Watched::Object(k) => k.as_str(),
            Watched::Lease => "Lease",
        }
    }
}

/// The namespace of the kubelets' node Leases.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// The API resource of the kubelets' node Leases (`coordination.k8s.io/v1`).
pub fn lease_resource() -> ApiResource {
    ApiResource {
        group: "coordination.k8s.io".into(),
        version: "v1".into(),
        api_version: "coordination.k8s.io/v1".into(),
        kind: "Lease".into(),
        plural: "leases".into(),
    }
}

type WatchStream = BoxStream<'static, (Watched, watcher::Result<Event<DynamicObject>>)>;

fn watch_with(
    api: Api<DynamicObject>,
    cfg: &SourceConfig,
    what: Watched,
    wc: watcher::Config,
) -> WatchStream {
    let wc = match cfg.watch_timeout {
        Some(t) => wc.timeout(t),
        None => wc,
    };
    watcher::watcher(api, wc)
        .default_backoff()
        .map(move |e| (what, e))
        .boxed()
}

fn watcher_for(client: &Client, cfg: &SourceConfig, kind: Kind) -> WatchStream {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &api_resource(kind));
    let mut wc = watcher::Config::default();
    if kind == Kind::Pod {
        wc = wc.fields(&pod_field_selector(&cfg.node_name));
    }
    watch_with(api, cfg, Watched::Object(kind), wc)
}

fn lease_watcher(client: &Client, cfg: &SourceConfig) -> WatchStream {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), NODE_LEASE_NAMESPACE, &lease_resource());
    watch_with(api, cfg, Watched::Lease, watcher::Config::default())
}

/// The per-kind mirrors and the sync bookkeeping, fed one watcher event at a time.
#[derive(Debug)]
pub struct SourceState {
    mirrors: Vec<KindMirror>,
    announced_sync: bool,
    liveness: KubeLiveness,
}

impl SourceState {
    /// Mirrors for every watched kind, nothing known yet; nodes not `Ready` for longer than
    /// `grace_secs` are reported down by [`SourceState::kube_down`].
    pub fn new(grace_secs: i64) -> SourceState {
        SourceState {
            mirrors: WATCHED.iter().map(|k| KindMirror::new(*k)).collect(),
            announced_sync: false,
            liveness: KubeLiveness::new(grace_secs),
        }
    }

    /// Kubernetes' liveness view (from the Nodes' `Ready` conditions).
    pub fn liveness(&self) -> &KubeLiveness {
        &self.liveness
    }

    /// The nodes Kubernetes declares down at `now` (see [`super::liveness`]).
    pub fn kube_down(&self, now: Timestamp) -> BTreeSet<String> {
        self.liveness.down(now)
    }

    /// The mirror of `kind`.
    pub fn mirror(&self, kind: Kind) -> Option<&KindMirror> {
        self.mirrors.iter().find(|m| m.kind() == kind)
    }

    /// Whether every kind has been listed once.
    pub fn is_synced(&self) -> bool {
        self.mirrors.iter().all(KindMirror::is_synced)
    }

    /// Applies one watcher event of the kubelets' Leases (liveness only; nothing for the
    /// controller except through [`SourceState::kube_down`]).
    pub fn on_lease_event(&mut self, event: Event<DynamicObject>) {
        match event {
            Event::Apply(o) | Event::InitApply(o) => {
                self.liveness
                    .observe_lease(&serde_json::to_value(&o).unwrap_or_default());
            }
            Event::Delete(o) => self
                .liveness
                .forget_lease(o.metadata.name.as_deref().unwrap_or("")),
            Event::Init | Event::InitDone => {}
        }
    }

    /// Applies one watcher event of `kind` and returns the inputs to send, in order.
    pub fn on_event(&mut self, kind: Kind, event: Event<DynamicObject>) -> Vec<Input> {
        if kind == Kind::Node {
            match &event {
                Event::Apply(o) | Event::InitApply(o) => {
                    self.liveness
                        .observe_node(&serde_json::to_value(o).unwrap_or_default());
                }
                Event::Delete(o) => self
                    .liveness
                    .forget_node(o.metadata.name.as_deref().unwrap_or("")),
                Event::Init | Event::InitDone => {}
            }
        }
        let Some(mirror) = self.mirrors.iter_mut().find(|m| m.kind() == kind) else {
            return Vec::new();
        };
        let out = match event {
            Event::Init => {
                mirror.init();
                MirrorOutput::default()
            }
            Event::InitApply(o) => {
                mirror.init_apply(&o);
                MirrorOutput::default()
            }
            Event::InitDone => mirror.init_done(),
            Event::Apply(o) => mirror.apply(&o),
            Event::Delete(o) => mirror.delete(&o),
        };
        let mut inputs = out.changes;
        if out.errors_changed {
            inputs.push(self.errors_input());
        }
        if out.first_sync && !self.announced_sync && self.is_synced() {
            self.announced_sync = true;
            inputs.push(Input::SourceSynced(SOURCE));
        }
        inputs
    }

    /// Every rejected object of every kind, as one input.
    pub fn errors_input(&self) -> Input {
        let mut errors: Vec<_> = self
            .mirrors
            .iter()
            .flat_map(|m| m.errors().cloned())
            .collect();
        errors.sort();
        Input::SourceErrors {
            source: SOURCE,
            errors,
        }
    }
}

/// Runs the source until the controller's receiver is dropped. Watch errors are logged and
/// retried (with backoff) forever: an unreachable API server delays the first sync, it never
/// ends the agent. `kube_down` receives the nodes Kubernetes declares down (updated on Node
/// events and when a grace period runs out), for the membership layer to combine with gossip
/// ([`super::liveness::combine`]).
pub async fn run(
    client: Client,
    cfg: SourceConfig,
    tx: mpsc::UnboundedSender<Input>,
    kube_down: watch::Sender<BTreeSet<String>>,
) {
    let mut streams: Vec<_> = WATCHED
        .iter()
        .map(|k| watcher_for(&client, &cfg, *k))
        .collect();
    if cfg.watch_leases {
        streams.push(lease_watcher(&client, &cfg));
    }
    let mut events = stream::select_all(streams);
    let grace = i64::try_from(cfg.not_ready_grace.as_secs()).unwrap_or(i64::MAX);
    let mut state = SourceState::new(grace);
    loop {
        let now = crate::agent::status::now();
        kube_down.send_if_modified(|down| {
            let new = state.kube_down(now);
            let changed = *down != new;
            *down = new;
            changed
        });
        let wake = state
            .liveness()
            .next_change(now)
            .map(|t| u64::try_from(t.unix_secs() - now.unix_secs()).unwrap_or(0))
            .unwrap_or(3600);
        let next = tokio::select! {
            next = events.next() => next,
            _ = tokio::time::sleep(Duration::from_secs(wake)) => continue,
        };
        let Some((what, event)) = next else {
            return;
        };
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(kind = what.name(), "kubernetes watch: {e}");
                continue;
            }
        };
        let kind = match what {
            Watched::Object(kind) => kind,
            Watched::Lease => {
                state.on_lease_event(event);
                continue;
            }
        };
        for input in state.on_event(kind, event) {
            if tx.send(input).is_err() {
                return;
            }
        }
    }
}
