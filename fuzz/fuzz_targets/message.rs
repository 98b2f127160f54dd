//! Message decoding must never panic; whatever decodes must re-encode to bytes that decode to
//! the same message and re-encode identically (decode → encode → decode is stable), and
//! printing any bytes must not panic.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ovs_egress::ofproto::codec::message::print::{ofp_to_string, PrintContext};
use ovs_egress::ofproto::codec::message::{decode, encode, frame_len};
use ovs_egress::ofproto::codec::Version;

fuzz_target!(|data: &[u8]| {
    let _ = frame_len(data);
    if let Ok((h, m)) = decode(data) {
        if let Some(v) = Version::from_wire(h.version) {
            let mut out = BytesMut::new();
            if encode(v, h.xid, &m, &mut out).is_ok() {
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
