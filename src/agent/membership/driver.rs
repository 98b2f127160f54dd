//! The thin I/O driver of the membership core: one UDP socket, the authentication layer, the
//! timers, on a thread of its own (a current-thread tokio runtime), so probes are answered on
//! time even while the agent's main loop computes or waits on the switch.
//!
//! The agent talks to it through [`MembershipHandle`] (peers, installed claims, departure,
//! leave) and receives [`MembershipReport`]s through a callback, each time the membership
//! changes once the core is synced.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::sleep_until;

use super::auth::{Opener, Sealer};
use super::core::{unix_micros, Counters, Membership};
use super::keys::GossipKeys;
use super::params::{GossipParams, MAX_DATAGRAM};
use super::report::MembershipReport;
use crate::agent::metrics::Metrics;

/// How to run membership.
#[derive(Debug, Clone)]
pub struct MembershipConfig {
    /// This node's name.
    pub node: String,
    /// Local address to bind (`0.0.0.0:<port>` in an agent).
    pub bind: SocketAddr,
    /// The address peers reach us at (the transport IP); the port is the bound one.
    pub advertise: IpAddr,
    /// The shared keys.
    pub keys: GossipKeys,
    /// Timings.
    pub params: GossipParams,
}

/// Why membership could not start.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The UDP socket could not be bound.
    #[error("cannot bind the gossip socket {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The thread or its runtime could not start.
    #[error("cannot start the gossip thread: {0}")]
    Thread(std::io::Error),
}

enum Command {
    Peers(BTreeMap<String, SocketAddr>),
    Claims(BTreeSet<IpAddr>),
    Depart,
    Leave(oneshot::Sender<()>),
}

/// The running membership.
#[derive(Debug)]
pub struct MembershipHandle {
    tx: mpsc::UnboundedSender<Command>,
    addr: SocketAddr,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MembershipHandle {
    /// The address this node gossips at.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the known peers (from the Node objects).
    pub fn set_peers(&self, peers: BTreeMap<String, SocketAddr>) {
        let _ = self.tx.send(Command::Peers(peers));
    }

    /// Publishes the egress IPs this node has installed as owner.
    pub fn set_claims(&self, ips: BTreeSet<IpAddr>) {
        let _ = self.tx.send(Command::Claims(ips));
    }

    /// Announces the departure of this node (graceful stop, first step).
    pub fn depart(&self) {
        let _ = self.tx.send(Command::Depart);
    }

    /// Leaves the cluster (declares this node down to the members) and stops, waiting at most
    /// `timeout` for the datagrams to go out.
    pub async fn leave(mut self, timeout: Duration) {
        let (ack_tx, ack_rx) = oneshot::channel();
        if self.tx.send(Command::Leave(ack_tx)).is_ok() {
            let _ = tokio::time::timeout(timeout, ack_rx).await;
        }
        if let Some(t) = self.thread.take() {
            // The thread ends right after acknowledging.
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
    }
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Starts membership on its own thread. `on_report` is called (on that thread) with every new
/// report once membership is synced.
pub fn spawn(
    cfg: MembershipConfig,
    metrics: Arc<Metrics>,
    on_report: impl FnMut(MembershipReport) + Send + 'static,
) -> Result<MembershipHandle, DriverError> {
    let socket = StdUdpSocket::bind(cfg.bind).map_err(|source| DriverError::Bind {
        addr: cfg.bind,
        source,
    })?;
    socket
        .set_nonblocking(true)
        .map_err(|source| DriverError::Bind {
            addr: cfg.bind,
            source,
        })?;
    let port = socket
        .local_addr()
        .map_err(|source| DriverError::Bind {
            addr: cfg.bind,
            source,
        })?
        .port();
    let addr = SocketAddr::new(cfg.advertise, port);
    let (tx, rx) = mpsc::unbounded_channel();
    let thread = std::thread::Builder::new()
        .name("ovs-egress-gossip".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!("gossip runtime: {e}");
                    return;
                }
            };
            rt.block_on(async move {
                match UdpSocket::from_std(socket) {
                    Ok(s) => run(cfg, addr, s, rx, metrics, on_report).await,
                    Err(e) => tracing::error!("gossip socket: {e}"),
                }
            });
        })
        .map_err(DriverError::Thread)?;
    Ok(MembershipHandle {
        tx,
        addr,
        thread: Some(thread),
    })
}

