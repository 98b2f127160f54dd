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
