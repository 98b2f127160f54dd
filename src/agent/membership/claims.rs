//! Ownership claims, disseminated as foca custom broadcasts: which egress IPs each node has
//! *installed* as owner (SNAT, tunnel ingress, un-NAT, ARP responder committed), and whether a
//! node is departing. They carry the make-before-break handshake between nodes
//! (`super::handover`): the old owner lets an IP go only once the new owner claims it, and the
//! new owner announces it (GARP) only once no other live node claims it.
//!
//! Items (inside an authenticated datagram; integers big-endian):
//!
//! ```text
//! kind u8 · node name (u8 length + bytes) · epoch u64 · version u64 · body
//!   kind 1 Claim     body: IP (family u8 + 4|16 bytes) · held u8 (1 installed, 0 released)
//!   kind 2 Presence  body: departing u8
//! ```
//!
//! `epoch` is the sender agent's start time (unix µs, grows per restart) and `version` a
//! counter per epoch. Per (node, subject) the item with the largest (epoch, version) wins, and
//! every item of an epoch older than the newest seen from that node is void — so a restarted
//! agent's old claims vanish as soon as its first item (a Presence, sent at start) arrives.
//! An item is disseminated further only when it was news ([`foca::BroadcastHandler`]'s rule).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::rc::Rc;

use bytes::{Buf, BufMut};
use foca::{BroadcastHandler, Invalidates};

use super::wire::{get_ip, get_name, put_ip, put_name, NodeId, WireError};

/// What an item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// An egress IP.
    Ip(IpAddr),
    /// The node itself.
    Presence,
}

/// One claim item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimItem {
    /// The node making the statement.
    pub node: String,
    /// Its agent's epoch.
    pub epoch: u64,
    /// Version within the epoch.
    pub version: u64,
    /// What the statement is about.
    pub subject: Subject,
    /// Claim: the IP is installed as owner; Presence: the node is departing.
    pub flag: bool,
}

impl ClaimItem {
    /// Encodes the item.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut b = Vec::with_capacity(48);
        match self.subject {
            Subject::Ip(_) => b.put_u8(1),
            Subject::Presence => b.put_u8(2),
        }
        put_name(&mut b, &self.node)?;
        b.put_u64(self.epoch);
        b.put_u64(self.version);
        if let Subject::Ip(ip) = self.subject {
            put_ip(&mut b, ip);
        }
        b.put_u8(u8::from(self.flag));
        Ok(b)
    }

    /// Decodes an item (exactly the whole slice).
    pub fn decode(mut data: &[u8]) -> Result<ClaimItem, WireError> {
        if data.remaining() < 1 {
            return Err(WireError::Truncated);
        }
        let kind = data.get_u8();
        let node = get_name(&mut data)?;
        if data.remaining() < 16 {
            return Err(WireError::Truncated);
        }
        let epoch = data.get_u64();
        let version = data.get_u64();
        let subject = match kind {
            1 => Subject::Ip(get_ip(&mut data)?),
            2 => Subject::Presence,
            k => return Err(WireError::MessageTag(k)),
        };
        if data.remaining() != 1 {
            return Err(WireError::Truncated);
        }
        let flag = data.get_u8() != 0;
        Ok(ClaimItem {
            node,
            epoch,
            version,
            subject,
            flag,
        })
    }
}

/// The broadcast key: foca drops a queued item when a newer one about the same subject arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimKey {
    node: String,
    subject: Subject,
    epoch: u64,
    version: u64,
}

impl Invalidates for ClaimKey {
    fn invalidates(&self, other: &Self) -> bool {
        self.node == other.node
            && self.subject == other.subject
            && (self.epoch, self.version) > (other.epoch, other.version)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    epoch: u64,
    version: u64,
    flag: bool,
}

/// Every node's latest statements.
#[derive(Debug, Default)]
pub struct ClaimTable {
    entries: HashMap<(String, Subject), Entry>,
    epochs: HashMap<String, u64>,
    changed: bool,
}

impl ClaimTable {
    /// Records an item; true if it was news (newer than what the table had).
    pub fn record(&mut self, item: &ClaimItem) -> bool {
        let newest_epoch = self.epochs.get(&item.node).copied().unwrap_or(0);
        if item.epoch < newest_epoch {
            return false;
        }
        let key = (item.node.clone(), item.subject);
        if let Some(e) = self.entries.get(&key) {
            if e.epoch == item.epoch && e.version >= item.version {
                return false;
            }
        }
        if item.epoch > newest_epoch {
            self.epochs.insert(item.node.clone(), item.epoch);
            let node = item.node.clone();
            let epoch = item.epoch;
            self.entries
                .retain(|(n, _), e| *n != node || e.epoch >= epoch);
        }
        self.entries.insert(
            key,
            Entry {
                epoch: item.epoch,
                version: item.version,
                flag: item.flag,
            },
        );
        self.changed = true;
        true
    }

