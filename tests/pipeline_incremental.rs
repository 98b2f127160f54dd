//! Incremental pipeline updates agree with a from-scratch computation, and the change sets they
//! produce, applied to a model switch, leave exactly the desired flows installed; a full diff
//! against any installed state converges in one step; round cleanup never touches the current
//! round.

use std::collections::HashMap;
use std::net::IpAddr;

use proptest::prelude::*;

use ovs_egress::egress::egress_id::EgressId;
use ovs_egress::egress::model::PodKey;
use ovs_egress::egress::pipeline::{
    Bridge, FlowChange, FlowKey, LocalPod, Mac, NodeConfig, NodePipeline, PeerNode,
};
use ovs_egress::egress::reconcile::{self, ChangeSet, Stale};
use ovs_egress::egress::state::{OwnedIp, PodEgress};
use ovs_egress::ofproto::codec::{FlowMod, FlowModCommand, FlowStats, Instruction, PortNo};

/// A switch reduced to its flow tables, with OVS's flow-mod semantics for what we send.
#[derive(Default, Debug, Clone, PartialEq)]
struct Switch {
    flows: HashMap<(Bridge, FlowKey), (u64, Vec<Instruction>)>,
}

impl Switch {
    fn apply(&mut self, bridge: Bridge, m: &FlowMod) {
        let key = FlowKey {
            table: m.table_id,
            priority: m.priority,
            match_: m.match_.clone(),
        };
        match m.command {
            FlowModCommand::Add => {
                self.flows
                    .insert((bridge, key), (m.cookie, m.instructions.clone()));
            }
            FlowModCommand::DeleteStrict => {
                let hit = self
                    .flows
                    .get(&(bridge, key.clone()))
                    .is_some_and(|(c, _)| c & m.cookie_mask == m.cookie & m.cookie_mask);
                if hit {
                    self.flows.remove(&(bridge, key));
                }
            }
            FlowModCommand::Delete => {
                assert!(
                    m.match_.is_empty() && m.table_id == 0xff,
                    "unexpected delete {m:?}"
                );
                self.flows.retain(|(b, _), (c, _)| {
                    *b != bridge || *c & m.cookie_mask != m.cookie & m.cookie_mask
                });
            }
            _ => panic!("unexpected {m:?}"),
        }
    }

    fn apply_set(&mut self, set: &ChangeSet) {
        for (bridge, mods) in set.phases() {
            for m in &mods {
                self.apply(bridge, m);
            }
        }
    }

    fn dump(&self, bridge: Bridge) -> Vec<FlowStats> {
        self.flows
            .iter()
            .filter(|((b, _), _)| *b == bridge)
            .map(|((_, k), (c, i))| FlowStats {
                table_id: k.table,
                priority: k.priority,
                cookie: *c,
                match_: k.match_.clone(),
                instructions: i.clone(),
                ..FlowStats::default()
            })
            .collect()
    }

    fn from_desired(p: &NodePipeline) -> Switch {
        let mut s = Switch::default();
        for bridge in Bridge::ALL {
            for (k, e) in p.desired().iter(bridge) {
                s.flows
                    .insert((bridge, k.clone()), (e.cookie, e.instructions.clone()));
            }
        }
        s
    }
}

fn config() -> NodeConfig {
    let mut c = NodeConfig::new(
        "n1",
        "10.0.0.1".parse().unwrap(),
        Mac([2, 0, 10, 0, 0, 1]),
        Mac([2, 0, 10, 0, 0, 254]),
        vec![
            "192.168.1.0/24".parse().unwrap(),
            "fd00:1::/64".parse().unwrap(),
        ],
    );
    c.node_ipv6 = Some("fd00::1".parse().unwrap());
    c.except_cidrs = vec!["172.16.0.0/12".parse().unwrap()];
    c
}

