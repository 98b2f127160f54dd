//! Table ids and names of the two bridges.
//!
//! Names follow Antrea's pipeline (`pkg/agent/openflow/pipeline.go`) where a table does the same
//! job, so people who know Antrea can read `flow-dump` output at once; ids are compact and fixed
//! (Antrea allocates them dynamically). Every `goto_table` goes forward (OpenFlow requires it):
//! the ids follow the packet walk, and the IPv6-only NDResponder tables come last.
//! [`int_table_names`] / [`phy_table_names`] are what the agent pushes with a TABLE_FEATURES
//! request and what `--names` printing uses.

use crate::ofproto::text::TableNames;

/// The two bridges of a node: the pipeline bridge and the uplink bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bridge {
    /// `br-int`: pod ports, the tunnel port, the patch port to br-phy.
    Int,
    /// `br-phy`: the uplink NIC, LOCAL (the node's transport IP), the patch port to br-int.
    Phy,
}

impl Bridge {
    /// Both bridges, br-phy first: the order in which additions are applied, so the reply path
    /// (br-phy un-NAT) exists before br-int starts SNATing into it.
    pub const ALL: [Bridge; 2] = [Bridge::Phy, Bridge::Int];

    /// The usual OVS bridge name.
    pub fn default_name(self) -> &'static str {
        match self {
            Bridge::Int => "br-int",
            Bridge::Phy => "br-phy",
        }
    }

    /// The table names of this bridge.
    pub fn table_names(self) -> TableNames {
        match self {
            Bridge::Int => int_table_names(),
            Bridge::Phy => phy_table_names(),
        }
    }
}

/// A table: bridge, id and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Table {
    /// The bridge the table is on.
    pub bridge: Bridge,
    /// The OpenFlow table id.
    pub id: u8,
    /// The Antrea-like name.
    pub name: &'static str,
}

/// br-int 0: where a packet comes from (pod, tunnel, br-phy) → `reg0[0..3]`.
pub const CLASSIFIER: Table = Table {
    bridge: Bridge::Int,
    id: 0,
    name: "Classifier",
};
/// br-int 1: a pod may only send with its own MAC and IPs.
pub const SPOOF_GUARD: Table = Table {
    bridge: Bridge::Int,
    id: 1,
    name: "SpoofGuard",
};
/// br-int 2: answers pods' ARP requests with the virtual gateway MAC.
pub const ARP_RESPONDER: Table = Table {
    bridge: Bridge::Int,
    id: 2,
    name: "ARPResponder",
};
/// br-int 3: routing by destination: local pod, other node's pod (tunnel, VNI 0), outside.
pub const L3_FORWARDING: Table = Table {
    bridge: Bridge::Int,
    id: 3,
    name: "L3Forwarding",
};
/// br-int 4: which address traffic leaving the cluster gets: egress IP here (SNAT), egress IP
/// elsewhere (tunnel with the egress id), node IP (default), or none (drop).
pub const EGRESS_MARK: Table = Table {
    bridge: Bridge::Int,
    id: 4,
    name: "EgressMark",
};
/// br-int 5: conntrack SNAT to the egress IP selected in `reg1` (0 = node IP), out to br-phy.
pub const SNAT: Table = Table {
    bridge: Bridge::Int,
    id: 5,
    name: "SNAT",
};
/// br-int 6: delivery to a local pod by destination IP.
pub const L2_FORWARDING_CALC: Table = Table {
    bridge: Bridge::Int,
    id: 6,
    name: "L2ForwardingCalc",
};

/// br-int 7: completes the neighbor advertisement that ARPResponder started from a pod's
/// neighbor solicitation (`nd_tll`, flags): OVS only lets a flow write `nd_tll` when its match
/// says ICMPv6 type 136, so the answer is built in two tables (id after the others: goto only
/// has to go forward).
pub const ND_RESPONDER: Table = Table {
    bridge: Bridge::Int,
    id: 7,
    name: "NDResponder",
};

/// br-phy 0: the uplink "wire": tunnel decap to LOCAL, replies to SNATed addresses into
/// conntrack, ARP responder for owned egress IPs, everything else between uplink and LOCAL.
pub const PHY_CLASSIFIER: Table = Table {
    bridge: Bridge::Phy,
    id: 0,
    name: "PhyClassifier",
};
/// br-phy 1: after un-NAT: replies of SNATed connections go to br-int, the rest to LOCAL.
pub const CONNTRACK_STATE: Table = Table {
    bridge: Bridge::Phy,
    id: 1,
    name: "ConntrackState",
};

/// br-phy 2: completes neighbor advertisements for owned IPv6 egress IPs (as [`ND_RESPONDER`]).
pub const PHY_ND_RESPONDER: Table = Table {
    bridge: Bridge::Phy,
    id: 2,
    name: "NDResponder",
};

/// Every br-int table, in id order.
pub const INT_TABLES: [Table; 8] = [
    CLASSIFIER,
    SPOOF_GUARD,
    ARP_RESPONDER,
    L3_FORWARDING,
    EGRESS_MARK,
    SNAT,
    L2_FORWARDING_CALC,
    ND_RESPONDER,
];

/// Every br-phy table, in id order.
pub const PHY_TABLES: [Table; 3] = [PHY_CLASSIFIER, CONNTRACK_STATE, PHY_ND_RESPONDER];

fn names(tables: &[Table]) -> TableNames {
    let mut names = TableNames::new();
    for t in tables {
        names.insert(t.id, t.name);
    }
    names
}

/// br-int's table names (for TABLE_FEATURES and `--names`).
pub fn int_table_names() -> TableNames {
    names(&INT_TABLES)
}

/// br-phy's table names (for TABLE_FEATURES and `--names`).
pub fn phy_table_names() -> TableNames {
    names(&PHY_TABLES)
}

/// The tables of `bridge`, in id order.
pub fn tables(bridge: Bridge) -> &'static [Table] {
    match bridge {
        Bridge::Int => &INT_TABLES,
        Bridge::Phy => &PHY_TABLES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_unique_and_named() {
        for bridge in Bridge::ALL {
            let t = tables(bridge);
            for (i, table) in t.iter().enumerate() {
                assert_eq!(table.id as usize, i);
                assert_eq!(table.bridge, bridge);
            }
            let names = bridge.table_names();
            assert_eq!(names.iter().count(), t.len());
            assert_eq!(
                TableNames::parse(Some(&names), "EgressMark").is_some(),
                bridge == Bridge::Int
            );
        }
    }
}
