//! Property tests for the RFC 7047 data model and the framing: decode(encode(x)) == x for
//! generated atoms, sets, maps and rows; any split of a message stream decodes the same; an
//! update2 diff (computed as `ovsdb_datum_diff` does) applied to the old value gives the new.

use std::collections::{BTreeMap, BTreeSet};

use ovs_egress::ovsdb::proto::data::{row_from_json, row_to_json};
use ovs_egress::ovsdb::proto::framing::{encode, Decoder};
use ovs_egress::ovsdb::proto::schema::ColumnType;
use ovs_egress::ovsdb::proto::view::apply_diff;
use ovs_egress::ovsdb::proto::{Atom, Datum, Message, Row};
use proptest::prelude::*;
use serde_json::json;
use uuid::Uuid;

fn atom() -> impl Strategy<Value = Atom> {
    prop_oneof![
        any::<i64>().prop_map(Atom::Integer),
        any::<f64>()
            .prop_filter("JSON has no NaN/inf", |r| r.is_finite())
            .prop_map(Atom::Real),
        any::<bool>().prop_map(Atom::Boolean),
        any::<String>().prop_map(Atom::String),
        any::<u128>().prop_map(|u| Atom::Uuid(Uuid::from_u128(u))),
        "[a-zA-Z_][a-zA-Z0-9_]{0,12}".prop_map(Atom::NamedUuid),
    ]
}

fn datum() -> impl Strategy<Value = Datum> {
    prop_oneof![
        prop::collection::btree_set(atom(), 0..6).prop_map(Datum::Set),
        prop::collection::btree_map(atom(), atom(), 0..6).prop_map(Datum::Map),
    ]
}

fn row() -> impl Strategy<Value = Row> {
    prop::collection::btree_map("[a-z_]{1,10}", datum(), 0..6)
}

/// What ovsdb-server sends as the update2 diff of a composite column (`ovsdb_datum_diff`).
fn ovs_diff(old: &Datum, new: &Datum) -> Datum {
    match (old, new) {
        (Datum::Set(o), Datum::Set(n)) => Datum::Set(o.symmetric_difference(n).cloned().collect()),
        (Datum::Map(o), Datum::Map(n)) => {
            let mut d = BTreeMap::new();
            for (k, v) in o {
                match n.get(k) {
                    None => {
                        d.insert(k.clone(), v.clone());
                    }
                    Some(nv) if nv != v => {
                        d.insert(k.clone(), nv.clone());
                    }
                    Some(_) => {}
                }
            }
            for (k, v) in n {
                if !o.contains_key(k) {
                    d.insert(k.clone(), v.clone());
                }
            }
            Datum::Map(d)
        }
        _ => new.clone(),
    }
}

proptest! {
    #[test]
    fn atom_roundtrip(a in atom()) {
        prop_assert_eq!(Atom::from_json(&a.to_json()).unwrap(), a);
    }

    #[test]
    fn datum_roundtrip(d in datum()) {
        // Through text too, as on the wire.
        let text = d.to_json().to_string();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(Datum::from_json(&back).unwrap(), d);
    }

    #[test]
    fn one_element_set_either_form(a in atom()) {
        let wrapped = json!(["set", [a.to_json()]]);
        prop_assert_eq!(Datum::from_json(&wrapped).unwrap(), Datum::scalar(a.clone()));
        prop_assert_eq!(Datum::from_json(&a.to_json()).unwrap(), Datum::scalar(a));
    }

    #[test]
    fn row_roundtrip(r in row()) {
        prop_assert_eq!(row_from_json(&row_to_json(&r)).unwrap(), r);
    }

    #[test]
    fn framing_any_split(rows in prop::collection::vec(row(), 1..4), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..5)) {
        let msgs: Vec<Message> = rows.iter().enumerate().map(|(i, r)| Message::Reply {
            id: json!(i),
            result: json!([{"rows": [row_to_json(r)]}]),
        }).collect();
        let mut wire = Vec::new();
        for m in &msgs {
            encode(m, &mut wire);
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(wire.len() + 1)).collect();
        points.push(0);
        points.push(wire.len());
        points.sort_unstable();
        let mut dec = Decoder::new();
        let mut got = Vec::new();
        for w in points.windows(2) {
            dec.feed(&wire[w[0]..w[1]]);
            while let Some(m) = dec.next_message().unwrap() {
                got.push(m);
            }
        }
        prop_assert_eq!(got, msgs);
    }

    #[test]
    fn set_diff_applies(old in prop::collection::btree_set(atom(), 0..8), new in prop::collection::btree_set(atom(), 0..8)) {
        let ty = ColumnType::from_json(&json!({"key": "string", "min": 0, "max": "unlimited"})).unwrap();
        let (old, new) = (Datum::Set(old), Datum::Set(new));
        let mut cur = old.clone();
        apply_diff(&mut cur, ovs_diff(&old, &new), Some(&ty));
        prop_assert_eq!(cur, new);
    }

    #[test]
    fn map_diff_applies(old in prop::collection::btree_map(atom(), atom(), 0..8), new in prop::collection::btree_map(atom(), atom(), 0..8)) {
        let ty = ColumnType::from_json(&json!({"key": "string", "value": "string", "min": 0, "max": "unlimited"})).unwrap();
        let (old, new) = (Datum::Map(old), Datum::Map(new));
        let mut cur = old.clone();
        apply_diff(&mut cur, ovs_diff(&old, &new), Some(&ty));
        prop_assert_eq!(cur, new);
    }

    #[test]
    fn scalar_diff_is_the_new_value(old in atom(), new in prop::collection::btree_set(atom(), 0..2)) {
        let ty = ColumnType::from_json(&json!({"key": "integer", "min": 0, "max": 1})).unwrap();
        let mut cur = Datum::scalar(old);
        apply_diff(&mut cur, Datum::Set(new.clone()), Some(&ty));
        prop_assert_eq!(cur, Datum::Set(new));
    }
}

#[test]
fn empty_set_and_map_stay_distinct() {
    let s: BTreeSet<Atom> = BTreeSet::new();
    assert_eq!(
        Datum::from_json(&Datum::Set(s).to_json()).unwrap(),
        Datum::empty_set()
    );
    assert_eq!(
        Datum::from_json(&Datum::empty_map().to_json()).unwrap(),
        Datum::empty_map()
    );
}
