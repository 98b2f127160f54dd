//! The agent's main loop: start-up in a safe order, then one loop that owns the controller and
//! the switch connections and reacts to inputs, switch reconnections, uplink reports, repairs,
//! drain deadlines and signals.
//!
//! Start-up order (a restart must not drop traffic):
//! 1. OVSDB: read the previous round, create/repair bridges and ports under the next round;
//! 2. the uplink keeper (address, route, next-hop MAC), the switch connections, the sources;
//! 3. wait until every source delivered its first full snapshot (never install a partial view);
//! 4. one full sync that re-adds every desired flow under the new round and deletes nothing
//!    older, then delete the older rounds; announce owned IPs (GARP).
//!
//! Steady state: each batch of inputs becomes one minimal change set (atomic bundles); a new
//! switch connection generation (ovs-vswitchd restarted) triggers a full replay against a dump;
//! a failed bundle triggers a full sync after a short delay. SIGTERM/SIGINT end the loop and
//! leave every flow in place.
//!
//! With membership (issue 7, `failover.rs`): gossip starts with the agent and gets its peers
//! once the Node objects are known; the first install does not wait for it (gossip needs those
//! flows), and nothing is announced before its first report; after every committed install the
//! node publishes the egress IPs it serves, and gratuitous ARPs follow the handover's rules (`Controller::announce_due`); a
//! signal first announces the departure and waits until the others took the IPs over, then
//! leaves the gossip cluster (a second signal stops at once).

use std::sync::Arc;
use std::time::Duration;

use std::time::Instant;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use tokio::time::sleep_until;

use crate::egress::pipeline::Bridge;
use crate::egress::reconcile::{from_changes, Stale};
use crate::ovsdb::vswitch::{Vswitch, VswitchError};

use super::bridges::{self, InfraPorts};
use super::cluster_source::ClusterObjects;
use super::config::{AgentConfig, NextHop};
use super::controller::{Controller, Transitions};
use super::failover::{observe_announcements, Failover, FailoverError};
use super::installer::{InstallError, Installer};
use super::metrics::{Health, Metrics};
use super::source::Input;
use super::status::{self, StatusBook};
use super::uplink::{self, UplinkCommand, UplinkReport, UplinkSpec};
use super::{http, ovs_watch, ports};

