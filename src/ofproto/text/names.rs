//! Table names, as pushed to OVS with a TABLE_FEATURES request and printed by `--names`.

use crate::ofproto::codec::port::{put_name, unquote_name};
use std::collections::BTreeMap;

/// A bidirectional map of table ids and names (`table=EgressMark`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableNames {
    by_id: BTreeMap<u8, String>,
    by_name: BTreeMap<String, u8>,
}

impl TableNames {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names table `id`.
    pub fn insert(&mut self, id: u8, name: &str) {
        self.by_id.insert(id, name.to_owned());
        self.by_name.insert(name.to_owned(), id);
    }

    /// The name of table `id`, if any.
    pub fn name(&self, id: u8) -> Option<&str> {
        self.by_id.get(&id).map(String::as_str)
    }

    /// Iterates `(id, name)` in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &str)> {
        self.by_id.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Appends table `id` as ovs-ofctl prints it: its name (quoted if needed) or the number.
    pub fn format(names: Option<&TableNames>, id: u8, out: &mut String) {
        match names.and_then(|n| n.name(id)) {
            Some(name) => put_name(name, out),
            None => crate::ofproto::codec::value::put_dec(id as u64, out),
        }
    }

    /// Parses a table as ovs-ofctl accepts it: a number or a known name (quoted or not).
    pub fn parse(names: Option<&TableNames>, s: &str) -> Option<u8> {
        if let Ok(n) = s.parse::<u8>() {
            return Some(n);
        }
        let name = unquote_name(s)?;
        names?.by_name.get(&name).copied()
    }
}
