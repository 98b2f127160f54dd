//! Test support for the action codec tests: OVS's `tests/ofp-actions.at` read at test time from
//! Debian's `openvswitch-source` tarball (never committed), hex helpers, and `ovs-ofctl` run as
//! the oracle (`parse-actions`, `parse-instructions`, `parse-flow`, and capturing the flow-mods
//! `ovs-ofctl add-flows` sends to a fake switch).
#![allow(dead_code)]

pub mod capture;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Where Debian's `openvswitch-source` puts the source tarball.
pub const OVS_TARBALL: &str = "/usr/src/openvswitch/openvswitch.tar.gz";

/// The text of `openvswitch/tests/<name>` from the OVS source tarball.
pub fn ovs_test_file(name: &str) -> String {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ovs-action-at-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("tar")
            .args(["xzf", OVS_TARBALL, "-C"])
            .arg(&dir)
            .args(["--wildcards", "*/tests/ofp-actions.at"])
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

/// One `# actions=...` (or `# bad ...`) record of an `ofp-actions.at` AT_DATA table.
#[derive(Debug, Clone)]
pub struct Record {
    /// The section title (`OpenFlow 1.3 action translation`).
    pub section: String,
    /// The expected text after `actions=`, or `None` for a `bad` record.
    pub text: Option<String>,
    /// The OVS error name of a `bad` record.
    pub error: Option<String>,
    /// True when OVS re-encodes the bytes differently (`# N: xx -> yy` lines follow).
    pub normalized: bool,
    /// The action bytes.
    pub hex: Vec<u8>,
}

/// Parses hex digits, ignoring white space.
pub fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| {
            (b as char)
                .to_digit(16)
                .unwrap_or_else(|| panic!("bad hex {s}")) as u8
        })
        .collect();
    assert!(digits.len().is_multiple_of(2), "odd hex {s}");
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// Lowercase hex of `b`.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// All records of the AT_DATA table of section `title`.
pub fn records(at: &str, title: &str) -> Vec<Record> {
    let start = at
        .find(&format!("AT_SETUP([{title}])"))
        .unwrap_or_else(|| panic!("no section {title}"));
    let section = &at[start..];
    let body_start = section.find("[dnl\n").expect("AT_DATA body") + 5;
    let body = &section[body_start..];
    let end = body.find("\n])").expect("end of AT_DATA");
    let body = body[..end].replace("[[", "[").replace("]]", "]");
    // Join `dnl` continuations and drop `dnl` comment lines.
    let mut lines: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in body.lines() {
        if line.starts_with("dnl") {
            continue;
        }
        if let Some(head) = line.strip_suffix("dnl") {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        lines.push(std::mem::take(&mut pending));
    }
    let mut out = Vec::new();
    let mut cur: Option<Record> = None;
    for line in lines {
        if let Some(text) = line.strip_prefix("# actions=") {
            cur = Some(Record {
                section: title.to_owned(),
                text: Some(text.to_owned()),
                error: None,
                normalized: false,
                hex: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("# bad ") {
            let error = rest.rsplit(": ").next().map(str::to_owned);
            cur = Some(Record {
                section: title.to_owned(),
                text: None,
                error,
                normalized: false,
                hex: Vec::new(),
            });
        } else if line.starts_with("# ") {
            if let Some(r) = cur.as_mut() {
                r.normalized = true;
            }
        } else if line.starts_with('&') || line.trim().is_empty() {
            continue;
        } else if let Some(mut r) = cur.take() {
            r.hex = unhex(&line);
            out.push(r);
        }
    }
    out
}

/// Runs `ovs-ofctl ARGS` with `stdin`, returning stdout (panics with stderr on failure).
pub fn ofctl(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new("ovs-ofctl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ovs-ofctl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("ovs-ofctl output");
    assert!(
        out.status.success(),
        "ovs-ofctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

/// Runs `ovs-ofctl ARGS`, returning (success, stdout, stderr).
pub fn ofctl_status(args: &[&str]) -> (bool, String, String) {
    let out = Command::new("ovs-ofctl")
        .args(args)
        .output()
        .expect("ovs-ofctl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Result of decoding one input line with `ovs-ofctl parse-actions|parse-instructions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OvsParse {
    /// What OVS printed after `actions=`, or the `bad ...` line.
    pub text: String,
    /// True when OVS's re-encoding differs from the input (difference lines were printed).
    pub differs: bool,
}

/// Feeds each hex string to `ovs-ofctl parse-actions|parse-instructions VERSION` in one run and
/// returns what OVS made of each.
pub fn ovs_parse_hex(command: &str, version: &str, inputs: &[String]) -> Vec<OvsParse> {
    let mut stdin = String::new();
    for h in inputs {
        stdin.push_str(if h.is_empty() { "" } else { h });
        stdin.push('\n');
    }
    let out = ofctl(&[command, version], &stdin);
    let mut results = Vec::new();
    let mut cur: Option<OvsParse> = None;
    for line in out.lines() {
        if let Some(t) = line.strip_prefix("actions=") {
            cur = Some(OvsParse {
                text: t.to_owned(),
                differs: false,
            });
        } else if line.starts_with("bad ") {
            cur = Some(OvsParse {
                text: line.to_owned(),
                differs: false,
            });
        } else if line.is_empty() {
            if let Some(c) = cur.take() {
                results.push(c);
            }
        } else if let Some(c) = cur.as_mut() {
            c.differs = true;
        }
    }
    if let Some(c) = cur.take() {
        results.push(c);
    }
    assert_eq!(results.len(), inputs.len(), "ovs-ofctl output:\n{out}");
    results
}
