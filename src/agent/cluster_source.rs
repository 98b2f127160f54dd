//! The agent's source of cluster objects as configured (`source:`): the manifest directory, or
//! the Kubernetes API (feature `kube`). The runtime starts one, waits for its first snapshot
//! ([`ClusterObjects::name`] in [`super::source::Input::SourceSynced`]) and calls
//! [`ClusterObjects::after_apply`] after every batch of inputs it applied, which is where the
//! Kubernetes source plans this node's status writes (Egress status, pool usage, Events).
//!
//! Invariant: both sources speak the same [`Input`]s into the same channel; nothing after this
//! point knows which one runs.

use tokio::sync::mpsc;

use super::cluster::ClusterView;
use super::config::{AgentConfig, ClusterSource};
use super::manifest::{self, ManifestDir};
use super::source::Input;

/// The running source of cluster objects.
pub struct ClusterObjects {
    name: &'static str,
    #[cfg(feature = "kube")]
    kube: Option<super::k8s::KubeHandle>,
}

impl ClusterObjects {
    /// Starts the configured source, sending to `inputs`. The Kubernetes client comes from the
    /// environment (in-cluster service account, else `KUBECONFIG`); if it cannot be built the
    /// agent keeps retrying (it never installs flows without its first snapshot).
    pub async fn spawn(cfg: &AgentConfig, inputs: mpsc::UnboundedSender<Input>) -> ClusterObjects {
        match &cfg.source {
            ClusterSource::Manifests { dir } => {
                let dir = ManifestDir::new(dir, std::slice::from_ref(&cfg.status_dir));
                tokio::spawn(manifest::watch::run(dir, cfg.rescan_interval, inputs));
                ClusterObjects {
                    name: manifest::SOURCE,
                    #[cfg(feature = "kube")]
                    kube: None,
                }
            }
            #[cfg(feature = "kube")]
            ClusterSource::Kubernetes => {
                use super::k8s::{client_from_env, source, KubeHandle};
                let mut failures = 0u32;
                let client = loop {
                    match client_from_env().await {
                        Ok(c) => break c,
                        Err(e) => {
                            if failures.is_multiple_of(20) {
                                tracing::error!("no Kubernetes client ({e}); retrying");
                            }
                            failures += 1;
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                    }
                };
                let sc = source::SourceConfig::new(&cfg.node_name);
                let handle = KubeHandle::spawn(client, sc, inputs, true);
                tracing::info!("watching the Kubernetes API");
                ClusterObjects {
                    name: source::SOURCE,
                    kube: Some(handle),
                }
            }
        }
    }

    /// The source's name, whose [`Input::SourceSynced`] the runtime waits for.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Called after every batch of inputs the controller applied: the Kubernetes source plans
    /// this node's status writes from the view (nothing for the manifest directory, whose status
    /// is the status files).
    pub fn after_apply(&self, view: &ClusterView) {
        #[cfg(feature = "kube")]
        if let Some(k) = &self.kube {
            k.after_apply(view);
        }
        #[cfg(not(feature = "kube"))]
        let _ = view;
    }

    /// The nodes Kubernetes declares down (Node `Ready` / Leases), for the membership layer to
    /// combine with gossip ([`super::k8s::liveness::combine`]); `None` with the manifest source.
    #[cfg(feature = "kube")]
    pub fn kube_down(
        &self,
    ) -> Option<tokio::sync::watch::Receiver<std::collections::BTreeSet<String>>> {
        self.kube.as_ref().map(|k| k.kube_down())
    }
}
