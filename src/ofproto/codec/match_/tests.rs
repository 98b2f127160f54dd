//! Unit tests of canonicalisation and the wire form (golden vectors from OVS live in
//! `tests/codec_match*.rs`).

use super::*;
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{DecodeError, Version};
use bytes::BytesMut;

fn v(len: usize, n: u128) -> Value {
    Value::from_u128(len, n)
}

fn encode(m: &Match, version: Version) -> Vec<u8> {
    let mut out = BytesMut::new();
    m.encode_oxms(&mut out, version).unwrap();
    out.to_vec()
}

fn decode(bytes: &[u8]) -> Result<Match, DecodeError> {
    Match::decode_oxms(&mut Reader::new(bytes))
}

#[test]
fn in_port_oxm_folds_into_in_port() {
    let mut a = Match::new();
    a.set(Field::InPortOxm, v(4, 0xffff_fffe));
    let mut b = Match::new();
    b.set(Field::InPort, v(2, 0xfffe));
    assert_eq!(a, b);
    assert_eq!(
        encode(&a, Version::Of13),
        [0x80, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe]
    );
}

#[test]
fn vlan_fields_fold_into_tci() {
    let mut m = Match::new();
    m.set(Field::DlVlan, v(2, 5)).set(Field::DlVlanPcp, v(1, 3));
    assert_eq!(m.bits(Field::VlanTci), (0x7005, 0xffff));
    let mut m = Match::new();
    m.set(Field::VlanVid, v(2, 0x1123));
    assert_eq!(m.bits(Field::VlanTci), (0x1123, 0x1fff));
}

#[test]
fn xregs_split_into_regs() {
    let mut m = Match::new();
    m.set_masked(
        Field::Xreg0,
        v(8, 0xa0e0_d050_0000_0000),
        Some(v(8, 0xf0f0_f0f0_0000_0000)),
    );
    assert_eq!(m.bits(Field::Reg0), (0xa0e0_d050, 0xf0f0_f0f0));
    assert!(m.get(Field::Reg1).is_none());
    assert_eq!(
        encode(&m, Version::Of15),
        hex("80010110a0e0d05000000000f0f0f0f000000000")
    );
    assert_eq!(encode(&m, Version::Of13), hex("00010108a0e0d050f0f0f0f0"));
}

#[test]
fn ct_state_exact_keeps_8_bit_mask() {
    let mut m = Match::new();
    m.set(Field::CtState, v(4, 0x21));
    assert_eq!(m.bits(Field::CtState), (0x21, 0xff));
}

#[test]
fn packet_type_eth_is_implied() {
    let mut a = Match::new();
    a.set(Field::PacketType, v(4, 0))
        .set(Field::EthType, v(2, 0x800));
    let mut b = Match::new();
    b.set(Field::EthType, v(2, 0x800));
    assert_eq!(a, b);
    let mut c = Match::new();
    c.set(Field::PacketType, v(4, 0));
    assert_eq!(encode(&c, Version::Of15), hex("8000580400000000"));
}

#[test]
fn decode_rejects_like_ovs() {
    use MatchProblem::*;
    let problem = |h: &str| match decode(&hex(h)) {
        Err(DecodeError::BadMatch { problem, .. }) => problem,
        other => panic!("{h}: {other:?}"),
    };
    // OXM_OF_VLAN_PCP(00) without a VID.
    assert_eq!(problem("80000e0100"), BadPrereq);
    // OXM_OF_VLAN_VID(f009).
    assert_eq!(problem("80000c02f009"), BadValue);
    // Duplicate vlan_vid.
    assert_eq!(problem("80000c02100980000c021009"), DupField);
    // NXM_OF_ETH_DST_W(ffffffffffff/010000000000).
    assert_eq!(problem("0000030cffffffffffff010000000000"), BadWildcards);
    // OXM_OF_IP_PROTO masked.
    assert_eq!(problem("80000a02080080001502060f"), BadMask);
}

#[test]
fn unknown_tlvs_are_kept() {
    let bytes = hex("800000040000000101020304111133338000 0a020800"
        .replace(' ', "")
        .as_str());
    let m = decode(&bytes).unwrap();
    assert_eq!(m.unknown().len(), 1);
    assert_eq!(
        encode(&m, Version::Of13),
        hex("80000004000000018000 0a02080001020304 11113333"
            .replace(' ', "")
            .as_str())
    );
}

#[test]
fn encode_refuses_fields_without_prerequisites() {
    let mut m = Match::new();
    m.set(Field::Ipv4Src, v(4, 0x0a000001));
    let mut out = BytesMut::new();
    assert!(m.encode_oxms(&mut out, Version::Of13).is_err());
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
