//! Cost of the sans-IO OVSDB core on a realistic message: the initial `monitor_cond` reply for
//! 1,000 pod interfaces (Antrea-style external_ids), fed to the decoder in 64 KiB reads, parsed
//! into table updates and applied to a view; and encoding a 1,000-port transaction.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ovs_egress::ovsdb::proto::framing::{encode, Decoder};
use ovs_egress::ovsdb::proto::update::parse_table_updates2;
use ovs_egress::ovsdb::proto::{Atom, Datum, DbView, Message, Operation, Row};
use serde_json::json;
use uuid::Uuid;

fn dump(n: u128) -> Vec<u8> {
    let mut rows = serde_json::Map::new();
    for i in 0..n {
        let uuid = Uuid::from_u128(0x1000_0000 + i).to_string();
        rows.insert(
            uuid,
            json!({"initial": {
            "name": format!("pod{i}-eth0"),
            "type": "",
            "ofport": i as i64 + 10,
            "error": ["set", []],
            "external_ids": ["map", [
                ["antrea-type", "container"],
                ["attached-mac", "02:00:00:00:00:01"],
                ["ip-address", format!("10.10.{}.{}", i / 256, i % 256)],
                ["pod-name", format!("web-{i}")],
                ["pod-namespace", "default"]]]}}),
        );
    }
    let msg = Message::Reply {
        id: json!(7),
        result: json!({ "Interface": rows }),
    };
    let mut out = Vec::new();
    encode(&msg, &mut out);
    out
}

fn bench(c: &mut Criterion) {
    let wire = dump(1000);
    let mut g = c.benchmark_group("ovsdb");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function("decode_1000_interface_dump_64k_reads", |b| {
        b.iter(|| {
            let mut d = Decoder::new();
            let mut got = None;
            for chunk in wire.chunks(64 * 1024) {
                d.feed(chunk);
                if let Some(m) = d.next_message().unwrap() {
                    got = Some(m);
                }
            }
            got.unwrap()
        })
    });
    g.bench_function("decode_parse_apply_1000_interface_dump", |b| {
        let schema = ovs_egress::ovsdb::proto::DatabaseSchema::from_json(&json!({
            "name": "Open_vSwitch", "version": "8", "tables": {}}))
        .unwrap();
        b.iter(|| {
            let mut d = Decoder::new();
            d.feed(&wire);
            let Some(Message::Reply { result, .. }) = d.next_message().unwrap() else {
                panic!()
            };
            let updates = parse_table_updates2(&result).unwrap();
            let mut view = DbView::new();
            view.apply(&schema, updates).unwrap().len()
        })
    });
    g.throughput(Throughput::Elements(1000));
    g.bench_function("encode_1000_port_transaction", |b| {
        let ops: Vec<Operation> = (0..1000)
            .flat_map(|i| {
                [
                    Operation::Insert {
                        table: "Interface".into(),
                        row: Row::from([
                            ("name".to_owned(), Datum::from(format!("p{i}"))),
                            ("type".to_owned(), Datum::from("internal")),
                        ]),
                        uuid_name: Some(format!("i{i}")),
                    },
                    Operation::Insert {
                        table: "Port".into(),
                        row: Row::from([
                            ("name".to_owned(), Datum::from(format!("p{i}"))),
                            (
                                "interfaces".to_owned(),
                                Atom::NamedUuid(format!("i{i}")).into(),
                            ),
                        ]),
                        uuid_name: Some(format!("p{i}")),
                    },
                ]
            })
            .collect();
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            let params = ovs_egress::ovsdb::proto::ops::transact_params("Open_vSwitch", &ops);
            let msg = Message::Request {
                id: json!(1),
                method: "transact".into(),
                params,
            };
            encode(&msg, &mut out);
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
