//! Flow-text parsing must never panic: any input either parses or gives a typed error, and
//! whatever parses can be printed, encoded and decoded without panicking.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ovs_egress::ofproto::codec::{FlowModCommand, Match, Reader, Version};
use ovs_egress::ofproto::text::flow::{format_flow_mod, parse_flow, parse_flow_with_command};
use ovs_egress::ofproto::text::match_::{format_match, parse_match};
use ovs_egress::ofproto::text::TextContext;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for version in [Version::Of13, Version::Of15] {
        let ctx = TextContext::new(version);
        for command in [
            FlowModCommand::Add,
            FlowModCommand::Modify,
            FlowModCommand::DeleteStrict,
        ] {
            if let Ok(fm) = parse_flow(text, command, &ctx) {
                let _ = format_flow_mod(&fm, &ctx);
                let mut out = BytesMut::new();
                if fm.match_.encode(&mut out, version).is_ok() {
                    let _ = Match::decode(&mut Reader::new(&out), version);
                }
            }
        }
        let _ = parse_flow_with_command(text, &ctx);
        if let Ok((m, prio)) = parse_match(text, None, version) {
            let mut s = String::new();
            format_match(&m, prio, None, &mut s);
            let _ = parse_match(&s, None, version);
        }
    }
});
