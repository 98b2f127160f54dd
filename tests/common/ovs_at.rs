//! Reads Open vSwitch's autotest files (`tests/*.at`) from the Debian `openvswitch-source`
//! tarball at test time, so golden vectors come from OVS without copying them into the
//! repository.
//!
//! Only what the codec tests need of m4/autotest is implemented: `AT_SETUP([title])`,
//! `AT_CHECK([command], [status], [stdout], ...)` with `[...]` quoting, `dnl`, and the
//! quadrigraphs `@<:@`, `@:>@`, `@{:@`, `@}:@`, `@%:@`, `@S|@`, `@&t@`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian's `openvswitch-source` puts the OVS source tarball.
pub const OVS_TARBALL: &str = "/usr/src/openvswitch/openvswitch.tar.gz";

/// Extracts `openvswitch/tests/<name>` from the tarball into `dir` and returns its text.
pub fn read_at_file(dir: &Path, name: &str) -> String {
    let member = format!("openvswitch/tests/{name}");
    let status = Command::new("tar")
        .arg("xzf")
        .arg(OVS_TARBALL)
        .arg("-C")
        .arg(dir)
        .arg(&member)
        .status()
        .expect("run tar (is openvswitch-source installed?)");
    assert!(status.success(), "tar could not extract {member}");
    let path: PathBuf = dir.join(&member);
    std::fs::read_to_string(&path).expect("read extracted .at file")
}

/// One `AT_CHECK` inside an `AT_SETUP`.
#[derive(Clone, Debug)]
pub struct AtCheck {
    /// The `AT_SETUP` title.
    pub title: String,
    /// The shell command (one level of m4 quoting removed).
    pub command: String,
    /// The expected stdout as the command prints it (both quoting levels removed, `dnl`
    /// dropped, quadrigraphs replaced), if given literally.
    pub stdout: Option<String>,
    /// 1-based line of the `AT_CHECK`.
    pub line: usize,
}

/// Parses m4 macro arguments starting at the `(` at `i`; returns the raw (still quoted)
/// arguments and the index after `)`.
fn macro_args(s: &[u8], mut i: usize) -> Option<(Vec<String>, usize)> {
    if s.get(i) != Some(&b'(') {
        return None;
    }
    i += 1;
    let mut args = Vec::new();
    let mut cur = Vec::new();
    let mut depth = 0usize;
    // Skip leading whitespace of the first argument.
    while matches!(s.get(i), Some(b' ' | b'\n' | b'\t')) {
        i += 1;
    }
    loop {
        let c = *s.get(i)?;
        match c {
            b'[' => {
                depth += 1;
                cur.push(c);
            }
            b']' => {
                depth = depth.checked_sub(1)?;
                cur.push(c);
            }
            b',' if depth == 0 => {
                args.push(String::from_utf8_lossy(&cur).into_owned());
                cur.clear();
                i += 1;
                while matches!(s.get(i), Some(b' ' | b'\n' | b'\t')) {
                    i += 1;
                }
                continue;
            }
            b')' if depth == 0 => {
                args.push(String::from_utf8_lossy(&cur).into_owned());
                return Some((args, i + 1));
            }
            _ => cur.push(c),
        }
        i += 1;
    }
}

/// One m4 expansion pass: strips one level of `[...]` quotes; in unquoted text drops `dnl` up
/// to and including the end of line.
fn unquote_once(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'[' {
            if depth > 0 {
                out.push(c);
            }
            depth += 1;
        } else if c == b']' {
            depth = depth.saturating_sub(1);
            if depth > 0 {
                out.push(c);
            }
        } else if depth == 0 && b[i..].starts_with(b"dnl") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn quadrigraphs(s: &str) -> String {
    s.replace("@<:@", "[")
        .replace("@:>@", "]")
        .replace("@%:@", "#")
        .replace("@S|@", "$")
        .replace("@{:@", "(")
        .replace("@}:@", ")")
        .replace("@&t@", "")
}

/// Every `AT_CHECK` of an `.at` file, with its `AT_SETUP` title.
pub fn at_checks(text: &str) -> Vec<AtCheck> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut title = String::new();
    let mut i = 0;
    while let Some(off) = text[i..].find("AT_") {
        let j = i + off;
        if text[j..].starts_with("AT_SETUP(") {
            if let Some((args, end)) = macro_args(b, j + 8) {
                title = quadrigraphs(&unquote_once(&args[0]));
                i = end;
                continue;
            }
        } else if text[j..].starts_with("AT_CHECK(") {
            if let Some((args, end)) = macro_args(b, j + 8) {
                let line = text[..j].matches('\n').count() + 1;
                let command = unquote_once(&args[0]);
                let stdout = args.get(2).and_then(|a| {
                    let once = unquote_once(a);
                    (once.trim() != "expout" && once.trim() != "stdout" && once.trim() != "ignore")
                        .then(|| quadrigraphs(&unquote_once(&once)))
                });
                out.push(AtCheck {
                    title: title.clone(),
                    command,
                    stdout,
                    line,
                });
                i = end;
                continue;
            }
        }
        i = j + 3;
    }
    out
}

/// An `ovs-ofctl ofp-print HEX [VERBOSITY]` check.
#[derive(Clone, Debug)]
pub struct PrintCase {
    /// The `AT_SETUP` title.
    pub title: String,
    /// Line in the `.at` file.
    pub line: usize,
    /// The message bytes.
    pub bytes: Vec<u8>,
    /// The verbosity argument (ovs-ofctl's default is 2).
    pub verbosity: i32,
    /// The expected output.
    pub expected: String,
}

/// The first shell word of `s` (double-quoted with backslash-newline continuations,
/// single-quoted, or bare) and the rest.
fn shell_word(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let mut chars = s.char_indices();
    let (_, first) = chars.next()?;
    match first {
        '"' => {
            let end = s[1..].find('"')? + 1;
            Some((s[1..end].replace("\\\n", ""), &s[end + 1..]))
        }
        '\'' => {
            let end = s[1..].find('\'')? + 1;
            Some((s[1..end].to_owned(), &s[end + 1..]))
        }
        _ => {
            let end = s.find(char::is_whitespace).unwrap_or(s.len());
            Some((s[..end].to_owned(), &s[end..]))
        }
    }
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.len().is_multiple_of(2) || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
        .collect()
}

/// Every `ovs-ofctl [options] ofp-print HEX [VERBOSITY]` check with a literal expected output.
pub fn ofp_print_cases(text: &str) -> Vec<PrintCase> {
    let mut out = Vec::new();
    for c in at_checks(text) {
        let Some(pos) = c.command.find("ofp-print ") else {
            continue;
        };
        if !c.command.trim_start().starts_with("ovs-ofctl") {
            continue;
        }
        let Some((hex, rest)) = shell_word(&c.command[pos + "ofp-print ".len()..]) else {
            continue;
        };
        let Some(bytes) = parse_hex(&hex) else {
            continue;
        };
        let rest = rest.trim();
        let verbosity = if rest.is_empty() {
            2
        } else if let Ok(v) = rest.parse::<i32>() {
            v
        } else {
            continue; // pipes and redirections: not a plain print check
        };
        let Some(expected) = c.stdout else {
            continue;
        };
        out.push(PrintCase {
            title: c.title,
            line: c.line,
            bytes,
            verbosity,
            expected,
        });
    }
    out
}
