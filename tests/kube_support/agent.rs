//! A test agent: the Kubernetes source and status writer of one node, with a minimal controller
//! loop (apply each input to a `ClusterView`; once synced, hand the planned status writes to the
//! writer) — the wiring the agent's controller does.

use std::sync::{Arc, Mutex, MutexGuard};

use ovs_egress::agent::cluster::ClusterView;
use ovs_egress::agent::config::{AgentConfig, Settings};
use ovs_egress::agent::k8s::source::SourceConfig;
use ovs_egress::agent::k8s::KubeHandle;
use ovs_egress::agent::source::Input;
use tokio::sync::mpsc;

use super::FakeApiServer;

/// The configuration of test node `node` (index `k` picks its addresses).
pub fn agent_config(node: &str, k: u8) -> AgentConfig {
    Settings {
        node_name: Some(node.into()),
        uplink_interface: Some("eth0".into()),
        transport_ip: Some(format!("192.168.77.{}/24", 10 + k).parse().unwrap()),
        pod_cidr: Some(format!("10.244.{k}.0/24").parse().unwrap()),
        next_hop: Some("192.168.77.1".parse().unwrap()),
        manifest_dir: Some("/nonexistent".into()),
        ..Settings::default()
    }
    .resolve()
    .unwrap()
}

/// One running test agent; its tasks stop when it is dropped.
pub struct TestAgent {
    /// Node name.
    pub node: String,
    view: Arc<Mutex<ClusterView>>,
    inputs: Arc<Mutex<Vec<Input>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl TestAgent {
    /// Starts the source (and the status writer if `write_status`) of node `node`.
    pub fn start(server: &FakeApiServer, node: &str, k: u8, write_status: bool) -> TestAgent {
        let view = Arc::new(Mutex::new(ClusterView::new(&agent_config(node, k))));
        let inputs = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = mpsc::channel::<Input>(1024);
        let handle = KubeHandle::spawn(server.client(), SourceConfig::new(node), tx, write_status);
        let (v, log) = (view.clone(), inputs.clone());
        let tasks = vec![tokio::spawn(async move {
            while let Some(input) = rx.recv().await {
                let mut view = v.lock().unwrap();
                log.lock().unwrap().push(input.clone());
                view.apply(input);
                handle.after_apply(&view);
            }
        })];
        TestAgent {
            node: node.into(),
            view,
            inputs,
            tasks,
        }
    }

    /// The agent's merged view.
    pub fn view(&self) -> MutexGuard<'_, ClusterView> {
        self.view.lock().unwrap()
    }

    /// Every input received so far.
    pub fn inputs(&self) -> Vec<Input> {
        self.inputs.lock().unwrap().clone()
    }
}
