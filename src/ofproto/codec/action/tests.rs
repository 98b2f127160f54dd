//! Unit tests of the action codec's edge cases (the OVS golden vectors and the ovs-ofctl oracle
//! are in `tests/codec_action_*.rs`).

use super::*;
use crate::ofproto::codec::instruction::{decode_instructions, encode_instructions, Instruction};

fn unhex(s: &str) -> Vec<u8> {
    let d: Vec<u8> = s
        .bytes()
        .filter(|b| b.is_ascii_hexdigit())
        .map(|b| (b as char).to_digit(16).unwrap() as u8)
        .collect();
    d.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

fn decode(hex: &str, v: Version) -> Result<Vec<Action>, DecodeError> {
    decode_actions(&mut Reader::new(&unhex(hex)), v)
}

fn encode(a: &[Action], v: Version) -> Result<Vec<u8>, EncodeError> {
    let mut out = BytesMut::new();
    encode_actions(a, &mut out, v)?;
    Ok(out.to_vec())
}

fn reg0(ofs: u16, n_bits: u16) -> Subfield {
    Subfield {
        field: Field::Reg0,
        ofs,
        n_bits,
    }
}

#[test]
fn forms_refused_outside_their_versions() {
    let not_in =
        |r: Result<Vec<u8>, EncodeError>| matches!(r, Err(EncodeError::NotInVersion { .. }));
    let load = Action::RegLoad {
        dst: reg0(0, 4),
        value: 2,
    };
    assert!(not_in(encode(std::slice::from_ref(&load), Version::Of15)));
    assert!(encode(&[load], Version::Of13).is_ok());
    let mv = Action::RegMove {
        src: reg0(0, 4),
        dst: Subfield {
            field: Field::Reg1,
            ofs: 0,
            n_bits: 4,
        },
    };
    assert!(not_in(encode(&[mv], Version::Of15)));
    let masked = Action::SetField {
        field: Field::Reg0,
        value: Value::from_u64(4, 2),
        mask: Some(Value::from_u64(4, 0xf)),
    };
    assert!(not_in(encode(std::slice::from_ref(&masked), Version::Of13)));
    assert!(encode(&[masked], Version::Of15).is_ok());
    assert!(not_in(encode(&[Action::Meter(1)], Version::Of13)));
    let copy = Action::CopyField {
        src: reg0(0, 8),
        dst: Subfield {
            field: Field::Reg2,
            ofs: 8,
            n_bits: 8,
        },
    };
    assert!(not_in(encode(&[copy], Version::Of13)));
    let mut out = BytesMut::new();
    assert!(matches!(
        encode_instructions(&[Instruction::Meter(1)], &mut out, Version::Of15),
        Err(EncodeError::NotInVersion { .. })
    ));
}

#[test]
fn version_only_forms_decode_raw_elsewhere() {
    // NXAST_REG_LOAD is OpenFlow 1.0-1.4: unknown (kept raw) in 1.5, as OVS does not accept it.
    let hex = "ffff 0018 00002320 0007 000f 00000802 000000000000f009";
    assert!(matches!(
        decode(hex, Version::Of13).unwrap()[0],
        Action::RegLoad { .. }
    ));
    assert!(matches!(
        decode(hex, Version::Of15).unwrap()[0],
        Action::Raw(_)
    ));
    // OFPAT_METER (29) is OpenFlow 1.5 only.
    assert!(matches!(
        decode("001d 0008 00000005", Version::Of13).unwrap()[0],
        Action::Raw(_)
    ));
    assert_eq!(
        decode("001d 0008 00000005", Version::Of15).unwrap(),
        vec![Action::Meter(5)]
    );
}

#[test]
fn unknown_actions_and_fields_are_kept_verbatim() {
    for hex in [
        // Unknown Nicira subtype.
        "ffff 0010 00002320 7777 000000000000",
        // Unknown vendor.
        "ffff 0010 12345678 0001 000000000000",
        // reg_move from tun_metadata0 (not modelled).
        "ffff 0018 00002320 0006 0020 0000 0000 00015004 00010004",
        // Deprecated OpenFlow 1.1 set_dl_src.
        "0003 0010 001122334455 000000000000",
    ] {
        let bytes = unhex(hex);
        let actions = decode_actions(&mut Reader::new(&bytes), Version::Of13).unwrap();
        assert!(matches!(actions[0], Action::Raw(_)), "{hex}: {actions:?}");
        assert_eq!(encode(&actions, Version::Of13).unwrap(), bytes, "{hex}");
    }
}

#[test]
fn malformed_actions_are_typed_errors() {
    for hex in [
        // Length not a multiple of 8.
        "ffff 0011 00002320 0015 0001 00000000 0000000000000000",
        // Length past the end.
        "0000 00f0 00000000",
        // Length below 8.
        "0000 0000 00000000",
        // Output to OFPP_ANY.
        "0000 0010 ffffffff 0000 000000000000",
        // resubmit_table with non-zero padding.
        "ffff 0010 00002320 000e 000a 05 000001",
        // reg_load value wider than its destination.
        "ffff 0018 00002320 0007 0003 00010004 0000000000000010",
        // set_field with a known field of the wrong length.
        "0019 0010 80000807 000102030405 000000000010 00000001",
        // Masked set_field in OpenFlow 1.3.
        "0019 0018 8000090c 000000001234 00000000ffff 00000000",
        // conjunction clause >= n_clauses.
        "ffff 0010 00002320 0022 02 02 00abcdef",
        // ct force without commit.
        "ffff 0018 00002320 0023 0002 00000000 0000 FF 000000 0000",
        // nat outside ct.
        "ffff 0010 00002320 0024 00 00 0001 0000",
        // ct_mark written outside ct.
        "ffff 0018 00002320 0007 001f 0001d604 000000000000f009",
    ] {
        assert!(decode(hex, Version::Of13).is_err(), "{hex} decoded");
    }
}

#[test]
fn all_ones_masks_survive_in_openflow15() {
    let a = Action::SetField {
        field: Field::EthSrc,
        value: Value::from_mac([0, 0, 0xff, 0xff, 0xff, 0xff]),
        mask: Some(Value::from_mac([0xff; 6])),
    };
    let bytes = encode(std::slice::from_ref(&a), Version::Of15).unwrap();
    assert_eq!(
        decode_actions(&mut Reader::new(&bytes), Version::Of15).unwrap(),
        vec![a]
    );
}

#[test]
fn nesting_is_bounded() {
    // 200 nested clones: rejected with an error, not a stack overflow.
    let mut bytes = Vec::new();
    for i in 0..200u16 {
        let len = 16 * (200 - i);
        bytes.extend_from_slice(&[0xff, 0xff]);
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(&[0, 0, 0x23, 0x20, 0, 42, 0, 0, 0, 0, 0, 0]);
    }
    assert!(decode_actions(&mut Reader::new(&bytes), Version::Of13).is_err());
}

#[test]
fn instructions_validate_like_ovs() {
    let ins = |hex: &str, v| decode_instructions(&mut Reader::new(&unhex(hex)), v);
    // Duplicate instruction type.
    assert!(ins("0004 0008 00000000 0004 0008 00000000", Version::Of13).is_err());
    // goto_table too long.
    assert!(ins("0001 0010 01 000000 0000000000000000", Version::Of13).is_err());
    // write_actions with an action that is not allowed in an action set.
    assert!(ins(
        "0003 0018 00000000 ffff 0010 00002320 0011 000000000000",
        Version::Of13
    )
    .is_err());
    // The meter instruction is unknown in OpenFlow 1.5: kept raw.
    assert!(matches!(
        ins("0006 0008 00000001", Version::Of15).unwrap()[0],
        Instruction::Raw { .. }
    ));
    assert_eq!(
        ins("0006 0008 00000001", Version::Of13).unwrap(),
        vec![Instruction::Meter(1)]
    );
}

#[test]
fn actions_stay_small() {
    // Large variants are boxed so a Vec<Action> stays compact.
    assert!(
        std::mem::size_of::<Action>() <= 48,
        "{}",
        std::mem::size_of::<Action>()
    );
}

#[test]
fn header_actions_decode_with_their_argument_at_offset_4_and_padding_ignored() {
    for v in [Version::Of13, Version::Of15] {
        let got = decode(
            "0017 0008 40ffffff 000f 0008 09000000 0010 0008 00000000 \
             0013 0008 8848 0000 0014 0008 0800 ffff 0009 0008 0050 0000 000a 0008 1234 0000",
            v,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                Action::SetNwTtl(0x40),
                Action::SetMplsTtl(9),
                Action::DecMplsTtl,
                Action::PushMpls(0x8848),
                Action::PopMpls(0x0800),
                Action::SetTpSrc(80),
                Action::SetTpDst(0x1234),
            ]
        );
        // Re-encoded with zero padding, as OVS re-encodes them.
        assert_eq!(
            encode(&got, v).unwrap(),
            unhex(
                "0017 0008 40000000 000f 0008 09000000 0010 0008 00000000 \
                 0013 0008 8848 0000 0014 0008 0800 0000 0009 0008 0050 0000 000a 0008 1234 0000"
            )
        );
    }
    // push_mpls of a non-MPLS ethertype is OFPBAC_BAD_ARGUMENT; a 16-byte set_nw_ttl is
    // OFPBAC_BAD_LEN.
    assert!(decode("0013 0008 0800 0000", Version::Of13).is_err());
    assert!(decode("0017 0010 4000000000000000", Version::Of13).is_err());
}
