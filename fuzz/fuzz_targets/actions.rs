//! Action and instruction decoding must never panic; whatever decodes must re-encode, decode
//! again to the same value (decode -> encode -> decode is stable), print, and its printed text
//! must not make the parser panic.
//!
//! Input: byte 0 selects the version (bit 0: OpenFlow 1.5) and actions vs instructions
//! (bit 1); the rest is the wire data.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ovs_egress::ofproto::codec::action::{decode_actions, encode_actions};
use ovs_egress::ofproto::codec::instruction::{decode_instructions, encode_instructions};
use ovs_egress::ofproto::codec::{Reader, Version};
use ovs_egress::ofproto::text::action::{
    format_actions, format_instructions, parse_actions, parse_instructions,
};
use ovs_egress::ofproto::text::TextContext;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let version = if sel & 1 == 0 {
        Version::Of13
    } else {
        Version::Of15
    };
    let ctx = TextContext::new(version);
    if sel & 2 == 0 {
        if let Ok(actions) = decode_actions(&mut Reader::new(body), version) {
            let mut out = BytesMut::new();
            encode_actions(&actions, &mut out, version).expect("decoded actions encode");
            let again = decode_actions(&mut Reader::new(&out), version).expect("re-decode");
            assert_eq!(again, actions, "decode -> encode -> decode changed the actions");
            let mut text = String::new();
            format_actions(&actions, &ctx, &mut text);
            let _ = parse_actions(&text, &ctx);
        }
    } else if let Ok(ins) = decode_instructions(&mut Reader::new(body), version) {
        let mut out = BytesMut::new();
        encode_instructions(&ins, &mut out, version).expect("decoded instructions encode");
        let again = decode_instructions(&mut Reader::new(&out), version).expect("re-decode");
        assert_eq!(again, ins, "decode -> encode -> decode changed the instructions");
        let mut text = String::new();
        format_instructions(&ins, &ctx, &mut text);
        let _ = parse_instructions(&text, &ctx);
    }
});