    /// Whether anything changed since the last call.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// The IPs each node holds (nodes with none are left out).
    pub fn held(&self) -> BTreeMap<String, BTreeSet<IpAddr>> {
        let mut out: BTreeMap<String, BTreeSet<IpAddr>> = BTreeMap::new();
        for ((node, subject), e) in &self.entries {
            if let (Subject::Ip(ip), true) = (subject, e.flag) {
                out.entry(node.clone()).or_default().insert(*ip);
            }
        }
        out
    }

    /// The nodes that announced their departure.
    pub fn departing(&self) -> BTreeSet<String> {
        self.entries
            .iter()
            .filter(|((_, s), e)| *s == Subject::Presence && e.flag)
            .map(|((n, _), _)| n.clone())
            .collect()
    }
}

/// A [`ClaimTable`] shared between foca's broadcast handler and the membership core (one
/// thread).
pub type SharedClaims = Rc<RefCell<ClaimTable>>;

/// The [`BroadcastHandler`] given to foca.
#[derive(Debug, Clone)]
pub struct ClaimsHandler {
    table: SharedClaims,
}

impl ClaimsHandler {
    /// A handler recording into `table`.
    pub fn new(table: SharedClaims) -> ClaimsHandler {
        ClaimsHandler { table }
    }
}

impl BroadcastHandler<NodeId> for ClaimsHandler {
    type Key = ClaimKey;
    type Error = WireError;

    fn receive_item(
        &mut self,
        data: &[u8],
        _sender: Option<&NodeId>,
    ) -> Result<Option<ClaimKey>, WireError> {
        let item = ClaimItem::decode(data)?;
        let news = self.table.borrow_mut().record(&item);
        Ok(news.then_some(ClaimKey {
            node: item.node,
            subject: item.subject,
            epoch: item.epoch,
            version: item.version,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(node: &str, epoch: u64, version: u64, ip: &str, held: bool) -> ClaimItem {
        ClaimItem {
            node: node.into(),
            epoch,
            version,
            subject: Subject::Ip(ip.parse().unwrap()),
            flag: held,
        }
    }

    #[test]
    fn items_round_trip_and_bad_bytes_are_errors() {
        for item in [
            claim("node1", 7, 9, "10.105.18.100", true),
            claim("n", 1, 2, "2001:db8::1", false),
            ClaimItem {
                node: "node3".into(),
                epoch: 1,
                version: 1,
                subject: Subject::Presence,
                flag: true,
            },
        ] {
            let bytes = item.encode().unwrap();
            assert_eq!(ClaimItem::decode(&bytes).unwrap(), item);
            for cut in 0..bytes.len() {
                assert!(ClaimItem::decode(&bytes[..cut]).is_err());
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(ClaimItem::decode(&longer).is_err());
        }
        assert_eq!(ClaimItem::decode(&[9, 0]), Err(WireError::Truncated));
    }

    #[test]
    fn newest_wins_and_old_epochs_vanish() {
        let mut t = ClaimTable::default();
        assert!(t.record(&claim("a", 1, 1, "10.0.0.1", true)));
        assert!(t.record(&claim("a", 1, 2, "10.0.0.2", true)));
        assert!(!t.record(&claim("a", 1, 1, "10.0.0.1", true)), "duplicate");
        assert!(t.take_changed());
        assert!(!t.take_changed());
        assert_eq!(t.held()["a"].len(), 2);
        // A release of .1.
        assert!(t.record(&claim("a", 1, 3, "10.0.0.1", false)));
        assert_eq!(t.held()["a"].len(), 1);
        // The agent restarts: its first item voids everything of the old epoch.
        assert!(t.record(&ClaimItem {
            node: "a".into(),
            epoch: 5,
            version: 1,
            subject: Subject::Presence,
            flag: false,
        }));
        assert!(!t.held().contains_key("a"));
        assert!(!t.record(&claim("a", 1, 9, "10.0.0.2", true)), "old epoch");
        assert!(t.departing().is_empty());
        assert!(t.record(&ClaimItem {
            node: "a".into(),
            epoch: 5,
            version: 2,
            subject: Subject::Presence,
            flag: true,
        }));
        assert_eq!(t.departing(), BTreeSet::from(["a".to_string()]));
    }

    #[test]
    fn keys_invalidate_older_versions_of_the_same_subject() {
        let k = |v: u64, ip: &str| ClaimKey {
            node: "a".into(),
            subject: Subject::Ip(ip.parse().unwrap()),
            epoch: 1,
            version: v,
        };
        assert!(k(2, "10.0.0.1").invalidates(&k(1, "10.0.0.1")));
        assert!(!k(1, "10.0.0.1").invalidates(&k(2, "10.0.0.1")));
        assert!(!k(2, "10.0.0.2").invalidates(&k(1, "10.0.0.1")));
    }
}
