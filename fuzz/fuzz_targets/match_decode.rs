//! Match decoding must never panic, and whatever decodes must re-encode and print.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ovs_egress::ofproto::codec::{Match, Reader, Version};
use ovs_egress::ofproto::text::match_::format_match;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Match::decode_oxms(&mut Reader::new(data)) {
        let mut s = String::new();
        format_match(&m, 0x8000, None, &mut s);
        for v in [Version::Of13, Version::Of15] {
            let mut out = BytesMut::new();
            let _ = m.encode(&mut out, v);
        }
        let mut out = BytesMut::new();
        let _ = m.encode_nxm(&mut out);
    }
    let _ = Match::decode(&mut Reader::new(data), Version::Of15);
});
