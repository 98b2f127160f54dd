//! Cookie rounds and the cookie guard on real OVS: an agent restart installs the new round
//! over the old one without deleting anything, the old round's leftovers are then removed by
//! one cookie-masked delete each, and a strict delete carrying a stale cookie never removes a
//! flow that was re-installed under another cookie. Everything is sent by our codec over our
//! connection and read back as decoded flow-stats; `ovs-ofctl` text is the final oracle. Needs
//! root (the switch runs in a namespace this test creates).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::process::Command;

use ovs_egress::egress::egress_id::EgressId;
use ovs_egress::egress::model::PodKey;
use ovs_egress::egress::pipeline::dump::{dump_lines, Names};
use ovs_egress::egress::pipeline::flow::{delete_flow_mod, key_of};
use ovs_egress::egress::pipeline::{
    Bridge, Cookie, LocalPod, Mac, NodeConfig, NodePipeline, PeerNode,
};
use ovs_egress::egress::reconcile::{self, ChangeSet, Stale};
use ovs_egress::egress::state::OwnedIp;
use ovs_egress::ofproto::codec::message::multipart::FlowStatsRequest;
use ovs_egress::ofproto::codec::message::Message;
use ovs_egress::ofproto::codec::{FlowModCommand, FlowStats, PortNo, Version};
use ovs_egress::ofproto::conn::{Switch, SwitchOptions, Target};
use ovs_egress::sandbox::Sandbox;
use tokio::runtime::Runtime;

/// Deletes the namespace and run directory by name, even when the test fails.
struct Cleanup {
    netns: String,
    dir: std::path::PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn config() -> NodeConfig {
    NodeConfig::new(
        "node1",
        "10.105.18.31".parse().unwrap(),
        "02:00:0a:69:12:1f".parse().unwrap(),
        "02:00:0a:69:12:23".parse().unwrap(),
        vec!["192.168.100.0/24".parse().unwrap()],
    )
}

fn pod(i: u8) -> LocalPod {
    LocalPod {
        key: PodKey::new("default", format!("p{i}")),
        ofport: PortNo(10 + i as u16),
        mac: Mac([2, 0, 192, 168, 100, i]),
        ips: vec![IpAddr::from([192, 168, 100, i])],
    }
}

fn peer(i: u8) -> PeerNode {
    PeerNode {
        name: format!("node{i}"),
        transport_ip: IpAddr::from([10, 105, 18, 30 + i]),
        pod_cidrs: vec![format!("192.168.{}.0/24", 99 + i).parse().unwrap()],
    }
}

fn owned(ip: &str, id: u32) -> OwnedIp {
    OwnedIp {
        ip: ip.parse().unwrap(),
        egress_id: EgressId::new(id),
        egresses: vec!["e".into()],
    }
}

struct Node {
    int: Switch,
    phy: Switch,
}

impl Node {
    fn switch(&self, b: Bridge) -> &Switch {
        match b {
            Bridge::Int => &self.int,
            Bridge::Phy => &self.phy,
        }
    }

    fn dump(&self, rt: &Runtime, b: Bridge) -> Vec<FlowStats> {
        rt.block_on(self.switch(b).dump_flows(FlowStatsRequest::default()))
            .unwrap()
    }

    fn apply(&self, rt: &Runtime, set: &ChangeSet) {
        for (b, mods) in set.phases() {
            let msgs = mods.into_iter().map(Message::FlowMod).collect();
            rt.block_on(self.switch(b).bundle(msgs)).unwrap();
        }
    }

