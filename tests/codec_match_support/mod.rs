//! Test support shared by the match/flow-text tests: OVS's own test files (read at test time
//! from Debian's `openvswitch-source` tarball, never committed), the NXM/OXM text syntax of
//! `ovs-ofctl parse-nx-match`, and running `ovs-ofctl` as the oracle.
#![allow(dead_code)]

pub mod proxy;

use bytes::BytesMut;
use ovs_egress::ofproto::codec::field::Field;
use ovs_egress::ofproto::codec::instruction::{decode_instructions, encode_instructions};
use ovs_egress::ofproto::codec::{FlowMod, FlowModCommand, Match, Reader, Version};
use ovs_egress::ofproto::text::flow::{format_flow_mod, parse_flow};
use ovs_egress::ofproto::text::{ParseErrorKind, TextContext};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Where Debian's `openvswitch-source` puts the source tarball.
pub const OVS_TARBALL: &str = "/usr/src/openvswitch/openvswitch.tar.gz";

/// The text of `openvswitch/tests/<name>` from the OVS source tarball.
pub fn ovs_test_file(name: &str) -> String {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ovs-at-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("tar")
            .args(["xzf", OVS_TARBALL, "-C"])
            .arg(&dir)
            .args(["--wildcards", "*/tests/*.at"])
            .status()
            .expect("tar");
        assert!(
            status.success(),
            "cannot unpack {OVS_TARBALL} (apt-get install openvswitch-source)"
        );
        dir
    });
    std::fs::read_to_string(dir.join("openvswitch/tests").join(name)).unwrap()
}

/// The text between `AT_SETUP([title])` and the next `AT_CLEANUP`.
pub fn at_section<'a>(at: &'a str, title: &str) -> &'a str {
    let start = at
        .find(&format!("AT_SETUP([{title}])"))
        .unwrap_or_else(|| panic!("no section {title}"));
    let rest = &at[start..];
    let end = rest.find("AT_CLEANUP").unwrap_or(rest.len());
    &rest[..end]
}

/// The lines of the block that starts with the line containing `opener` and ends at the next
/// line starting with `]` (an `AT_DATA` body or an `AT_CHECK` expected output).
pub fn at_block(section: &str, opener: &str) -> Vec<String> {
    let start = section
        .find(opener)
        .unwrap_or_else(|| panic!("no block {opener}"));
    let after = &section[start..];
    // The body starts after the line that ends with `[dnl` (the opener's or a later one's).
    let dnl = after.find("[dnl\n").expect("block body");
    let body = &after[dnl + 5..];
    body.lines()
        .take_while(|l| !l.starts_with(']'))
        .filter(|l| !l.starts_with("dnl"))
        .map(|l| l.replace("[[", "[").replace("]]", "]"))
        .collect()
}

/// The header (with experimenter id, if any) for an NXM/OXM name as `ovs-ofctl` spells it
/// (`NXM_OF_ETH_DST`, `OXM_OF_VLAN_VID_W`, `ONFOXM_ET_TCP_FLAGS`), or a raw hex header.
/// Returns `(header bytes, value width)`.
fn header_for_name(name: &str) -> Option<(Vec<u8>, usize, bool)> {
    let (base, masked) = match name.strip_suffix("_W") {
        Some(b) => (b, true),
        None => (name, false),
    };
    for f in Field::all() {
        for h in f.info().headers {
            if h.name == base {
                let mut out = h.header(masked).0.to_be_bytes().to_vec();
                if h.class == 0xffff {
                    out.extend_from_slice(&h.experimenter.to_be_bytes());
                }
                return Some((out, f.n_bytes(), masked));
            }
        }
    }
    if name.len() == 8 || name.len() == 16 {
        let bytes = hex(name)?;
        let hm = bytes[2] & 1 != 0;
        let len = bytes[3] as usize - if bytes.len() == 8 { 4 } else { 0 };
        return Some((bytes, if hm { len / 2 } else { len }, hm));
    }
    None
}

/// Decodes hex digits (whitespace ignored).
pub fn hex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}

/// Turns `ovs-ofctl parse-nx-match` syntax (`NXM_OF_ETH_TYPE(0800), NXM_NX_REG0_W(a/f)`) into
/// TLV bytes, as `nx_match_from_string` does. A `#` starts a comment.
pub fn nx_text_to_bytes(line: &str) -> Result<Vec<u8>, String> {
    let line = line.split('#').next().unwrap_or("").trim();
    let mut out = Vec::new();
    if line == "<any>" {
        return Ok(out);
    }
    let mut rest = line;
    loop {
        rest = rest.trim_start_matches([',', ' ']);
        if rest.is_empty() {
            return Ok(out);
        }
        let open = rest.find('(').ok_or(format!("missing ( in {line}"))?;
        let close = rest.find(')').ok_or(format!("missing ) in {line}"))?;
        let name = &rest[..open];
        let body = &rest[open + 1..close];
        let (header, width, masked) =
            header_for_name(name).ok_or(format!("unknown field {name}"))?;
        out.extend_from_slice(&header);
        let (v, m) = match body.split_once('/') {
            Some((v, m)) => (v, Some(m)),
            None => (body, None),
        };
        let v = hex(v).ok_or(format!("bad hex {v}"))?;
        if v.len() != width {
            return Err(format!("{name}: expected {width} bytes"));
        }
        out.extend_from_slice(&v);
        if masked {
            let m = hex(m.ok_or("missing mask")?).ok_or("bad hex mask")?;
            out.extend_from_slice(&m);
        }
        rest = &rest[close + 1..];
    }
}

