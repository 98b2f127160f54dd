//! Unit tests of the action text (the OVS golden vectors are in `tests/codec_action*.rs`).

use super::*;
use crate::ofproto::codec::Version;
use crate::ofproto::text::TextContext;

fn round(s: &str, v: Version) -> String {
    let ctx = TextContext::new(v);
    let ins = parse_instructions(s, &ctx).unwrap();
    let mut out = String::new();
    format_instructions(&ins, &ctx, &mut out);
    out
}

#[test]
fn simple_round_trips() {
    let v = Version::Of13;
    assert_eq!(round("output:1,resubmit(,5)", v), "output:1,resubmit(,5)");
    assert_eq!(round("drop", v), "drop");
    assert_eq!(round("", v), "drop");
    assert_eq!(
        round("set_field:0x5/0x5->reg0", v),
        "load:0x1->NXM_NX_REG0[0],load:0x1->NXM_NX_REG0[2]"
    );
    assert_eq!(
        round("set_field:0x5/0x5->reg0", Version::Of15),
        "set_field:0x5/0x5->reg0"
    );
    assert_eq!(
        round(
            "ct(commit,table=5,zone=65520,exec(set_field:0x1/0x1->ct_mark))",
            v
        ),
        "ct(commit,table=5,zone=65520,exec(load:0x1->NXM_NX_CT_MARK[0]))"
    );
    assert_eq!(
        round("meter:1,output:2,goto_table:3", v),
        "meter:1,output:2,goto_table:3"
    );
    assert_eq!(
        round("meter:1,output:2,goto_table:3", Version::Of15),
        "meter:1,output:2,goto_table:3"
    );
}

#[test]
fn port_and_table_names_both_ways() {
    use crate::ofproto::codec::port::{PortNames, PortNo};
    use crate::ofproto::text::TableNames;
    let mut ports = PortNames::new();
    ports.insert(PortNo(3), "antrea-gw0");
    ports.insert(PortNo(4), "p1");
    let mut tables = TableNames::new();
    tables.insert(20, "EgressMark");
    tables.insert(30, "L2ForwardingCalc");
    let ctx = TextContext {
        version: Version::Of15,
        ports: Some(&ports),
        tables: Some(&tables),
    };
    let text = "output:\"antrea-gw0\",p1,resubmit(p1,EgressMark),enqueue:p1:5,\
                ct(commit,table=L2ForwardingCalc,zone=65520),\
                learn(table=EgressMark,in_port=p1),bundle(eth_src,0,hrw,ofport,members:p1,3),\
                goto_table:L2ForwardingCalc";
    let ins = parse_instructions(text, &ctx).unwrap();
    let mut out = String::new();
    format_instructions(&ins, &ctx, &mut out);
    assert_eq!(
        out,
        "output:\"antrea-gw0\",output:p1,resubmit(p1,EgressMark),set_queue:5,output:p1,pop_queue,\
         ct(commit,table=L2ForwardingCalc,zone=65520),learn(table=EgressMark,in_port=p1),\
         bundle(eth_src,0,hrw,ofport,members:p1,\"antrea-gw0\"),goto_table:L2ForwardingCalc"
    );
    // Without names the numbers come out.
    let mut plain = String::new();
    format_instructions(&ins, &TextContext::new(Version::Of15), &mut plain);
    assert!(
        plain.contains("resubmit(4,20)") && plain.ends_with("goto_table:30"),
        "{plain}"
    );
}
