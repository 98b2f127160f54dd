//! The flow corpus (`tests/corpus/flows.txt`, every match field and action a CNI pipeline
//! uses) against Open vSwitch:
//! 1. offline: each line is parsed, its flow-mod encoded and decoded by our codec, and printed;
//!    the text must equal what `ovs-ofctl -O OpenFlow13|OpenFlow15 parse-flow` prints for the
//!    same line (OVS encoding and decoding its own flow-mod).

mod codec_match_support;

use codec_match_support::*;
use ovs_egress::ofproto::codec::Version;

/// The corpus lines (comments and blank lines skipped).
fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/flows.txt"
    ))
    .expect("tests/corpus/flows.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn corpus_is_big_enough() {
    assert!(corpus().len() >= 300, "{} lines", corpus().len());
}

#[test]
fn corpus_text_matches_ovs_ofctl_parse_flow() {
    let lines = corpus();
    let mut all = Vec::new();
    for (name, v) in [("OpenFlow13", Version::Of13), ("OpenFlow15", Version::Of15)] {
        let (n, failures) = check_against_ovs(&lines, name, v);
        assert_eq!(n, lines.len());
        all.extend(failures);
    }
    assert!(
        all.is_empty(),
        "{} mismatches:\n{}",
        all.len(),
        all.join("\n")
    );
}
