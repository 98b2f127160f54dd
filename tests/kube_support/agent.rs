//! A test agent: the Kubernetes source and status writer of one node feeding the agent's real
//! `Controller` (cluster view + node pipeline), with the loop the runtime runs: apply each
//! input, then `KubeHandle::after_apply` to plan this node's status writes.

use std::sync::{Arc, Mutex, MutexGuard};

use ovs_egress::agent::bridges::InfraPorts;
use ovs_egress::agent::config::{AgentConfig, MacAddr, Settings};
use ovs_egress::agent::controller::Controller;
use ovs_egress::agent::k8s::source::SourceConfig;
use ovs_egress::agent::k8s::KubeHandle;
use ovs_egress::agent::source::Input;
use tokio::sync::mpsc;

use super::FakeApiServer;

/// Infrastructure ports as the bridges module would report them.
pub const PORTS: InfraPorts = InfraPorts {
    int_tunnel: 1,
    int_patch: 2,
    phy_uplink: 1,
    phy_patch: 2,
};

/// The next hop's MAC in every test configuration.
pub const NEXT_HOP_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);

/// The configuration of test node `node` on the seed's address plan (index `k`).
pub fn agent_config(node: &str, k: u8) -> AgentConfig {
    config(
        node,
        &format!("192.168.77.{}/24", 10 + k),
        &format!("10.244.{k}.0/24"),
        "192.168.77.1",
    )
}

/// The configuration of demo node `node` on the testbed's address plan (index `k` = 1, 2).
pub fn demo_config(node: &str, k: u8) -> AgentConfig {
    config(
        node,
        &format!("10.105.18.{}/24", 30 + k),
        &format!("192.168.{}.0/24", 99 + k),
        "10.105.18.35",
    )
}

fn config(node: &str, transport: &str, pod_cidr: &str, next_hop: &str) -> AgentConfig {
    Settings {
        node_name: Some(node.into()),
        uplink_interface: Some("eth0".into()),
        transport_ip: Some(transport.parse().unwrap()),
        pod_cidr: Some(pod_cidr.parse().unwrap()),
        next_hop: Some(next_hop.parse().unwrap()),
        manifest_dir: Some("/nonexistent".into()),
        ..Settings::default()
    }
    .resolve()
    .unwrap()
}

/// A controller for `cfg` (round 1, the test ports, a known next hop).
pub fn controller(cfg: AgentConfig) -> Controller {
    Controller::new(cfg, 1, PORTS, Some(NEXT_HOP_MAC)).unwrap()
}

/// One running test agent; its tasks stop when it is dropped.
pub struct TestAgent {
    /// Node name.
    pub node: String,
    ctl: Arc<Mutex<Controller>>,
    inputs: Arc<Mutex<Vec<Input>>>,
    feed: mpsc::UnboundedSender<Input>,
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
    /// Starts the source (and the status writer if `write_status`) of seed node `node`.
    pub fn start(server: &FakeApiServer, node: &str, k: u8, write_status: bool) -> TestAgent {
        Self::start_with(server, agent_config(node, k), write_status)
    }

    /// Starts an agent with configuration `cfg`.
    pub fn start_with(server: &FakeApiServer, cfg: AgentConfig, write_status: bool) -> TestAgent {
        let node = cfg.node_name.clone();
        let ctl = Arc::new(Mutex::new(controller(cfg)));
        let inputs = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = mpsc::unbounded_channel::<Input>();
        let handle = KubeHandle::spawn(
            server.client(),
            SourceConfig::new(&node),
            tx.clone(),
            write_status,
        );
        let (c, log) = (ctl.clone(), inputs.clone());
        let tasks = vec![tokio::spawn(async move {
            while let Some(input) = rx.recv().await {
                let mut ctl = c.lock().unwrap();
                log.lock().unwrap().push(input.clone());
                ctl.apply(input);
                handle.after_apply(ctl.view());
            }
        })];
        TestAgent {
            node,
            ctl,
            inputs,
            feed: tx,
            tasks,
        }
    }

    /// The agent's controller (its view, its pipeline).
    pub fn ctl(&self) -> MutexGuard<'_, Controller> {
        self.ctl.lock().unwrap()
    }

    /// Feeds an input from another source (e.g. a pod port, as the OVSDB source would).
    pub fn feed(&self, input: Input) {
        self.feed.send(input).unwrap();
    }

    /// Every input received so far.
    pub fn inputs(&self) -> Vec<Input> {
        self.inputs.lock().unwrap().clone()
    }
}
