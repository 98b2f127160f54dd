//! A test agent: the Kubernetes source and status writer of one node, with a minimal controller
//! loop (apply each input to a `ClusterView`; once synced, hand the planned status writes to the
//! writer) — the wiring the agent's controller does.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ovs_egress::agent::cluster::ClusterView;
use ovs_egress::agent::config::{AgentConfig, Settings};
use ovs_egress::agent::k8s::source::{self, SourceConfig, SOURCE};
use ovs_egress::agent::k8s::status::plan_writes;
use ovs_egress::agent::k8s::writer::StatusWriter;
use ovs_egress::agent::source::Input;
use tokio::sync::{mpsc, watch};

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
        let client = server.client();
        let view = Arc::new(Mutex::new(ClusterView::new(&agent_config(node, k))));
        let inputs = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = mpsc::channel::<Input>(1024);
        let (wtx, wrx) = watch::channel(Vec::new());
        let mut tasks = vec![tokio::spawn(source::run(
            client.clone(),
            SourceConfig {
                node_name: node.into(),
                watch_timeout: None,
            },
            tx,
        ))];
        if write_status {
            let writer = StatusWriter::new(client, node);
            tasks.push(tokio::spawn(writer.run(wrx, Duration::from_millis(100))));
        }
        let (v, log, name) = (view.clone(), inputs.clone(), node.to_string());
        tasks.push(tokio::spawn(async move {
            while let Some(input) = rx.recv().await {
                let mut view = v.lock().unwrap();
                log.lock().unwrap().push(input.clone());
                view.apply(input);
                if view.is_synced(SOURCE) {
                    wtx.send_replace(plan_writes(view.engine(), &name));
                }
            }
        }));
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
