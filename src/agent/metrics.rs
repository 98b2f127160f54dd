//! The agent's metrics (Prometheus / OpenMetrics text through the `prometheus-client` crate) and
//! its health, shared between the controller (which updates them) and the HTTP server (which
//! serves them). Updating is lock-free (atomics); only rendering takes the registry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Label set of per-bridge metrics.
type BridgeLabel = [(&'static str, &'static str); 1];

/// Every metric of the agent.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    /// Flows the agent has installed and not deleted, per bridge (`bridge="int"|"phy"`).
    pub flows_installed: Family<BridgeLabel, Gauge>,
    /// Wall time of each reconcile (desired-state update to switch barrier).
    pub reconcile_seconds: Histogram,
    /// Bundles the switch rejected or that failed in transit.
    pub bundle_failures: Counter,
    /// Full replays after the switch (re)connected.
    pub replays: Counter,
    /// Egress IPs this node holds.
    pub owned_ips: Gauge,
    /// Egress IPs this node took over (gained) since start.
    pub takeovers: Counter,
    /// Egress IPs this node gave up since start.
    pub releases: Counter,
    /// Gratuitous ARPs sent.
    pub garps: Counter,
    /// Local pods with a port.
    pub local_pods: Gauge,
    /// Rejected inputs (invalid manifests...).
    pub invalid_inputs: Gauge,
    /// Times the uplink bridge's address had to be restored.
    pub uplink_restores: Counter,
    /// 1 when the installed flows match the current state.
    pub converged: Gauge,
    /// Membership and failover (issue 7).
    pub membership: super::membership::metrics::MembershipMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Creates and registers every metric under the `ovs_egress_` prefix.
    pub fn new() -> Metrics {
        let flows_installed = Family::<BridgeLabel, Gauge>::default();
        let reconcile_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let (bundle_failures, replays, takeovers, releases, garps, uplink_restores) = (
            Counter::default(),
            Counter::default(),
            Counter::default(),
            Counter::default(),
            Counter::default(),
            Counter::default(),
        );
        let (owned_ips, local_pods, invalid_inputs, converged) = (
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
        );
        let mut r = Registry::with_prefix("ovs_egress");
        r.register(
            "flows_installed",
            "Flows installed by this agent, per bridge",
            flows_installed.clone(),
        );
        r.register(
            "reconcile_duration_seconds",
            "Time from a state change to the switch confirming the flows",
            reconcile_seconds.clone(),
        );
        r.register(
            "bundle_failures",
            "OpenFlow bundles that failed",
            bundle_failures.clone(),
        );
        r.register(
            "replays",
            "Full flow replays after the switch (re)connected",
            replays.clone(),
        );
        r.register(
            "owned_ips",
            "Egress IPs held by this node",
            owned_ips.clone(),
        );
        r.register(
            "takeovers",
            "Egress IPs this node took over",
            takeovers.clone(),
        );
        r.register("releases", "Egress IPs this node gave up", releases.clone());
        r.register("garps", "Gratuitous ARPs sent", garps.clone());
        r.register("local_pods", "Local pods with a port", local_pods.clone());
        r.register(
            "invalid_inputs",
            "Rejected inputs (invalid manifests, duplicates)",
            invalid_inputs.clone(),
        );
        r.register(
            "uplink_address_restores",
            "Times the uplink bridge's address was restored",
            uplink_restores.clone(),
        );
        r.register(
            "converged",
            "1 when the installed flows match the current state",
            converged.clone(),
        );
        let membership = super::membership::metrics::MembershipMetrics::default();
        membership.register(&mut r);
        Metrics {
            registry: Mutex::new(r),
            membership,
            flows_installed,
            reconcile_seconds,
            bundle_failures,
            replays,
            owned_ips,
            takeovers,
            releases,
            garps,
            local_pods,
            invalid_inputs,
            uplink_restores,
            converged,
        }
    }

    /// Records one reconcile's duration.
    pub fn observe_reconcile(&self, d: Duration) {
        self.reconcile_seconds.observe(d.as_secs_f64());
    }

    /// Sets the installed-flow gauge of `bridge` (`int` or `phy`).
    pub fn set_flows(&self, bridge: &'static str, n: usize) {
        self.flows_installed
            .get_or_create(&[("bridge", bridge)])
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(r) = self.registry.lock() {
            // Writing into a String cannot fail.
            let _ = encode(&mut out, &r);
        }
        out
    }
}

/// Whether the agent is healthy, and why not.
#[derive(Debug, Default)]
pub struct Health {
    switch_connected: AtomicBool,
    converged: AtomicBool,
    problem: Mutex<Option<String>>,
}

impl Health {
    /// A fresh, not yet healthy state.
    pub fn new() -> Arc<Health> {
        Arc::new(Health::default())
    }

    /// Records whether both switch connections are up.
    pub fn set_switch_connected(&self, up: bool) {
        self.switch_connected.store(up, Ordering::Relaxed);
    }

    /// Records whether the flows are converged.
    pub fn set_converged(&self, ok: bool) {
        self.converged.store(ok, Ordering::Relaxed);
    }

    /// Records the latest problem (`None` clears it).
    pub fn set_problem(&self, problem: Option<String>) {
        if let Ok(mut p) = self.problem.lock() {
            *p = problem;
        }
    }

    /// `Ok` when healthy, else the reason.
    pub fn check(&self) -> Result<(), String> {
        if !self.switch_connected.load(Ordering::Relaxed) {
            return Err("not connected to ovs-vswitchd".into());
        }
        if let Ok(p) = self.problem.lock() {
            if let Some(p) = p.as_ref() {
                return Err(p.clone());
            }
        }
        if !self.converged.load(Ordering::Relaxed) {
            return Err("flows not converged yet".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::new();
        m.set_flows("int", 42);
        m.takeovers.inc();
        m.observe_reconcile(Duration::from_millis(3));
        let text = m.render();
        assert!(
            text.contains("ovs_egress_flows_installed{bridge=\"int\"} 42"),
            "{text}"
        );
        assert!(text.contains("ovs_egress_takeovers_total 1"), "{text}");
        assert!(
            text.contains("ovs_egress_reconcile_duration_seconds_count 1"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE ovs_egress_bundle_failures counter"),
            "{text}"
        );
    }

    #[test]
    fn health_reasons() {
        let h = Health::new();
        assert!(h.check().unwrap_err().contains("ovs-vswitchd"));
        h.set_switch_connected(true);
        assert!(h.check().unwrap_err().contains("converged"));
        h.set_converged(true);
        assert_eq!(h.check(), Ok(()));
        h.set_problem(Some("bundle failed".into()));
        assert_eq!(h.check(), Err("bundle failed".into()));
    }
}
