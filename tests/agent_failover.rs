//! Membership and failover on the namespace testbed (issue 7; needs root): three nodes with real
//! agents gossiping (foca over UDP on the underlay, shared key), one egress IP, a pod on every
//! node pinging the external host every 10 ms through it, while
//! (a) the pool's node label moves (planned, make-before-break),
//! (b) the owner's agent and ovs-vswitchd are killed,
//! (d) the killed owner comes back (the election gives it the IP back, make-before-break),
//! (c) the owner's underlay link is cut, then restored,
//! (e) the owner's agent stops gracefully (SIGTERM: departure, handover, exit).
//!
//! Asserted: correctness only — after each event the live agents agree on one owner, exactly
//! one reachable node has the IP's ARP responder and SNAT (and, once a partition healed, exactly
//! one node at all), the external host's neighbour entry points at the owner, every pod that can
//! reach the underlay gets replies again, and every echo request the external host saw came from
//! the egress IP. The gaps (lost pings, longest gap in ms) are printed, never asserted.

mod agent_support;
#[path = "agent_failover/ping.rs"]
mod ping;

use std::collections::BTreeSet;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use agent_support::*;
use ovs_egress::agent::status::NodeReport;
use ovs_egress::egress::election::HashRing;
use ping::{wall, PingRun, Pinger};

const PODS3: [(usize, &str, &str); 3] = [
    (1, "antrea-test-1", "default"),
    (2, "antrea-test-2", "default"),
    (3, "antrea-test-3", "default"),
];

const POD_LABELS: &str = "
apiVersion: v1
kind: Pod
metadata: {name: antrea-test-1, namespace: default, labels: {app: antrea-test}}
---
apiVersion: v1
kind: Pod
metadata: {name: antrea-test-2, namespace: default, labels: {app: antrea-test}}
---
apiVersion: v1
kind: Pod
metadata: {name: antrea-test-3, namespace: default, labels: {app: antrea-test}}
";

const EIP: &str = "10.105.18.100";

/// The three nodes (addresses as the testbed builds them), `labelled` ones carrying the pool's
/// `network-role: snat-origin` label, and the namespace.
fn cluster(labelled: &[usize]) -> String {
    let mut s = String::new();
    for n in 1..=3usize {
        let label = if labelled.contains(&n) {
            "  labels:\n    network-role: snat-origin\n"
        } else {
            ""
        };
        s += &format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: node{n}\n{label}spec:\n  \
             podCIDR: 192.168.{}.0/24\nstatus:\n  addresses:\n  - {{type: InternalIP, address: \
             10.105.18.{}}}\n---\n",
            99 + n,
            30 + n
        );
    }
    s + "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n"
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < WAIT, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(10));
    }
    t0.elapsed()
}

fn serves(r: &NodeReport) -> bool {
    r.served_ips.iter().any(|ip| ip == EIP)
}

fn elected(r: &NodeReport) -> Option<&str> {
    r.egress_ips
        .iter()
        .find(|e| e.ip == EIP)
        .map(|e| e.egress_node.as_str())
        .filter(|n| !n.is_empty())
}