/// The bytes of an `ovs-ofctl -m` hex dump (`00000000  00 01 00 0f 80 00 0c 02-11 23 ...`).
pub fn parse_hexdump(lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        let body = l.get(10..).unwrap_or("");
        let body = body.split("  ").next().unwrap_or("");
        out.extend(hex(&body.replace('-', " ")).unwrap());
    }
    out
}

/// Runs `ovs-ofctl args...` with `stdin`, returning stdout (panics if it cannot run).
pub fn ofctl(args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("ovs-ofctl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ovs-ofctl (apt-get install openvswitch-switch)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// One answer of `ovs-ofctl -m --strict parse-oxm`: the OXM bytes OVS re-encoded (with the
/// `ofp_match` header and padding stripped), or the `OFPBMC_*` error it reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OvsOxm {
    /// Re-encoded TLVs.
    Bytes(Vec<u8>),
    /// `nx_pull_match() returned error OFPBMC_X` → `X`.
    Error(String),
}

/// Runs `ovs-ofctl -m --strict parse-oxm <version>` on `inputs` (one match per line) and
/// returns one answer per input.
pub fn ovs_parse_oxm(version: &str, inputs: &[String]) -> Vec<OvsOxm> {
    let stdin: String = inputs.iter().map(|l| format!("{l}\n")).collect();
    let out = ofctl(&["-m", "--strict", "parse-oxm", version], &stdin);
    let lines: Vec<String> = out.lines().map(str::to_owned).collect();
    let mut answers = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        i += 1;
        if let Some(e) = l.strip_prefix("nx_pull_match() returned error ") {
            answers.push(OvsOxm::Error(e.trim().to_owned()));
            continue;
        }
        let mut dump = Vec::new();
        while i < lines.len() && lines[i].starts_with("000") && lines[i].len() > 10 {
            dump.push(lines[i].clone());
            i += 1;
        }
        let bytes = parse_hexdump(&dump);
        let len = u16::from_be_bytes([bytes[2], bytes[3]]) as usize;
        answers.push(OvsOxm::Bytes(bytes[4..len].to_vec()));
    }
    assert_eq!(answers.len(), inputs.len(), "ovs-ofctl output:\n{out}");
    answers
}

/// What `ovs-ofctl -O <version> parse-flow <line>` says.
pub enum Ovs {
    /// The flow-mod text after `): `.
    Text(String),
    /// Accepted after dropping fields.
    Normalized,
    /// Rejected.
    Error(String),
}

pub fn ovs_parse_flow(version: &str, line: &str) -> Ovs {
    let out = Command::new("ovs-ofctl")
        .args(["-O", version, "parse-flow", line])
        .output()
        .expect("ovs-ofctl");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || stdout.contains("***decode error") {
        return Ovs::Error(format!("{}{}", stderr.trim(), stdout.trim()));
    }
    if stderr.contains("normalization changed") {
        return Ovs::Normalized;
    }
    let text = stdout
        .lines()
        .find_map(|l| l.split_once("): ").map(|(_, t)| t.to_owned()))
        .unwrap_or_else(|| panic!("{line}: unexpected ovs-ofctl output {stdout}"));
    Ovs::Text(text)
}

/// The flow-mod as OVS will see it: match and instructions through our encoder and decoder.
pub fn wire_roundtrip(fm: &FlowMod, v: Version) -> FlowMod {
    let mut out = BytesMut::new();
    fm.match_.encode(&mut out, v).expect("encode match");
    let m = Match::decode(&mut Reader::new(&out), v).expect("decode match");
    let mut out = BytesMut::new();
    encode_instructions(&fm.instructions, &mut out, v).expect("encode instructions");
    let ins = decode_instructions(&mut Reader::new(&out), v).expect("decode instructions");
    FlowMod {
        match_: m,
        instructions: ins,
        ..fm.clone()
    }
}

/// Compares our parse/encode/decode/print of `lines` with `ovs-ofctl -O version parse-flow`;
/// returns the number checked and the mismatches.
pub fn check_against_ovs(lines: &[String], version: &str, v: Version) -> (usize, Vec<String>) {
    let ctx = TextContext::new(v);
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in lines {
        let ours = parse_flow(line, FlowModCommand::Add, &ctx);
        let problem = match (ovs_parse_flow(version, line), &ours) {
            (Ovs::Text(want), Ok(fm)) => {
                let got = format_flow_mod(&wire_roundtrip(fm, v), &ctx);
                let got = got.trim_start();
                (got != want).then(|| format!("text\n  ovs:  {want}\n  ours: {got}"))
            }
            // OVS drops a field silently where we refuse it.
            (Ovs::Text(want), Err(e))
                if matches!(&e.kind, ParseErrorKind::MissingPrerequisite { field, .. }
                    if !want.contains(field)) =>
            {
                None
            }
            (Ovs::Text(want), Err(e)) => Some(format!("we reject ({e}), OVS gives {want}")),
            (Ovs::Normalized, Err(e))
                if matches!(e.kind, ParseErrorKind::MissingPrerequisite { .. }) =>
            {
                None
            }
            (Ovs::Normalized, other) => {
                Some(format!("OVS normalizes (drops fields), ours {other:?}"))
            }
            (Ovs::Error(_), Err(_)) => None,
            (Ovs::Error(e), Ok(fm)) => Some(format!(
                "OVS rejects ({e}), we print {}",
                format_flow_mod(fm, &ctx)
            )),
        };
        checked += 1;
        if let Some(p) = problem {
            failures.push(format!("{version} `{line}`: {p}"));
        }
    }
    (checked, failures)
}
