//! From desired flows to the flow-mods that make a switch match them: a full diff against a
//! dump ([`diff`]), the incremental form of the pipeline's own changes ([`from_changes`]), and
//! the cleanup of older cookie rounds ([`cleanup_rounds`]).
//!
//! Rules:
//! - A flow is identified by (table, priority, match); an installed flow matches its desired
//!   one when the cookie and the instructions are equal. Anything else is re-added with an
//!   OpenFlow ADD, which replaces the installed flow in place (no gap).
//! - Deletes are strict and carry the installed cookie with a full cookie mask, so a flow that
//!   a newer round (or a newer view) re-installed with another cookie is never deleted.
//! - Order within a bridge: additions first, targets before jumps (higher table ids first:
//!   `goto_table` only goes forward, so a jump's target is always in a higher table), then
//!   deletions, jumps before targets (lower table ids first). Within an atomic bundle the order
//!   does not matter for correctness; it is what keeps a non-atomic fallback safe (notes
//!   pitfall 13) and it keeps the listing readable.
//! - Across bridges ([`ChangeSet::phases`]): br-phy additions, then br-int, then br-phy
//!   deletions — the reply path exists before br-int SNATs into it, and outlives it.
//! - Rounds: on agent start the pipeline uses a new round; [`diff`] with
//!   [`Stale::KeepOlderRounds`] re-adds every flow under the new cookie but deletes nothing of
//!   older rounds; once converged, [`cleanup_rounds`] deletes older rounds by cookie mask.

use rustc_hash::FxHashMap;

use crate::egress::pipeline::cookie::Cookie;
use crate::egress::pipeline::desired::{DesiredFlows, FlowChange};
use crate::egress::pipeline::flow::{add_flow_mod, delete_flow_mod, key_of, FlowKey};
use crate::egress::pipeline::tables::Bridge;
use crate::ofproto::codec::{FlowMod, FlowModCommand, FlowStats, Match};

/// What to do with installed flows that are not desired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// Delete them (steady state).
    Delete,
    /// Delete only those of `round` (the current one); leave older rounds for
    /// [`cleanup_rounds`] after convergence (agent start).
    KeepOlderRounds {
        /// The current round.
        round: u16,
    },
}

/// Flow-mods for both bridges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// br-int's flow-mods, ordered.
    pub int: Vec<FlowMod>,
    /// br-phy's flow-mods, ordered.
    pub phy: Vec<FlowMod>,
}

impl ChangeSet {
    /// True when nothing needs to change.
    pub fn is_empty(&self) -> bool {
        self.int.is_empty() && self.phy.is_empty()
    }

    /// Total number of flow-mods.
    pub fn len(&self) -> usize {
        self.int.len() + self.phy.len()
    }

    /// The flow-mods of `bridge`.
    pub fn bridge(&self, bridge: Bridge) -> &[FlowMod] {
        match bridge {
            Bridge::Int => &self.int,
            Bridge::Phy => &self.phy,
        }
    }

    /// The bundles to send, in order: br-phy additions, all of br-int, br-phy deletions
    /// (empty phases left out). Each is one atomic bundle on its bridge.
    pub fn phases(&self) -> Vec<(Bridge, Vec<FlowMod>)> {
        let (phy_add, phy_del): (Vec<FlowMod>, Vec<FlowMod>) =
            self.phy.iter().cloned().partition(|m| !is_delete(m));
        [
            (Bridge::Phy, phy_add),
            (Bridge::Int, self.int.clone()),
            (Bridge::Phy, phy_del),
        ]
        .into_iter()
        .filter(|(_, mods)| !mods.is_empty())
        .collect()
    }
}

fn is_delete(m: &FlowMod) -> bool {
    matches!(
        m.command,
        FlowModCommand::Delete | FlowModCommand::DeleteStrict
    )
}

/// Sorts flow-mods: additions targets-first, then deletions jumps-first (see module docs).
pub fn order(mods: &mut [FlowMod]) {
    mods.sort_by_key(|m| {
        if is_delete(m) {
            (1u8, m.table_id as i16)
        } else {
            (0u8, -(m.table_id as i16))
        }
    });
}