/// Why the agent stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The metrics/health listener could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The pipeline refused the node configuration.
    #[error("node configuration rejected by the pipeline: {0}")]
    Pipeline(#[from] crate::egress::pipeline::InputError),
    /// Signal handlers could not be installed.
    #[error("signal handler: {0}")]
    Signal(std::io::Error),
    /// Membership could not start (key file, socket).
    #[error("membership: {0}")]
    Membership(#[from] FailoverError),
}

/// How long to wait before retrying a failed start-up step or a failed sync.
const RETRY: Duration = Duration::from_millis(250);
/// Status files are written at most this often.
const STATUS_EVERY: Duration = Duration::from_millis(100);

async fn retry<T, E: std::fmt::Display, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut failures = 0u32;
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) => {
                if failures.is_multiple_of(20) {
                    tracing::warn!("{what} failed ({e}); retrying");
                }
                failures += 1;
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

async fn start_ovsdb(cfg: &AgentConfig) -> (Vswitch, u16, InfraPorts, bridges::Startup) {
    let vs = retry("connecting to OVSDB", || Vswitch::connect(&cfg.ovsdb)).await;
    let startup = retry("reading the previous run's state", || {
        bridges::read_startup(&vs, cfg)
    })
    .await;
    let round = bridges::next_round(startup.previous_round);
    let ports = retry("creating the bridges", || bridges::ensure(&vs, cfg, round)).await;
    (vs, round, ports, startup)
}

/// Everything the loop owns besides the controller.
struct Runtime {
    cfg: AgentConfig,
    installer: Installer,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    book: StatusBook,
    uplink: mpsc::UnboundedSender<UplinkCommand>,
    peers: Vec<std::net::IpAddr>,
    converged: bool,
    needs_full_sync: bool,
    retry_at: Option<Instant>,
    status_at: Option<Instant>,
    generations: (u64, u64),
    disconnected_at: Option<Instant>,
    started: Instant,
    announced_convergence: bool,
    failover: Option<Failover>,
}

impl Runtime {
    fn report_status(&mut self, ctl: &mut Controller) {
        let at = status::now();
        let converged = self.converged && ctl.next_hop().is_some() && !self.needs_full_sync;
        let mut report = self.book.report(ctl.view(), ctl.round(), converged, at);
        match self.failover.as_mut() {
            Some(f) => f.fill_status(ctl, &mut report, at),
            None => super::failover::fill_status(ctl, &mut report, at, None),
        }
        self.metrics
            .invalid_inputs
            .set(i64::try_from(report.invalid.len()).unwrap_or(i64::MAX));
        if let Err(e) = status::write_report(&self.cfg.status_dir, &report) {
            tracing::warn!(dir = %self.cfg.status_dir.display(), "cannot write status: {e}");
        }
    }

    /// Tells the uplink keeper about the other nodes' transport addresses when they change.
    fn update_peers(&mut self, ctl: &Controller) {
        let mut peers: Vec<std::net::IpAddr> =
            ctl.view().peers().filter_map(|n| n.internal_ip()).collect();
        peers.sort();
        peers.dedup();
        if peers != self.peers {
            self.peers = peers.clone();
            let _ = self.uplink.send(UplinkCommand::Peers(peers));
        }
    }

    fn update_gauges(&mut self, ctl: &Controller) {
        let d = ctl.pipeline().desired();
        self.metrics.set_flows("int", d.len(Bridge::Int));
        self.metrics.set_flows("phy", d.len(Bridge::Phy));
        self.metrics
            .owned_ips
            .set(i64::try_from(ctl.owned_ips().count()).unwrap_or(0));
        self.metrics
            .local_pods
            .set(i64::try_from(ctl.view().ports().len()).unwrap_or(0));
        let converged = self.converged && ctl.next_hop().is_some();
        self.metrics.converged.set(i64::from(converged));
        if let Some(f) = self.failover.as_mut() {
            f.update_gauges(ctl, &self.metrics);
        }
        self.health.set_converged(converged);
        self.health.set_switch_connected(self.installer.connected());
    }

    /// After a committed install: publishes the served IPs (claims) and sends the gratuitous
    /// ARPs that are due.
    async fn after_install(&mut self, ctl: &mut Controller, uplink: u32) {
        if let Some(f) = self.failover.as_mut() {
            f.publish(ctl);
        }
        let due = ctl.announce_due(Instant::now());
        observe_announcements(&self.metrics, &due);
        let ips: Vec<std::net::IpAddr> = due.iter().map(|a| a.ip).collect();
        self.announce(&ips, uplink).await;
    }

    async fn announce(&self, ips: &[std::net::IpAddr], uplink: u32) {
        for ip in ips {
            if let std::net::IpAddr::V4(v4) = ip {
                match self.installer.garp(self.cfg.bridge_mac, *v4, uplink).await {
                    Ok(()) => tracing::info!(%ip, "gratuitous ARP sent"),
                    Err(e) => tracing::warn!(%ip, "gratuitous ARP failed: {e}"),
                }
            }
        }
    }

    fn transitions(&self, t: &Transitions) {
        for ip in &t.gained {
            self.metrics.takeovers.inc();
            tracing::info!(%ip, "egress IP taken over by this node");
        }
        for ip in &t.lost {
            self.metrics.releases.inc();
            tracing::info!(%ip, "egress IP released by this node (draining)");
        }
    }

    /// Full sync against dumps; on success clears the retry state.
    async fn full_sync(
        &mut self,
        ctl: &mut Controller,
        stale: Stale,
    ) -> Result<usize, InstallError> {
        ctl.take_changes();
        let start = Instant::now();
        let n = self
            .installer
            .full_sync(ctl.pipeline().desired(), stale)
            .await?;
        self.metrics.observe_reconcile(start.elapsed());
        self.needs_full_sync = false;
        self.retry_at = None;
        Ok(n)
    }

    /// Installs the pending changes (or a full sync if one is owed).
    async fn reconcile(&mut self, ctl: &mut Controller, uplink: u32) {
        let t = ctl.sync(Instant::now());
        self.transitions(&t);
        if self.needs_full_sync {
            if self.retry_at.is_some_and(|r| r > Instant::now()) || !self.installer.connected() {
                return;
            }
            match self.full_sync(ctl, Stale::Delete).await {
                Ok(n) => {
                    tracing::info!(flow_mods = n, "full sync done");
                    // New taps after an ovs-vswitchd restart lost their neighbours; the
                    // flows that carry ARP are back now.
                    let _ = self.uplink.send(UplinkCommand::Kick);
                    // The switch may have restarted: every served IP is announced again.
                    ctl.reannounce();
                    self.after_install(ctl, uplink).await;
                }
                Err(e) => {
                    tracing::warn!("full sync failed: {e}");
                    self.retry_at = Some(Instant::now() + RETRY);
                }
            }
            return;
        }
        let changes = ctl.take_changes();
        if changes.is_empty() {
            // Claims of other nodes may have made announcements due.
            self.after_install(ctl, uplink).await;
            return;
        }
        let set = from_changes(&changes);
        let start = Instant::now();
        match self.installer.apply(&set).await {
            Ok(()) => {
                self.metrics.observe_reconcile(start.elapsed());
                tracing::debug!(flow_mods = set.len(), elapsed = ?start.elapsed(), "flows updated");
                self.after_install(ctl, uplink).await;
            }
            Err(e) => {
                tracing::warn!("flow update failed ({e}); a full sync follows");
                self.needs_full_sync = true;
                self.retry_at = Some(Instant::now() + RETRY);
            }
        }
    }
}

/// The sources whose first full snapshot the agent waits for before it installs anything:
/// the configured source of cluster objects (`objects`: manifest directory or Kubernetes API)
/// and the local pod ports.
pub fn required_sources(objects: &str) -> Vec<&str> {
    vec![objects, ports::SOURCE]
}

/// Runs the agent until SIGTERM or SIGINT.
pub async fn run(cfg: AgentConfig) -> Result<(), AgentError> {
    let started = Instant::now();
    let metrics = Arc::new(Metrics::new());
    let health = Health::new();
    if let Some(addr) = cfg.listen {
        let (bound, _task) = http::serve(addr, metrics.clone(), health.clone())
            .await
            .map_err(|source| AgentError::Listen { addr, source })?;
        tracing::info!(%bound, "serving /metrics and /healthz");
    }
    let mut sigterm = signal(SignalKind::terminate()).map_err(AgentError::Signal)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(AgentError::Signal)?;

    let (vs, round, mut infra, startup) = start_ovsdb(&cfg).await;
    tracing::info!(round, ?infra, "bridges ready");

    // Uplink keeper.
    let (uplink_tx, mut uplink_rx) = mpsc::unbounded_channel::<UplinkReport>();
    let (kick_tx, kick_rx) = mpsc::unbounded_channel();
    let spec = UplinkSpec {
        phy_bridge: cfg.phy_bridge.clone(),
        int_bridge: cfg.int_bridge.clone(),
        address: cfg.transport_ip,
        default_gateway: cfg.default_gateway,
        next_hop: match cfg.next_hop {
            NextHop::Resolve(ip) => Some(ip),
            NextHop::Mac(_) => None,
        },
        peers: Vec::new(),
    };
    tokio::spawn(async move {
        if let Err(e) = uplink::run(spec, uplink_tx, kick_rx).await {
            tracing::error!("uplink keeper stopped: {e}");
        }
    });
    let next_hop = match cfg.next_hop {
        NextHop::Mac(m) => Some(m),
        NextHop::Resolve(_) => startup.next_hop_mac,
    };

    let installer = retry("connecting to the bridges", || {
        Installer::connect(&cfg, metrics.clone())
    })
    .await;

    // Sources.
    let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Input>();
    let objects = ClusterObjects::spawn(&cfg, in_tx.clone()).await;
    let (repair_tx, mut repair_rx) = mpsc::unbounded_channel::<()>();
    tokio::spawn(ovs_watch::run(
        vs.clone(),
        bridges::infra_interfaces(&cfg).to_vec(),
        in_tx.clone(),
        repair_tx,
    ));
    let failover = Failover::start(&cfg, metrics.clone(), in_tx.clone())?;
    drop(in_tx);

    let mut ctl = Controller::new(cfg.clone(), round, infra, next_hop)?;
    let mut rt = Runtime {
        cfg: cfg.clone(),
        generations: installer.generations(),
        installer,
        metrics: metrics.clone(),
        health: health.clone(),
        book: StatusBook::new(),
        uplink: kick_tx,
        peers: Vec::new(),
        converged: false,
        needs_full_sync: false,
        retry_at: None,
        status_at: None,
        disconnected_at: None,
        started,
        announced_convergence: false,
        failover,
    };

    // Wait for every source's first snapshot. Not for gossip: it needs the flows that carry
    // this node's own traffic (a restarted ovs-vswitchd has none), so the first install uses
    // the Nodes' Ready conditions, and the handover announces nothing until gossip reports.
    let sources = required_sources(objects.name());
    while !sources.iter().all(|s| ctl.view().is_synced(s)) {
        tokio::select! {
            i = in_rx.recv() => match i {
                Some(i) => {
                    ctl.apply(i);
                    let objects_known = sources.iter().all(|s| ctl.view().is_synced(s));
                    if let (Some(f), true) = (rt.failover.as_mut(), objects_known) {
                        f.sync_peers(&ctl);
                    }
                }
                None => break,
            },
            Some(r) = uplink_rx.recv() => rt.handle_uplink(&mut ctl, &vs, r),
            _ = sigterm.recv() => return Ok(()),
            _ = sigint.recv() => return Ok(()),
        }
    }
    while let Ok(i) = in_rx.try_recv() {
        ctl.apply(i);
    }
    let t = ctl.sync(Instant::now());
    rt.transitions(&t);
    loop {
        let synced = match rt
            .full_sync(&mut ctl, Stale::KeepOlderRounds { round })
            .await
        {
            Ok(n) => rt.installer.cleanup(round).await.map(|old| (n, old)),
            Err(e) => Err(e),
        };
        match synced {
            Ok((n, old)) => {
                tracing::info!(
                    flow_mods = n,
                    old_round_deletes = old,
                    elapsed = ?started.elapsed(),
                    "flows installed (round {round})"
                );
                break;
            }
            Err(e) => {
                tracing::warn!("initial sync failed ({e}); retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
    rt.converged = true;
    objects.after_apply(ctl.view());
    rt.update_peers(&ctl);
    // The flows that carry ARP exist now: probe the next hop and the peers at once.
    let _ = rt.uplink.send(UplinkCommand::Kick);
    rt.log_convergence(&ctl);
    rt.after_install(&mut ctl, infra.phy_uplink).await;
    rt.update_gauges(&ctl);
    rt.report_status(&mut ctl);
    ctl.take_status_dirty();

    let (mut int_state, mut phy_state) = rt.installer.states();
    let (ports_tx, mut ports_rx) = mpsc::unbounded_channel::<Result<InfraPorts, VswitchError>>();
    let mut inputs_applied = false;
    loop {
        let stop_at = rt.failover.as_ref().and_then(Failover::stop_deadline);
        let wake = [ctl.next_deadline(), rt.retry_at, rt.status_at, stop_at]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            _ = sigterm.recv() => if !rt.depart() { break },
            _ = sigint.recv() => if !rt.depart() { break },
            i = in_rx.recv() => {
                let Some(i) = i else { break };
                ctl.apply(i);
                while let Ok(more) = in_rx.try_recv() {
                    ctl.apply(more);
                }
                inputs_applied = true;
            }
            Some(r) = uplink_rx.recv() => rt.handle_uplink(&mut ctl, &vs, r),
            Ok(()) = int_state.changed() => rt.connection_changed(),
            Ok(()) = phy_state.changed() => rt.connection_changed(),
            Some(()) = repair_rx.recv() => {
                while repair_rx.try_recv().is_ok() {}
                let (vs, cfg, tx) = (vs.clone(), cfg.clone(), ports_tx.clone());
                tokio::spawn(async move {
                    let _ = tx.send(bridges::ensure(&vs, &cfg, round).await);
                });
            }
            Some(r) = ports_rx.recv() => match r {
                Ok(p) => {
                    infra = p;
                    match ctl.set_ports(p) {
                        Ok(true) => tracing::info!(?p, "infrastructure ports changed"),
                        Ok(false) => {}
                        Err(e) => tracing::error!("infrastructure ports rejected: {e}"),
                    }
                }
                Err(e) => tracing::warn!("bridge repair failed: {e}"),
            },
            _ = sleep_until(tokio::time::Instant::from_std(wake)) => {
                let now = Instant::now();
                ctl.tick(now);
                if rt.status_at.is_some_and(|s| s <= now) {
                    rt.status_at = None;
                    rt.report_status(&mut ctl);
                }
            }
        }
        rt.reconcile(&mut ctl, infra.phy_uplink).await;
        // Status in the cluster (Kubernetes source) follows what is installed.
        if std::mem::take(&mut inputs_applied) {
            objects.after_apply(ctl.view());
        }
        rt.update_peers(&ctl);
        rt.update_gauges(&ctl);
        if let Some(f) = rt.failover.as_mut() {
            f.sync_peers(&ctl);
            if f.stopped(&ctl) {
                break;
            }
        }
        if ctl.take_status_dirty() && rt.status_at.is_none() {
            rt.status_at = Some(Instant::now() + STATUS_EVERY);
        }
    }
    if let Some(f) = rt.failover.as_mut() {
        f.leave().await;
    }
    tracing::info!("stopping; flows stay installed");
    rt.report_status(&mut ctl);
    Ok(())
}

impl Runtime {
    /// A stop signal: with membership, the first one starts a graceful departure (true: keep
    /// running until the IPs are handed over); otherwise stop now (false).
    fn depart(&mut self) -> bool {
        self.failover.as_mut().is_some_and(Failover::depart)
    }

    fn log_convergence(&mut self, ctl: &Controller) {
        if self.converged && ctl.next_hop().is_some() && !self.announced_convergence {
            self.announced_convergence = true;
            tracing::info!(elapsed = ?self.started.elapsed(), "converged");
        }
    }

    fn handle_uplink(&mut self, ctl: &mut Controller, vs: &Vswitch, r: UplinkReport) {
        if r.address_added {
            self.metrics.uplink_restores.inc();
        }
        let Some(mac) = r.next_hop_mac else { return };
        if !matches!(self.cfg.next_hop, NextHop::Resolve(_)) {
            return;
        }
        match ctl.set_next_hop(mac) {
            Ok(true) => {
                tracing::info!(%mac, "next hop resolved");
                let (vs, bridge) = (vs.clone(), self.cfg.phy_bridge.clone());
                tokio::spawn(async move {
                    let m = mac.to_string();
                    if let Err(e) =
                        bridges::set_bridge_external_id(&vs, &bridge, bridges::NEXT_HOP_MAC_KEY, &m)
                            .await
                    {
                        tracing::warn!("cannot record the next-hop MAC: {e}");
                    }
                });
                self.status_at.get_or_insert(Instant::now());
                self.log_convergence(ctl);
            }
            Ok(false) => {}
            Err(e) => tracing::error!("next-hop MAC rejected: {e}"),
        }
    }

    /// A connection state changed: a new generation on either bridge means ovs-vswitchd may
    /// have lost every flow, so a full replay is owed.
    fn connection_changed(&mut self) {
        let now = self.installer.generations();
        let connected = self.installer.connected();
        if !connected && self.disconnected_at.is_none() {
            self.disconnected_at = Some(Instant::now());
            tracing::warn!("lost the connection to ovs-vswitchd");
        }
        if now != self.generations {
            self.generations = now;
            self.needs_full_sync = true;
            self.retry_at = None;
            self.metrics.replays.inc();
            let down = self.disconnected_at.take().map(|t| t.elapsed());
            tracing::info!(?down, "switch reconnected; replaying every flow");
        }
        self.health.set_switch_connected(connected);
    }
}