    fn diff(&self, rt: &Runtime, p: &NodePipeline, stale: Stale) -> ChangeSet {
        reconcile::diff_all(
            p.desired(),
            &self.dump(rt, Bridge::Int),
            &self.dump(rt, Bridge::Phy),
            stale,
        )
    }
}

fn cookies(flows: &[FlowStats]) -> BTreeSet<u16> {
    flows
        .iter()
        .map(|f| Cookie::from_u64(f.cookie).round)
        .collect()
}

#[test]
fn rounds_and_cookie_guard_on_real_ovs() {
    let netns = format!("prd{}", std::process::id());
    let cleanup = Cleanup {
        netns: netns.clone(),
        dir: std::env::temp_dir().join(&netns),
    };
    assert!(Command::new("ip")
        .args(["netns", "add", &netns])
        .status()
        .unwrap()
        .success());
    let sb = Sandbox::start_in(&cleanup.dir, Some(&netns)).unwrap();
    for b in Bridge::ALL {
        sb.add_bridge(b.default_name()).unwrap();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let connect = |b: Bridge| {
        let opts = SwitchOptions {
            versions: vec![Version::Of15],
            ..SwitchOptions::default()
        };
        rt.block_on(Switch::connect(
            Target::Unix(sb.mgmt_sock(b.default_name())),
            opts,
        ))
        .unwrap()
    };
    let node = Node {
        int: connect(Bridge::Int),
        phy: connect(Bridge::Phy),
    };

    // Round 1: three pods, one peer, one owned egress IP.
    let mut old = NodePipeline::new(config(), 1).unwrap();
    for i in 1..=3 {
        old.upsert_pod(pod(i)).unwrap();
    }
    old.upsert_peer(peer(2));
    old.set_owned_ips(&[owned("10.105.18.100", 0x691264)]);
    node.apply(&rt, &node.diff(&rt, &old, Stale::Delete));
    assert!(node.diff(&rt, &old, Stale::Delete).is_empty());

    // The agent restarts with round 2 and a changed world: pod 3 and the egress IP are gone, a
    // peer appeared. Install without deleting: every desired flow is re-added under round 2.
    let mut new = NodePipeline::new(config(), 2).unwrap();
    for i in 1..=2 {
        new.upsert_pod(pod(i)).unwrap();
    }
    new.upsert_peer(peer(2));
    new.upsert_peer(peer(3));
    let set = node.diff(&rt, &new, Stale::KeepOlderRounds { round: 2 });
    assert!(set
        .int
        .iter()
        .chain(&set.phy)
        .all(|m| m.command == FlowModCommand::Add));
    node.apply(&rt, &set);
    for b in Bridge::ALL {
        let installed = node.dump(&rt, b);
        let mut leftovers = 0;
        for f in &installed {
            match new.desired().get(b, &key_of(f)) {
                Some(e) => assert_eq!((f.cookie, &f.instructions), (e.cookie, &e.instructions)),
                None => {
                    assert_eq!(Cookie::from_u64(f.cookie).round, 1, "{f:?}");
                    leftovers += 1;
                }
            }
        }
        assert_eq!(installed.len(), new.desired().len(b) + leftovers);
        if b == Bridge::Int {
            // Pod 3's four flows and the egress IP's two are still there until convergence.
            assert_eq!(leftovers, 6, "{b:?}");
        }
    }

    // Converged: one cookie-masked delete per older round removes exactly the leftovers.
    for b in Bridge::ALL {
        let mods = reconcile::cleanup_rounds(&node.dump(&rt, b), 2);
        assert_eq!(mods.len(), 1);
        let msgs = mods.into_iter().map(Message::FlowMod).collect();
        rt.block_on(node.switch(b).bundle(msgs)).unwrap();
        assert_eq!(cookies(&node.dump(&rt, b)), BTreeSet::from([2]));
    }
    assert!(node.diff(&rt, &new, Stale::Delete).is_empty());

    // Cookie guard: a strict delete carrying the round-1 cookie of a flow that round 2
    // re-installed leaves it alone; with its own cookie it goes (and the diff puts it back).
    let victim = node
        .dump(&rt, Bridge::Int)
        .into_iter()
        .find(|f| f.priority == 200 && f.table_id == 0 && !f.match_.is_empty())
        .unwrap();
    let stale_cookie = Cookie {
        round: 1,
        ..Cookie::from_u64(victim.cookie)
    };
    let del = |cookie: u64| {
        let fm = delete_flow_mod(&key_of(&victim), cookie);
        rt.block_on(node.int.bundle(vec![Message::FlowMod(fm)]))
            .unwrap();
    };
    del(stale_cookie.to_u64());
    assert!(node
        .dump(&rt, Bridge::Int)
        .iter()
        .any(|f| key_of(f) == key_of(&victim) && f.cookie == victim.cookie));
    del(victim.cookie);
    assert!(!node
        .dump(&rt, Bridge::Int)
        .iter()
        .any(|f| key_of(f) == key_of(&victim)));
    let repair = node.diff(&rt, &new, Stale::Delete);
    assert_eq!(repair.len(), 1);
    node.apply(&rt, &repair);

    // The final oracle: ovs-ofctl prints exactly the round-2 flows.
    for b in Bridge::ALL {
        let ours: BTreeSet<String> = dump_lines(new.desired(), b, Names::default())
            .into_iter()
            .map(|l| l.trim().to_string())
            .collect();
        let theirs: BTreeSet<String> = sb
            .ofctl(&[
                "-O",
                "OpenFlow15",
                "--no-stats",
                "--no-names",
                "dump-flows",
                b.default_name(),
            ])
            .unwrap()
            .lines()
            .map(|l| l.trim().to_string())
            .collect();
        assert_eq!(ours, theirs, "{b:?}");
    }
    drop(node);
    drop(sb);
}