/// A flow's identity borrowed from a flow-stats entry (no copy of the match).
#[derive(PartialEq, Eq, Hash)]
struct KeyRef<'a> {
    table: u8,
    priority: u16,
    match_: &'a Match,
}

impl<'a> KeyRef<'a> {
    fn of(key: &'a FlowKey) -> Self {
        KeyRef {
            table: key.table,
            priority: key.priority,
            match_: &key.match_,
        }
    }
}

/// The flow-mods that turn `installed` (a dump of `bridge`) into the desired flows.
pub fn diff(
    desired: &DesiredFlows,
    bridge: Bridge,
    installed: &[FlowStats],
    stale: Stale,
) -> Vec<FlowMod> {
    let mut have: FxHashMap<KeyRef<'_>, usize> = FxHashMap::default();
    have.reserve(installed.len());
    for (i, s) in installed.iter().enumerate() {
        let key = KeyRef {
            table: s.table_id,
            priority: s.priority,
            match_: &s.match_,
        };
        have.insert(key, i);
    }
    let mut seen = vec![false; installed.len()];
    let mut mods = Vec::new();
    for (key, entry) in desired.iter(bridge) {
        let found = have.get(&KeyRef::of(key)).copied();
        if let Some(i) = found {
            seen[i] = true;
        }
        let same = found
            .and_then(|i| installed.get(i))
            .is_some_and(|s| s.cookie == entry.cookie && s.instructions == entry.instructions);
        if !same {
            mods.push(add_flow_mod(key, entry));
        }
    }
    for (s, seen) in installed.iter().zip(&seen) {
        if *seen {
            continue;
        }
        let delete = match stale {
            Stale::Delete => true,
            Stale::KeepOlderRounds { round } => Cookie::from_u64(s.cookie).round == round,
        };
        if delete {
            mods.push(delete_flow_mod(&key_of(s), s.cookie));
        }
    }
    // HashMap order is arbitrary: make the result deterministic before the stable order.
    mods.sort_by(|a, b| {
        (a.table_id, std::cmp::Reverse(a.priority), &a.match_).cmp(&(
            b.table_id,
            std::cmp::Reverse(b.priority),
            &b.match_,
        ))
    });
    order(&mut mods);
    mods
}

/// Both bridges' diffs.
pub fn diff_all(
    desired: &DesiredFlows,
    installed_int: &[FlowStats],
    installed_phy: &[FlowStats],
    stale: Stale,
) -> ChangeSet {
    ChangeSet {
        int: diff(desired, Bridge::Int, installed_int, stale),
        phy: diff(desired, Bridge::Phy, installed_phy, stale),
    }
}

/// The flow-mods for changes the pipeline reported (what was desired before is what was
/// installed, so no dump is needed).
pub fn from_changes(changes: &[FlowChange]) -> ChangeSet {
    let mut set = ChangeSet::default();
    for c in changes {
        let m = match (&c.new, &c.old) {
            (Some(new), _) => add_flow_mod(&c.key, new),
            (None, Some(old)) => delete_flow_mod(&c.key, old.cookie),
            (None, None) => continue,
        };
        match c.bridge {
            Bridge::Int => set.int.push(m),
            Bridge::Phy => set.phy.push(m),
        }
    }
    order(&mut set.int);
    order(&mut set.phy);
    set
}

/// After the current round has converged: one non-strict delete per older round present in
/// `installed` (all tables, cookie masked to the round), so flows of older rounds go and
/// nothing of the current round is touched.
pub fn cleanup_rounds(installed: &[FlowStats], current: u16) -> Vec<FlowMod> {
    let mut rounds: Vec<u16> = installed
        .iter()
        .map(|s| Cookie::from_u64(s.cookie).round)
        .filter(|r| *r != current)
        .collect();
    rounds.sort_unstable();
    rounds.dedup();
    rounds
        .into_iter()
        .map(|r| FlowMod {
            cookie: Cookie::round_value(r),
            cookie_mask: Cookie::round_mask(),
            table_id: 0xff,
            command: FlowModCommand::Delete,
            match_: Match::new(),
            ..FlowMod::default()
        })
        .collect()
}
