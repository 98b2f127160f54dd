//! Regression tests for what `fuzz/fuzz_targets/message.rs` found in the match codec, with the
//! artifacts' bytes inline (taken from `fuzz/artifacts/message/crash-<sha1>` of the two runs
//! noted in issue 2; the sha1 prefix is given with each), plus packet-in metadata that only
//! OVS's loose decoding accepts.
//!
//! The equality notion these tests pin down (see `src/ofproto/codec/match_/mod.rs`):
//! `decode(encode(m)) == m` for every match the encoder accepts, and the encoding is canonical
//! (TLVs in OVS's `nx_put_raw` order, unknown TLVs after the known ones, tunnel metadata among
//! the tunnel fields), so `encode(decode(b)) == b` holds for bytes in that order — everything
//! OVS sends — and a second round trip is always byte-identical.

use bytes::BytesMut;
use ovs_egress::ofproto::codec::message::print::{ofp_to_string, PrintContext};
use ovs_egress::ofproto::codec::message::{decode, encode, Message};
use ovs_egress::ofproto::codec::{EncodeError, Version};
use std::process::Command;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn ovs_print(b: &[u8]) -> String {
    let out = Command::new("ovs-ofctl")
        .arg("ofp-print")
        .arg(hex(b))
        .output()
        .expect("run ovs-ofctl (is openvswitch-switch installed?)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn version_of(b: &[u8]) -> Version {
    Version::from_wire(b[0]).unwrap()
}

fn reencode(version: Version, m: &Message) -> Result<Vec<u8>, EncodeError> {
    let mut out = BytesMut::new();
    encode(version, 7, m, &mut out)?;
    Ok(out.to_vec())
}

/// The fuzz target's property: whatever decodes and re-encodes decodes to the same message,
/// and a second encoding is byte-identical. Returns the first re-encoding.
fn assert_stable(bytes: &[u8]) -> Vec<u8> {
    let version = version_of(bytes);
    let (_, m) = decode(bytes).expect("decodes");
    let out = reencode(version, &m).expect("re-encodes");
    let (_, m2) = decode(&out).expect("our encoding decodes");
    assert_eq!(m2, m, "decode(encode(m)) != m");
    let again = reencode(version, &m2).unwrap();
    assert_eq!(hex(&again), hex(&out), "encoding is not stable");
    out
}

/// Unknown OXM TLVs between known ones (first and second fuzz run): they used to change place
/// relative to each other after one decode/encode round. Now they come back in the order the
/// encoder writes them, so the decoded messages are equal and the second encoding is
/// identical to the first.
#[test]
fn unknown_tlvs_keep_a_stable_place() {
    let artifacts = [
        // crash-3e5a5f32: OFPT_FLOW_MOD (OF1.3), unknown TLVs 0x02030800, 0x00000800,
        // 0x00020028, 0x80004c02 (tunnel_id with a 2-byte payload) among arp fields.
        "040e00900000020200000000000000000000000000000000010000000000ffff
         ffffffffffffffffffffffff001f00000001004202030800c800010000000800
         0000020028001000000183000400000080000a02080680004c02000080002a12
         000280002c04c088070280002e04c0a800010000000000000004001800000000
         00000010000000030000000000000000",
        // crash-22beab21: OFPT_FLOW_REMOVED (OF1.5), in_port then unknown TLVs.
        "060b008080000002010000001100220000000000000000010001002d80000004
         0000000252800006065400c300898020040b001427000100ff017f0000000177
         00001400000000000000003884020008000000980100076f06150018cb000101
         000000008002080800000004000000fe7ffd950100000000000000002d000000",
        // crash-1007c176: OFPT_PACKET_OUT (OF1.5), 0x80000408 (metadata header, wrong
        // length) and 0x50007e01 in the packet metadata.
        "060d004011223344ffffff000010000000010020800004080000540050007e01
         0000000000017b000000000000020000c9000010ffb6fff905dc000000000000",
    ];
    for a in artifacts {
        let bytes = unhex(a);
        let once = assert_stable(&bytes);
        // Canonical order: a second round from our own bytes gives them back unchanged.
        assert_eq!(hex(&assert_stable(&once)), hex(&once));
    }
}

/// `vlan_tci` values OXM cannot express (second class of findings): NXM_OF_VLAN_TCI inside
/// an OXM match. OVS's `nx_put_raw` writes `vlan_vid` (+ `vlan_pcp` when a VID is set) and
/// loses the rest, or writes a `vlan_pcp` its own strict decoder refuses (no
/// `OFPVID_PRESENT`). We write the same bytes (the golden `parse-oxm` tests demand it), so
/// these are the documented exception to `decode(encode(m)) == m`: `has_exact_oxm_form` is
/// false for them, and OVS reads our bytes exactly as we do.
#[test]
fn vlan_tci_without_an_oxm_form_is_written_as_ovs_writes_it() {
    let artifacts = [
        // crash-a1a85a70: OFPT_PACKET_IN (OF1.5) with in_port and NXM_OF_VLAN_TCI=0x0800 (VID
        // 0x800, CFI clear): OXM writes vlan_vid=0x0800 then vlan_pcp=0, which needs
        // OFPVID_PRESENT (OVS's loose packet-in decoder takes it and sets the CFI bit).
        "060a00800000000201ffffdfffffff0272220000000000010001002d80000004
         0000000280fe0606525400c300010000080208008008100100217f0300000000
         0000003b000000000000003680020008000000980100076f80fe020800000098
         ff000000800208080000007a000000028000040800fffeffffffff8000020000",
        // crash-00599be4: OFPT_FLOW_REMOVED (OF1.5) with NXM_OF_VLAN_TCI=0x8089 (PCP 4, VID
        // 0x89, CFI clear): OXM `vlan_pcp` would need `OFPVID_PRESENT` and set the CFI bit.
        "060b008000000002010500001100000000220000000000010001002d80020808
         0000000000fe007f0000080280890a000a020800890010010080000408000000
         00001de5511487270000003480020008000000980100076fdefe020800000098
         ff00000080020808000000000000000280020a08000000000000008000000000",
    ];
    for a in artifacts {
        let bytes = unhex(a);
        let (_, m) = decode(&bytes).expect("NXM vlan_tci decodes");
        let m_match = match &m {
            Message::PacketOut(p) => &p.match_,
            Message::PacketIn(p) => &p.match_,
            Message::FlowRemoved(f) => &f.match_,
            other => panic!("{other:?}"),
        };
        assert!(!m_match.has_exact_oxm_form(), "{m_match:?}");
        let out = reencode(version_of(&bytes), &m).expect("encodes as OVS does");
        // OVS and we agree on what the bytes say (a different match, or a strict refusal).
        let ours = ofp_to_string(&out, &PrintContext::default());
        let ovs = ovs_print(&out);
        assert_eq!(ours.lines().next(), ovs.lines().next(), "{a}");
        match decode(&out) {
            Ok((_, back)) => assert_ne!(back, m),
            Err(e) => assert!(ovs.contains("OFPBMC_BAD_PREREQ"), "{e}"),
        }
    }
    // The common case of the exception: `vlan_tci=0` ("no VLAN") in NXM is vlan_vid=0 in OXM,
    // which reads back as vlan_tci=0x0000/0x1fff (the same packets, not the same match).
    let mut m = ovs_egress::ofproto::codec::Match::new();
    m.set(
        ovs_egress::ofproto::codec::field::Field::VlanTci,
        ovs_egress::ofproto::codec::value::Value::from_u128(2, 0),
    );
    assert!(!m.has_exact_oxm_form());
    m.set(
        ovs_egress::ofproto::codec::field::Field::VlanVid,
        ovs_egress::ofproto::codec::value::Value::from_u128(2, 0x1005),
    );
    assert!(m.has_exact_oxm_form());
}

/// Packet metadata as OVS reads it: `oxm_pull_match_loose` does not check prerequisites, so a
/// packet-in may carry `ct_nw_src` without `ct_state`, or `vlan_pcp` without `vlan_vid`
/// (hand-made messages; `ovs-ofctl ofp-print` accepts them). We decode them too, print them as
/// OVS does, and encode them back to the same bytes.
#[test]
fn packet_in_metadata_is_read_loosely() {
    let messages = [
        // OF1.3 packet-in, match: NXM_NX_CT_NW_SRC=10.0.0.1.
        (
            true,
            "040a002a00000007ffffffff0000010300000000000012340001000c0001f004
         0a000001000000000000",
        ),
        // OF1.5, the same.
        (
            true,
            "060a002a00000007ffffffff0000010300000000000012340001000c0001f004
         0a000001000000000000",
        ),
        // OF1.3 packet-in, match: OXM_OF_VLAN_PCP=5 alone (OVS writes this metadata back as
        // vlan_vid=0x1000/0x1000 then vlan_pcp).
        (
            false,
            "040a002a00000007ffffffff0000010300000000000012340001000980000e01
         05000000000000000000",
        ),
        // OF1.5 packet-in, match: reg0=5, ct_nw_src=10.0.0.1 (NXM headers; OVS writes reg0
        // as OXM_OF_PKT_REG0 in OpenFlow 1.5).
        (
            false,
            "060a003200000007ffffffff0000010300000000000012340001001400010004
         000000050001f0040a000001000000000000",
        ),
    ];
    for (canonical, a) in messages {
        let bytes = unhex(a);
        let ovs = ovs_print(&bytes);
        assert!(!ovs.contains("decode error"), "{ovs}");
        let (_, m) = decode(&bytes).unwrap_or_else(|e| panic!("{a}: {e}"));
        assert!(matches!(m, Message::PacketIn(_)), "{m:?}");
        // OVS adds a dissection of the (empty) frame as a second line.
        let ours = ofp_to_string(&bytes, &PrintContext::default());
        assert_eq!(ours.lines().next(), ovs.lines().next(), "{a}");
        let out = assert_stable(&bytes);
        // OVS reads our bytes as the same packet-in.
        assert_eq!(ovs_print(&out).lines().next(), ovs.lines().next(), "{a}");
        if canonical {
            assert_eq!(hex(&out[8..]), hex(&bytes[8..]), "{a}");
        }
    }
    // The strict decoders (flow-mod, flow stats) still refuse them, as OVS does: the same
    // ct_nw_src TLV in an OF1.3 flow-mod.
    let flow_mod = unhex(
        "040e004000000007000000000000000000000000000000000000000000008000
         ffffffffffffffffffffffff000000000001000c0001f0040a00000100000000",
    );
    assert!(ovs_print(&flow_mod).contains("OFPBMC_BAD_PREREQ"));
    assert!(decode(&flow_mod).is_err());
}

/// Artifacts OVS refuses as a whole, and so do we now, with the same error in the same words
/// (`ovs-ofctl ofp-print`'s first line): a masked TLV of an unknown field whose value has
/// bits outside its mask (OVS checks that before the field lookup), and a packet-out match
/// with a field that is not pipeline metadata.
#[test]
fn refusals_agree_with_ovs() {
    let artifacts = [
        // crash-1d13d01e: OFPT_PACKET_IN (OF1.5), unknown masked TLV 0x320a5d08 with value
        // bits outside its mask: OFPBMC_BAD_WILDCARDS.
        "060a008000000000210002000200010000000000000000010001002d00000904
         0000320a5d000606525400c300898081110208000080100100320a5d08000000
         00154000000001000000003480020008000000980100076f80fe020800000098
         ff000000820208080000007a0000000280000408000000fbffffff8000000000",
        // crash-fc2ba511: OFPT_PACKET_OUT (OF1.5) matching NXM_OF_VLAN_TCI:
        // OFPBRC_PIPELINE_FIELDS_ONLY.
        "060d0040110022003344ff00000000000001002f209700000404000000000000
         0000010400000000000008022000080064010000050008000000010028001000",
    ];
    for a in artifacts {
        let bytes = unhex(a);
        assert!(decode(&bytes).is_err());
        let ovs = ovs_print(&bytes);
        assert!(ovs.contains("***decode error: OFP"), "{ovs}");
        let ours = ofp_to_string(&bytes, &PrintContext::default());
        assert_eq!(ours.lines().next(), ovs.lines().next(), "{a}");
    }
}