#[derive(Debug, Clone)]
enum Op {
    UpsertPod { pod: u8, port: u8, ip: u8, v6: bool },
    RemovePod(u8),
    Egress { pod: u8, eip: u8, owner: u8 },
    NoEgress(u8),
    Peer { node: u8, cidr: u8 },
    RemovePeer(u8),
    Owned(Vec<u8>),
    Draining(Vec<u8>),
    Round(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6, 10u8..14, 2u8..6, any::<bool>()).prop_map(|(pod, port, ip, v6)| Op::UpsertPod {
            pod,
            port,
            ip,
            v6
        }),
        (0u8..6).prop_map(Op::RemovePod),
        (0u8..6, 0u8..4, 0u8..4).prop_map(|(pod, eip, owner)| Op::Egress { pod, eip, owner }),
        (0u8..6).prop_map(Op::NoEgress),
        (2u8..5, 2u8..5).prop_map(|(node, cidr)| Op::Peer { node, cidr }),
        (2u8..5).prop_map(Op::RemovePeer),
        proptest::collection::vec(0u8..4, 0..3).prop_map(Op::Owned),
        proptest::collection::vec(0u8..4, 0..3).prop_map(Op::Draining),
        (1u16..4).prop_map(Op::Round),
    ]
}

fn eip(i: u8) -> IpAddr {
    if i == 3 {
        "fd00:99::100".parse().unwrap()
    } else {
        format!("10.99.0.{}", 100 + i).parse().unwrap()
    }
}

fn egress_id(i: u8) -> EgressId {
    EgressId::new(0x100 + i as u32).unwrap()
}

fn key(pod: u8) -> PodKey {
    PodKey::new("default", format!("pod-{pod}"))
}

/// Owner 0 = this node, 1..=2 peers, 3 = nobody.
fn pod_egress(pod: u8, eip_i: u8, owner: u8) -> PodEgress {
    PodEgress {
        pod: key(pod),
        pod_ips: Vec::new(),
        egress: format!("e{eip_i}"),
        egress_ip: Some(eip(eip_i)),
        egress_id: Some(egress_id(eip_i)),
        owner: match owner {
            0 => Some("n1".into()),
            3 => None,
            o => Some(format!("n{}", o + 1)),
        },
        owner_ip: (1..=2)
            .contains(&owner)
            .then(|| format!("10.0.0.{}", owner + 1).parse().unwrap()),
        owned_here: owner == 0,
    }
}

fn run(p: &mut NodePipeline, op: &Op) -> Vec<FlowChange> {
    match op {
        Op::UpsertPod { pod, port, ip, v6 } => {
            let mut ips: Vec<IpAddr> = vec![format!("192.168.1.{ip}").parse().unwrap()];
            if *v6 {
                ips.push(format!("fd00:1::{ip}").parse().unwrap());
            }
            if *ip == 5 {
                // A pod listing one IP twice: duplicate keys within one owner.
                ips.push(ips[0]);
            }
            p.upsert_pod(LocalPod {
                key: key(*pod),
                ofport: PortNo(*port as u16),
                mac: Mac([2, 0, 0, 0, *pod, *ip]),
                ips,
            })
            .unwrap()
        }
        Op::RemovePod(pod) => p.remove_pod(&key(*pod)),
        Op::Egress { pod, eip, owner } => {
            p.set_pod_egress(&key(*pod), Some(&pod_egress(*pod, *eip, *owner)))
        }
        Op::NoEgress(pod) => p.set_pod_egress(&key(*pod), None),
        Op::Peer { node, cidr } => p.upsert_peer(PeerNode {
            name: format!("n{node}"),
            transport_ip: format!("10.0.0.{node}").parse().unwrap(),
            pod_cidrs: vec![format!("192.168.{cidr}.0/24").parse().unwrap()],
        }),
        Op::RemovePeer(node) => p.remove_peer(&format!("n{node}")),
        Op::Owned(ips) => {
            let owned: Vec<OwnedIp> = ips
                .iter()
                .map(|i| OwnedIp {
                    ip: eip(*i),
                    egress_id: Some(egress_id(*i)),
                    egresses: vec![format!("e{i}")],
                })
                .collect();
            p.set_owned_ips(&owned)
        }
        Op::Draining(ips) => p.set_draining(ips.iter().map(|i| (eip(*i), Some(egress_id(*i))))),
        Op::Round(r) => p.set_round(*r),
    }
}