/// Waits until the `live` nodes agree on one elected owner among them (`expect`, if given), which
/// serves the IP while the others do not; returns its index.
fn wait_single_owner(c: &Cluster, live: &[usize], expect: Option<usize>, what: &str) -> usize {
    let mut owner = 0;
    let mut last = String::new();
    let t0 = Instant::now();
    loop {
        let reports: Vec<_> = live.iter().map(|n| (*n, c.agents.status(*n))).collect();
        let ok: Vec<(usize, NodeReport)> = reports
            .iter()
            .filter_map(|(n, r)| r.as_ref().ok().map(|r| (*n, r.clone())))
            .collect();
        if ok.len() == live.len() && ok.iter().all(|(_, r)| r.converged) {
            let names: BTreeSet<Option<&str>> = ok.iter().map(|(_, r)| elected(r)).collect();
            let servers: Vec<usize> = ok.iter().filter(|(_, r)| serves(r)).map(|x| x.0).collect();
            if let ([Some(name)], [s]) = (
                names.iter().copied().collect::<Vec<_>>().as_slice(),
                servers.as_slice(),
            ) {
                if *name == format!("node{s}") && expect.is_none_or(|e| e == *s) {
                    owner = *s;
                }
            }
            last = format!("elected {names:?}, served by {servers:?}");
        }
        if owner != 0 {
            return owner;
        }
        assert!(
            t0.elapsed() < WAIT,
            "{what}: no single owner among {live:?} ({last})\n{}",
            live.iter()
                .map(|n| format!("--- node{n} log tail ---\n{}", tail(&c.agents.log(*n), 25)))
                .collect::<String>()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Nodes (among `nodes`) whose br-phy answers ARP for the egress IP.
fn arp_responders(c: &Cluster, nodes: &[usize]) -> Vec<usize> {
    nodes
        .iter()
        .copied()
        .filter(|n| {
            c.topo
                .node(*n)
                .unwrap()
                .dump_flows("br-phy")
                .map(|f| f.lines().any(|l| l.contains(&format!("arp_tpa={EIP}"))))
                .unwrap_or(false)
        })
        .collect()
}

fn ext_neighbour(c: &Cluster) -> String {
    let out = Command::new("ip")
        .args(["-n", c.topo.ext().netns(), "neigh", "show", EIP])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts the owner's view from outside: only `owner` (among `reachable`) answers ARP for the IP
/// and the external host's neighbour entry points at it (waiting for the gratuitous ARP).
fn assert_one_owner(c: &Cluster, owner: usize, reachable: &[usize]) {
    assert_eq!(arp_responders(c, reachable), [owner], "ARP responders");
    let mac = c.topo.node(owner).unwrap().transport_mac().to_string();
    wait_until(
        &format!("the external host's ARP entry to be {mac}"),
        || ext_neighbour(c).contains(&mac),
    );
}

/// Stops the pingers once each of `resumed` got a reply after `after`, prints them and checks
/// the external host saw only the egress IP as their source.
fn finish(
    c: &Cluster,
    what: &str,
    pingers: Vec<Pinger>,
    resumed: &[&str],
    after: f64,
) -> Vec<PingRun> {
    for p in &pingers {
        if resumed.contains(&p.pod.as_str()) {
            wait_until(&format!("{what}: replies to {} again", p.pod), || {
                p.answered_after(after)
            });
        }
    }
    // A few more replies, so the run ends in steady state.
    let end = wall() + 0.2;
    for p in &pingers {
        if resumed.contains(&p.pod.as_str()) {
            wait_until("steady replies", || p.answered_after(end));
        }
    }
    let runs: Vec<PingRun> = pingers.into_iter().map(Pinger::stop).collect();
    for r in &runs {
        let alive = if resumed.contains(&r.pod.as_str()) {
            ""
        } else {
            " (its node is cut off)"
        };
        eprintln!("FAILOVER {what}: {}{alive}", r.summary());
        if r.replies.is_empty() {
            continue;
        }
        let sources = c.topo.ext().icmp_sources(&r.stats()).unwrap();
        assert_eq!(
            sources,
            BTreeSet::from([EIP.parse().unwrap()]),
            "{what}: sources of {}'s echo requests at the external host",
            r.pod
        );
    }
    runs
}

fn start_pingers(c: &Cluster, flowing: &[&str]) -> Vec<Pinger> {
    let pingers: Vec<Pinger> = PODS3.iter().map(|p| Pinger::start(&c.topo, p.1)).collect();
    let t = wall();
    for p in &pingers {
        if flowing.contains(&p.pod.as_str()) {
            wait_until(&format!("{} to get replies", p.pod), || p.answered_after(t));
        }
    }
    pingers
}

fn pod(n: usize) -> &'static str {
    PODS3[n - 1].1
}

fn others(n: usize) -> Vec<usize> {
    (1..=3).filter(|k| *k != n).collect()
}

fn takeover_lines(c: &Cluster, node: usize) -> String {
    c.agents
        .log(node)
        .lines()
        .filter(|l| l.contains("taken over") || l.contains("handover"))
        .map(|l| format!("    node{node}: {l}\n"))
        .collect()
}

/// Node `node`'s Prometheus text (from inside its namespace).
fn metrics(c: &Cluster, node: usize) -> String {
    let ns = c.topo.node(node).unwrap().netns().to_string();
    let script =
        "exec 3<>/dev/tcp/127.0.0.1/9469; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3";
    let out = Command::new("ip")
        .args(["netns", "exec", &ns, "bash", "-c", script])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn set_link(c: &Cluster, node: usize, up: bool) {
    let st = Command::new("ip")
        .args([
            "-n",
            &c.topo.underlay_netns(),
            "link",
            "set",
            &format!("n{node}"),
        ])
        .arg(if up { "up" } else { "down" })
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn failover_with_gossip_three_nodes() {
    let mut c = start_nodes(
        3,
        &PODS3,
        &[
            ("00-cluster.yaml", &cluster(&[1])),
            ("10-pods.yaml", POD_LABELS),
            ("use-case-1.yaml", USE_CASE_1),
        ],
        true,
    );
    let all = [1, 2, 3];
    let owner = wait_single_owner(&c, &all, Some(1), "start");
    assert_eq!(owner, 1);
    for (_, p, _) in PODS3 {
        c.assert_source(p, EIP1);
    }
    let every: Vec<&str> = PODS3.iter().map(|p| p.1).collect();

    // (a) Planned move: the label goes from node1 to node2.
    let pingers = start_pingers(&c, &every);
    let t0 = Instant::now();
    c.write("00-cluster.yaml", &cluster(&[2]));
    let owner = wait_single_owner(&c, &all, Some(2), "(a) planned move");
    eprintln!(
        "FAILOVER (a) planned move: node{owner} owns after {:?}",
        t0.elapsed()
    );
    assert_eq!(owner, 2);
    assert_one_owner(&c, 2, &all);
    finish(&c, "(a) planned move", pingers, &every, wall());
    eprint!("{}", takeover_lines(&c, 2));

    // Two eligible nodes, so a failure has somewhere to go.
    c.write("00-cluster.yaml", &cluster(&[2, 3]));
    let ring = HashRing::new(["node2", "node3"]);
    let pick = ring.select(EIP1.into(), |_| true).unwrap();
    let pick: usize = pick.trim_start_matches("node").parse().unwrap();
    let owner = wait_single_owner(&c, &all, Some(pick), "two eligible nodes");
    let survivor = if owner == 2 { 3 } else { 2 };

    // (b) The owner's agent and ovs-vswitchd are killed.
    let live = others(owner);
    let flowing: Vec<&str> = every.clone();
    let pingers = start_pingers(&c, &flowing);
    let t0 = Instant::now();
    c.agents.kill(owner).unwrap();
    c.topo
        .node_mut(owner)
        .unwrap()
        .sandbox_mut()
        .kill_vswitchd()
        .unwrap();
    let killed_at = wall();
    let new = wait_single_owner(&c, &live, Some(survivor), "(b) owner killed");
    eprintln!(
        "FAILOVER (b) node{owner} killed: node{new} owns after {:?}",
        t0.elapsed()
    );
    assert_eq!(new, survivor);
    assert_one_owner(&c, new, &live);
    let m = metrics(&c, new);
    let takeovers = metric(&m, "ovs_egress_takeover_duration_seconds_count").unwrap_or(0.0);
    let sum = metric(&m, "ovs_egress_takeover_duration_seconds_sum").unwrap_or(0.0);
    eprintln!("FAILOVER (b) node{new} metrics: {takeovers} takeovers, {sum:.3} s in total");
    assert!(takeovers >= 1.0, "node{new} counts its takeover:\n{m}");
    assert!(
        m.contains(&format!(
            "ovs_egress_egress_ip_owner{{ip=\"{EIP}\",node=\"node{new}\"}} 1"
        )),
        "node{new} exports the elected node:\n{m}"
    );
    let resumed: Vec<&str> = live.iter().map(|n| pod(*n)).collect();
    finish(&c, "(b) owner killed", pingers, &resumed, killed_at);
    eprint!("{}", takeover_lines(&c, new));

    // (d) The killed owner comes back (switch, then agent): the election gives it the IP back.
    let back = owner;
    let pingers = start_pingers(&c, &resumed);
    let t0 = Instant::now();
    c.topo
        .node_mut(back)
        .unwrap()
        .sandbox_mut()
        .start_vswitchd()
        .unwrap();
    c.agents.start_node(back).unwrap();
    let restarted = wall();
    let owner = wait_single_owner(&c, &all, Some(back), "(d) owner back");
    eprintln!(
        "FAILOVER (d) node{back} back: node{owner} owns after {:?}",
        t0.elapsed()
    );
    assert_eq!(owner, back, "the same alive set elects the same node");
    assert_one_owner(&c, owner, &all);
    finish(&c, "(d) owner back", pingers, &every, restarted);
    eprint!("{}", takeover_lines(&c, owner));

    // (c) The owner's underlay link is cut: the others take over; it keeps what it owns
    // (isolated) until the link is back, then one holder remains.
    let cut = owner;
    let live = others(cut);
    let pingers = start_pingers(&c, &every);
    let t0 = Instant::now();
    set_link(&c, cut, false);
    let cut_at = wall();
    let new = wait_single_owner(&c, &live, None, "(c) owner cut off");
    eprintln!(
        "FAILOVER (c) node{cut} cut off: node{new} owns after {:?}",
        t0.elapsed()
    );
    assert_one_owner(&c, new, &live);
    let resumed: Vec<&str> = live.iter().map(|n| pod(*n)).collect();
    finish(&c, "(c) owner cut off", pingers, &resumed, cut_at);
    eprint!("{}", takeover_lines(&c, new));
    wait_until("the cut-off node to report isolation", || {
        c.agents
            .status(cut)
            .is_ok_and(|r| r.membership.as_ref().is_some_and(|m| m.isolated))
    });
    let during = arp_responders(&c, &all);
    eprintln!("FAILOVER (c) ARP responders during the partition: {during:?}");

    // The link comes back.
    let pingers = start_pingers(&c, &resumed);
    let t0 = Instant::now();
    set_link(&c, cut, true);
    let healed_at = wall();
    let both = wait_until("one ARP responder after the heal", || {
        arp_responders(&c, &all).len() == 1
    });
    let owner = wait_single_owner(&c, &all, None, "(c) healed");
    eprintln!(
        "FAILOVER (c) healed: one ARP responder after {both:?}, node{owner} owns after {:?}",
        t0.elapsed()
    );
    assert_one_owner(&c, owner, &all);
    finish(&c, "(c) healed", pingers, &every, healed_at);
    eprint!("{}", takeover_lines(&c, owner));
    wait_until("the healed node to report the end of its isolation", || {
        c.agents
            .status(cut)
            .is_ok_and(|r| r.membership.as_ref().is_some_and(|m| !m.isolated))
    });

    // (e) Graceful stop of the owner (SIGTERM): it announces its departure, hands the IP over
    // (make-before-break) and only then exits; its switch keeps forwarding its pod's traffic.
    let leaving = owner;
    let live = others(leaving);
    let pingers = start_pingers(&c, &every);
    let t0 = Instant::now();
    c.agents.stop(leaving).unwrap();
    let stopped_at = wall();
    eprintln!(
        "FAILOVER (e) node{leaving} stopped gracefully in {:?}",
        t0.elapsed()
    );
    let new = wait_single_owner(&c, &live, None, "(e) graceful stop");
    assert_one_owner(&c, new, &all);
    finish(&c, "(e) graceful stop", pingers, &every, stopped_at);
    eprint!("{}", takeover_lines(&c, new));
    keep_logs(&c);
}

/// Copies the agents' logs to `$FAILOVER_LOG_DIR` when it is set (the run directory goes away
/// with a passing test).
fn keep_logs(c: &Cluster) {
    let Some(to) = std::env::var_os("FAILOVER_LOG_DIR") else {
        return;
    };
    let to = std::path::PathBuf::from(to);
    std::fs::create_dir_all(&to).unwrap();
    let dirs = [
        c.topo.run_dir().join("agents"),
        c.topo.run_dir().to_path_buf(),
    ];
    for e in dirs.iter().flat_map(|d| std::fs::read_dir(d).unwrap()) {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "log" || x == "out") {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}