struct Io {
    socket: UdpSocket,
    sealer: Sealer,
    out: Vec<u8>,
    metrics: Arc<Metrics>,
    counted: Counters,
}

impl Io {
    async fn flush(&mut self, core: &mut Membership) {
        while let Some((to, payload)) = core.poll_transmit() {
            self.sealer.seal(&payload, wall_ms(), &mut self.out);
            match self.socket.send_to(&self.out, to).await {
                Ok(_) => self
                    .metrics
                    .membership
                    .gossip_datagrams
                    .get_or_create(&[("dir", "out")])
                    .inc(),
                Err(e) => {
                    // No route while the uplink bridge is being rebuilt, a peer's address gone:
                    // gossip treats it as loss.
                    tracing::debug!(%to, "gossip send: {e}");
                    self.metrics.membership.gossip_send_errors.inc();
                    0
                }
            };
        }
        let c = core.counters();
        let m = &self.metrics.membership;
        m.events
            .get_or_create(&[("event", "member_up")])
            .inc_by(c.member_up - self.counted.member_up);
        m.events
            .get_or_create(&[("event", "member_down")])
            .inc_by(c.member_down - self.counted.member_down);
        m.events
            .get_or_create(&[("event", "isolated")])
            .inc_by(c.isolations - self.counted.isolations);
        m.events
            .get_or_create(&[("event", "rejoin")])
            .inc_by(c.rejoins - self.counted.rejoins);
        m.gossip_rejected
            .get_or_create(&[("reason", "protocol")])
            .inc_by(c.foca_errors - self.counted.foca_errors);
        self.counted = c;
    }
}

async fn run(
    cfg: MembershipConfig,
    addr: SocketAddr,
    socket: UdpSocket,
    mut rx: mpsc::UnboundedReceiver<Command>,
    metrics: Arc<Metrics>,
    mut on_report: impl FnMut(MembershipReport),
) {
    let epoch = unix_micros();
    let mut core = Membership::new(
        &cfg.node,
        addr,
        epoch,
        cfg.params,
        Instant::now(),
        epoch ^ 0x9e37_79b9_7f4a_7c15,
    );
    let mut opener = Opener::new(
        &cfg.keys,
        u64::try_from(cfg.params.max_skew.as_millis()).unwrap_or(u64::MAX),
    );
    let mut io = Io {
        socket,
        sealer: Sealer::new(&cfg.keys, epoch),
        out: Vec::with_capacity(MAX_DATAGRAM),
        metrics: metrics.clone(),
        counted: Counters::default(),
    };
    tracing::info!(%addr, "gossip started");
    let mut buf = vec![0u8; 65536];
    loop {
        io.flush(&mut core).await;
        if core.is_synced() && core.take_changed() {
            on_report(core.report(Instant::now()));
        }
        let wake = tokio::time::Instant::from_std(core.poll_timeout());
        tokio::select! {
            r = io.socket.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    metrics.membership.gossip_datagrams.get_or_create(&[("dir", "in")]).inc();
                    match opener.open(from, buf.get(..n).unwrap_or(&[]), wall_ms()) {
                        Ok(opened) => {
                            if let Err(e) = core.handle_payload(opened.payload, Instant::now()) {
                                tracing::debug!(%from, "gossip payload: {e}");
                            }
                        }
                        Err(e) => {
                            tracing::debug!(%from, "gossip datagram rejected: {e}");
                            metrics.membership.gossip_rejected.get_or_create(&[("reason", e.label())]).inc();
                        }
                    }
                }
                Err(e) => {
                    tracing::debug!("gossip receive: {e}");
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            },
            c = rx.recv() => {
                let now = Instant::now();
                match c {
                    Some(Command::Peers(p)) => core.set_peers(p, now),
                    Some(Command::Claims(ips)) => core.set_claims(&ips, now),
                    Some(Command::Depart) => core.depart(now),
                    Some(Command::Leave(ack)) => {
                        core.leave(now);
                        io.flush(&mut core).await;
                        tracing::info!("left the gossip cluster");
                        let _ = ack.send(());
                        return;
                    }
                    None => return,
                }
            }
            _ = sleep_until(wake) => core.handle_timeout(Instant::now()),
        }
    }
}