fn sorted_lines(p: &NodePipeline) -> Vec<String> {
    use ovs_egress::egress::pipeline::dump::{dump_lines, Names};
    Bridge::ALL
        .iter()
        .flat_map(|b| dump_lines(p.desired(), *b, Names::default()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn incremental_equals_rebuilt_and_change_sets_converge(ops in proptest::collection::vec(op(), 1..40)) {
        let mut p = NodePipeline::new(config(), 1).unwrap();
        let mut switch = Switch::from_desired(&p);
        for op in &ops {
            let changes = run(&mut p, op);
            switch.apply_set(&reconcile::from_changes(&changes));
            // Every reported change is real: old != new.
            for c in &changes {
                prop_assert_ne!(&c.old, &c.new);
            }
        }
        prop_assert_eq!(sorted_lines(&p), sorted_lines(&p.rebuilt()));
        prop_assert_eq!(&switch, &Switch::from_desired(&p));
        // A full diff against the converged switch is empty.
        let again = reconcile::diff_all(
            p.desired(),
            &switch.dump(Bridge::Int),
            &switch.dump(Bridge::Phy),
            Stale::Delete,
        );
        prop_assert!(again.is_empty(), "{:?}", again);
    }

    #[test]
    fn full_diff_converges_from_any_installed_state(
        before in proptest::collection::vec(op(), 0..20),
        after in proptest::collection::vec(op(), 0..20),
    ) {
        // Installed: some earlier state (older round); desired: a later one (newer round).
        let mut old = NodePipeline::new(config(), 1).unwrap();
        for op in &before {
            run(&mut old, op);
        }
        let mut new = old.clone();
        new.set_round(7);
        for op in &after {
            if !matches!(op, Op::Round(_)) {
                run(&mut new, op);
            }
        }
        let mut switch = Switch::from_desired(&old);
        let old_round_flows = switch.flows.len();
        // Agent start: install the new round, keep older rounds until converged.
        let set = reconcile::diff_all(
            new.desired(),
            &switch.dump(Bridge::Int),
            &switch.dump(Bridge::Phy),
            Stale::KeepOlderRounds { round: 7 },
        );
        prop_assert!(set.int.iter().chain(&set.phy).all(|m| m.command == FlowModCommand::Add));
        switch.apply_set(&set);
        // Nothing was lost: every desired flow is there, older flows are kept.
        for bridge in Bridge::ALL {
            for (k, e) in new.desired().iter(bridge) {
                prop_assert_eq!(switch.flows.get(&(bridge, k.clone())), Some(&(e.cookie, e.instructions.clone())));
            }
        }
        prop_assert!(switch.flows.len() <= old_round_flows + new.desired().len(Bridge::Int) + new.desired().len(Bridge::Phy));
        // Converged: delete older rounds by cookie mask.
        for bridge in Bridge::ALL {
            for m in reconcile::cleanup_rounds(&switch.dump(bridge), 7) {
                switch.apply(bridge, &m);
            }
        }
        prop_assert_eq!(&switch, &Switch::from_desired(&new));
    }
}

#[test]
fn a_pod_add_touches_only_that_pods_flows() {
    let mut p = NodePipeline::new(config(), 1).unwrap();
    for i in 0..50u8 {
        run(
            &mut p,
            &Op::UpsertPod {
                pod: i % 6,
                port: 10 + i % 4,
                ip: i,
                v6: false,
            },
        );
    }
    let new_pod = LocalPod {
        key: PodKey::new("default", "new"),
        ofport: PortNo(99),
        mac: Mac([2, 0, 0, 0, 0, 99]),
        ips: vec!["192.168.1.99".parse().unwrap()],
    };
    let changes = p.upsert_pod(new_pod.clone()).unwrap();
    // Classifier, spoof guard (IP + ARP), delivery: 4 flows, all additions.
    assert_eq!(changes.len(), 4, "{changes:?}");
    assert!(changes.iter().all(|c| c.old.is_none() && c.new.is_some()));
    assert!(
        p.upsert_pod(new_pod).unwrap().is_empty(),
        "unchanged pod: no changes"
    );
    // Selected by an Egress owned elsewhere: one EgressMark flow more.
    let changes = p.set_pod_egress(&PodKey::new("default", "new"), Some(&pod_egress(0, 0, 1)));
    assert_eq!(changes.len(), 1, "{changes:?}");
    let set = reconcile::from_changes(&changes);
    assert_eq!((set.int.len(), set.phy.len()), (1, 0));
    // Removing it deletes exactly its 5 flows, strictly and cookie-guarded.
    let changes = p.remove_pod(&PodKey::new("default", "new"));
    let set = reconcile::from_changes(&changes);
    assert_eq!(set.int.len(), 5);
    assert!(set
        .int
        .iter()
        .all(|m| m.command == FlowModCommand::DeleteStrict && m.cookie_mask == u64::MAX));
}

#[test]
fn changes_are_ordered_targets_first_and_phased_across_bridges() {
    let mut p = NodePipeline::new(config(), 1).unwrap();
    let owned = [OwnedIp {
        ip: eip(0),
        egress_id: Some(egress_id(0)),
        egresses: vec!["e0".into()],
    }];
    let set = reconcile::from_changes(&p.set_owned_ips(&owned));
    // br-int: SNAT (table 5) before EgressMark (table 4) that jumps to it.
    let tables: Vec<u8> = set.int.iter().map(|m| m.table_id).collect();
    assert_eq!(tables, [5, 4]);
    let phases: Vec<Bridge> = set.phases().iter().map(|(b, _)| *b).collect();
    assert_eq!(phases, [Bridge::Phy, Bridge::Int], "reply path first");
    // Losing it: br-int deletes jumps first, br-phy goes last.
    let set = reconcile::from_changes(&p.set_owned_ips(&[]));
    let tables: Vec<u8> = set.int.iter().map(|m| m.table_id).collect();
    assert_eq!(tables, [4, 5]);
    let phases: Vec<Bridge> = set.phases().iter().map(|(b, _)| *b).collect();
    assert_eq!(phases, [Bridge::Int, Bridge::Phy], "reply path last");
}

#[test]
fn two_owners_of_one_key_resolve_deterministically() {
    // An owned IP that is also draining: the un-NAT flow exists once; when ownership goes,
    // the draining claim keeps it (no delete), and only dropping the drain deletes it.
    let mut p = NodePipeline::new(config(), 1).unwrap();
    let owned = [OwnedIp {
        ip: eip(1),
        egress_id: Some(egress_id(1)),
        egresses: vec!["e1".into()],
    }];
    p.set_owned_ips(&owned);
    p.set_draining([(eip(1), Some(egress_id(1)))]);
    assert!(
        p.desired().conflicts().is_empty(),
        "identical claims are no conflict"
    );
    let changes = p.set_owned_ips(&[]);
    // SNAT, tunnel ingress and the ARP responder go; the un-NAT flow (br-phy, priority 200)
    // stays untouched.
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert!(
        !changes
            .iter()
            .any(|c| c.bridge == Bridge::Phy && c.key.priority == 200),
        "the br-phy un-NAT flow must survive: {changes:?}"
    );
    let changes = p.set_draining([]);
    assert_eq!(changes.len(), 1);
    assert!(changes[0].new.is_none());
}
