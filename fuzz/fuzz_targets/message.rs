//! Message decoding must never panic; whatever decodes must re-encode to bytes that decode to
//! the same message and re-encode identically (decode → encode → decode is stable), and
//! printing any bytes must not panic.
//!
//! The one documented exception (`src/ofproto/codec/match_/mod.rs`): a match whose `vlan_tci`
//! OXM cannot express (`Match::has_exact_oxm_form` is false; it can only come from an NXM
//! `vlan_tci` TLV) is written as OVS writes it and may read back differently, or not at all.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ovs_egress::ofproto::codec::message::multipart::{MpReply, MpRequest};
use ovs_egress::ofproto::codec::message::print::{ofp_to_string, PrintContext};
use ovs_egress::ofproto::codec::message::{decode, encode, frame_len, Message};
use ovs_egress::ofproto::codec::{Match, Version};

/// The matches a message carries (those the exception can apply to).
fn matches(m: &Message) -> Vec<&Match> {
    match m {
        Message::FlowMod(f) => vec![&f.match_],
        Message::PacketIn(p) => vec![&p.match_],
        Message::PacketOut(p) => vec![&p.match_],
        Message::FlowRemoved(f) => vec![&f.match_],
        Message::MultipartRequest(r) => match &r.body {
            MpRequest::Flow(f) | MpRequest::Aggregate(f) => vec![&f.match_],
            _ => vec![],
        },
        Message::MultipartReply(r) => match &r.body {
            MpReply::Flow(flows) => flows.iter().map(|f| &f.match_).collect(),
            _ => vec![],
        },
        Message::BundleAdd(b) => matches(&b.message),
        _ => vec![],
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = frame_len(data);
    if let Ok((h, m)) = decode(data) {
        if let Some(v) = Version::from_wire(h.version) {
            let mut out = BytesMut::new();
            if encode(v, h.xid, &m, &mut out).is_ok() {
                if !matches(&m).iter().all(|x| x.has_exact_oxm_form()) {
                    // The documented exception: decoding our bytes must only not panic.
                    let _ = decode(&out);
                    return;
                }
                let (h2, m2) = decode(&out).expect("our encoding must decode");
                assert_eq!(m2, m, "decode(encode(m)) != m");
                let mut again = BytesMut::new();
                encode(v, h2.xid, &m2, &mut again).expect("re-encode");
                assert_eq!(&again[..], &out[..], "encoding is not stable");
            }
        }
    }
    let _ = ofp_to_string(data, &PrintContext::default());
});
