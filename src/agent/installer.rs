//! Puts flows into the switch: one [`Switch`] connection per bridge (OpenFlow 1.5, the
//! pipeline's encoding), every change set as atomic bundles in the reconciler's order (br-phy
//! additions, br-int, br-phy deletions: the reply path exists before SNAT uses it and outlives
//! it), full syncs against a dump (agent start, switch reconnect, after a failure), cleanup of
//! older cookie rounds, and gratuitous ARPs by packet-out.
//!
//! Never "flush, then install": a start or a replay adds what is missing and replaces what
//! differs in place (an OpenFlow ADD of an existing flow is atomic), and deletes only what is
//! not desired — older rounds only after the new round is complete.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;

use crate::egress::pipeline::{Bridge, DesiredFlows};
use crate::egress::reconcile::{cleanup_rounds, diff_all, ChangeSet, Stale};
use crate::ofproto::codec::message::multipart::FlowStatsRequest;
use crate::ofproto::codec::message::{Message, PacketOut};
use crate::ofproto::codec::{Action, FlowMod, FlowStats, PortNo, Version};
use crate::ofproto::conn::{ConnError, ConnState, Switch, SwitchOptions, Target};

use super::config::{AgentConfig, MacAddr};
use super::garp;
use super::metrics::Metrics;

/// Why installing failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A configured OpenFlow target does not parse.
    #[error("bad OpenFlow target {0:?}")]
    BadTarget(String),
    /// The switch connection or a request failed (the bridge is named).
    #[error("{bridge}: {source}")]
    Conn {
        /// The bridge.
        bridge: String,
        /// The failure.
        source: ConnError,
    },
}

/// Connection options: OpenFlow 1.5 only (the pipeline's flows are 1.5 encodings), quick
/// reconnects (the socket is local and a refused connect costs nothing; a restarted
/// ovs-vswitchd must get its flows back fast: measured, the replay itself takes ≈ 10 ms, the
/// rest of the outage is the daemon's restart and this backoff).
pub fn switch_options() -> SwitchOptions {
    SwitchOptions {
        versions: vec![Version::Of15],
        probe_interval: Some(Duration::from_secs(5)),
        request_timeout: Duration::from_secs(30),
        reconnect: true,
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(100),
        ..SwitchOptions::default()
    }
}

/// Both bridges' connections.
#[derive(Debug, Clone)]
pub struct Installer {
    int: Switch,
    phy: Switch,
    int_name: String,
    phy_name: String,
    metrics: Arc<Metrics>,
}

impl Installer {
    /// Connects to both bridges (waiting up to the request timeout for each) and names their
    /// tables.
    pub async fn connect(
        cfg: &AgentConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Installer, InstallError> {
        let open = |target: &str, bridge: &str| {
            let target = target.to_string();
            let bridge = bridge.to_string();
            async move {
                let t =
                    Target::parse(&target).map_err(|_| InstallError::BadTarget(target.clone()))?;
                Switch::connect(t, switch_options())
                    .await
                    .map_err(|source| InstallError::Conn { bridge, source })
            }
        };
        let int = open(&cfg.int_bridge_target, &cfg.int_bridge).await?;
        let phy = open(&cfg.phy_bridge_target, &cfg.phy_bridge).await?;
        let inst = Installer {
            int,
            phy,
            int_name: cfg.int_bridge.clone(),
            phy_name: cfg.phy_bridge.clone(),
            metrics,
        };
        for b in Bridge::ALL {
            inst.switch(b)
                .set_table_names(b.table_names())
                .await
                .map_err(|e| inst.err(b, e))?;
        }
        Ok(inst)
    }

    fn switch(&self, b: Bridge) -> &Switch {
        match b {
            Bridge::Int => &self.int,
            Bridge::Phy => &self.phy,
        }
    }

    fn err(&self, b: Bridge, source: ConnError) -> InstallError {
        let bridge = match b {
            Bridge::Int => self.int_name.clone(),
            Bridge::Phy => self.phy_name.clone(),
        };
        InstallError::Conn { bridge, source }
    }

    /// The connection-state watches of both bridges (pipeline, uplink).
    pub fn states(&self) -> (watch::Receiver<ConnState>, watch::Receiver<ConnState>) {
        (self.int.state(), self.phy.state())
    }

    /// Whether both connections are up.
    pub fn connected(&self) -> bool {
        self.int.version().is_some() && self.phy.version().is_some()
    }

    /// The connection generations of both bridges (each grows on every reconnection).
    pub fn generations(&self) -> (u64, u64) {
        (
            self.int.state().borrow().generation(),
            self.phy.state().borrow().generation(),
        )
    }

    /// Applies a change set: one atomic bundle per phase.
    pub async fn apply(&self, set: &ChangeSet) -> Result<(), InstallError> {
        for (bridge, mods) in set.phases() {
            self.bundle(bridge, mods).await?;
        }
        Ok(())
    }

    async fn bundle(&self, bridge: Bridge, mods: Vec<FlowMod>) -> Result<(), InstallError> {
        if mods.is_empty() {
            return Ok(());
        }
        let msgs = mods.into_iter().map(Message::FlowMod).collect();
        self.switch(bridge).bundle(msgs).await.map_err(|e| {
            self.metrics.bundle_failures.inc();
            self.err(bridge, e)
        })
    }

    /// Every flow of `bridge`.
    pub async fn dump(&self, bridge: Bridge) -> Result<Vec<FlowStats>, InstallError> {
        self.switch(bridge)
            .dump_flows(FlowStatsRequest::default())
            .await
            .map_err(|e| self.err(bridge, e))
    }

    /// Makes both bridges match `desired`: dumps them, computes the difference and applies it.
    /// Returns the number of flow-mods sent.
    pub async fn full_sync(
        &self,
        desired: &DesiredFlows,
        stale: Stale,
    ) -> Result<usize, InstallError> {
        let int = self.dump(Bridge::Int).await?;
        let phy = self.dump(Bridge::Phy).await?;
        let set = diff_all(desired, &int, &phy, stale);
        self.apply(&set).await?;
        Ok(set.len())
    }

    /// Deletes the flows of every round but `round` on both bridges (after convergence).
    pub async fn cleanup(&self, round: u16) -> Result<usize, InstallError> {
        let mut n = 0;
        for b in Bridge::ALL {
            let installed = self.dump(b).await?;
            let mods = cleanup_rounds(&installed, round);
            n += mods.len();
            self.bundle(b, mods).await?;
        }
        Ok(n)
    }

    /// Announces `ip` at `mac` with a gratuitous ARP sent out of `uplink` on the uplink bridge.
    pub async fn garp(&self, mac: MacAddr, ip: Ipv4Addr, uplink: u32) -> Result<(), InstallError> {
        let version = self.phy.version().unwrap_or(Version::Of15);
        let out = PortNo(u16::try_from(uplink).unwrap_or(0));
        let po = PacketOut::new(
            version,
            PortNo::LOCAL,
            vec![Action::Output {
                port: out,
                max_len: 0,
            }],
            Bytes::from(garp::frame(mac, ip)),
        );
        self.phy
            .packet_out(po)
            .await
            .map_err(|e| self.err(Bridge::Phy, e))?;
        self.metrics.garps.inc();
        Ok(())
    }
}
