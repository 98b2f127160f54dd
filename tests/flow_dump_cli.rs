//! `flow-dump` against `ovs-ofctl` on a real bridge (private sandbox): for the codec's flow
//! corpus, `flow-dump dump-flows` prints what `ovs-ofctl dump-flows` prints (durations and ages
//! masked) in OpenFlow 1.3 and 1.5, with and without `--no-stats`, `--names`, sorting and a
//! filter; `flow-dump add-flows FILE` leaves the switch as `ovs-ofctl add-flows FILE` does;
//! del-flows, replace-flows and diff-flows agree with ovs-ofctl; errors are one clear line.
#![cfg(feature = "cli")]

mod conn_support;

use conn_support::{serial, BR};
use ovs_egress::sandbox::Sandbox;
use std::path::PathBuf;
use std::process::Output;

const VERSIONS: [&str; 2] = ["OpenFlow13", "OpenFlow15"];

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

/// A sandbox with the groups and meters the corpus refers to, two named patch ports (ofports 1
/// and 2) and two named tables, so that `--names` has something to print.
fn setup() -> Sandbox {
    let sb = conn_support::sandbox();
    for args in [
        vec![
            "-O",
            "OpenFlow13",
            "add-group",
            BR,
            "group_id=1,type=all,bucket=output:1",
        ],
        vec![
            "-O",
            "OpenFlow13",
            "add-group",
            BR,
            "group_id=2,type=select,bucket=output:1,bucket=output:2",
        ],
        vec![
            "-O",
            "OpenFlow13",
            "add-meter",
            BR,
            "meter=1,kbps,band=type=drop,rate=1000",
        ],
        vec![
            "-O",
            "OpenFlow13",
            "add-meter",
            BR,
            "meter=2,pktps,band=type=drop,rate=10",
        ],
        vec!["-O", "OpenFlow15", "mod-table", BR, "0", "name:Classifier"],
        vec!["-O", "OpenFlow15", "mod-table", BR, "3", "name:egress-3"],
    ] {
        sb.ofctl(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    }
    for (name, port) in [("p1", "1"), ("pod-2", "2")] {
        sb.vsctl(&[
            "add-port",
            BR,
            name,
            "--",
            "set",
            "interface",
            name,
            "type=patch",
            "options:peer=nowhere",
            &format!("ofport_request={port}"),
        ])
        .unwrap();
    }
    sb
}

fn flow_dump(sb: &Sandbox, args: &[&str]) -> Output {
    sb.command(env!("CARGO_BIN_EXE_flow-dump"))
        .args(args)
        .output()
        .expect("run flow-dump")
}

fn stdout_ok(what: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

fn ofctl(sb: &Sandbox, args: &[&str]) -> String {
    sb.ofctl(args)
        .unwrap_or_else(|e| panic!("ovs-ofctl {args:?}: {e}"))
}

/// Replaces the number after `key=` (up to the next `,` or `s,`) with `?`.
fn mask(text: &str) -> String {
    let mut s = text.to_owned();
    for key in ["duration=", "idle_age=", "hard_age="] {
        let mut out = String::with_capacity(s.len());
        let mut rest = s.as_str();
        while let Some(i) = rest.find(key) {
            out.push_str(&rest[..i + key.len()]);
            rest = &rest[i + key.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            out.push('?');
            rest = &rest[end..];
        }
        out.push_str(rest);
        s = out;
    }
    s
}

fn write_file(sb: &Sandbox, name: &str, lines: &[String]) -> PathBuf {
    let path = sb.dir().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write flow file");
    path
}

fn sorted_lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(str::to_owned).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dump_flows_prints_exactly_what_ovs_ofctl_prints_for_the_corpus() {
    let _serial = serial().await;
    let sb = setup();
    let lines = corpus();
    assert!(lines.len() >= 300);
    let file = write_file(&sb, "corpus.txt", &lines);
    let file = file.to_str().unwrap();
    let variants: [&[&str]; 9] = [
        &[],
        &["--no-stats"],
        &["--names"],
        &["--names", "--no-stats"],
        &["--sort"],
        &["--rsort=priority", "--no-stats"],
        &["--sort=reg0", "--rsort=in_port"],
        &["--no-names", "--sort=ip_src"],
        &["--names", "--sort=tcp_dst"],
    ];
    let filters: [&[&str]; 4] = [
        &["table=3"],
        &["in_port=p1"],
        &["ip,nw_dst=10.0.0.0/8"],
        &["cookie=0x0/0xffff,out_port=1"],
    ];
    for v in VERSIONS {
        ofctl(&sb, &["-O", v, "del-flows", BR]);
        ofctl(&sb, &["-O", v, "add-flows", BR, file]);
        let mut checked = 0;
        let runs = variants
            .iter()
            .map(|o| (o.to_vec(), Vec::new()))
            .chain(filters.iter().map(|f| (Vec::new(), f.to_vec())))
            .chain(
                filters
                    .iter()
                    .map(|f| (vec!["--names", "--no-stats"], f.to_vec())),
            );
        for (opts, filter) in runs {
            let mut args = vec!["-O", v];
            args.extend(&opts);
            args.push("dump-flows");
            args.push(BR);
            args.extend(&filter);
            let theirs = mask(&ofctl(&sb, &args));
            let ours = mask(&stdout_ok("flow-dump", &flow_dump(&sb, &args)));
            assert!(
                !theirs.is_empty() || !filter.is_empty(),
                "{args:?}: empty dump"
            );
            for (i, (a, b)) in theirs.lines().zip(ours.lines()).enumerate() {
                assert_eq!(b, a, "{args:?} line {i}");
            }
            assert_eq!(ours, theirs, "{args:?}");
            checked += theirs.lines().count();
        }
        assert!(checked > 8 * lines.len(), "{v}: {checked} lines compared");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_flows_installs_what_ovs_ofctl_add_flows_installs() {
    let _serial = serial().await;
    let sb = setup();
    let file = write_file(&sb, "corpus.txt", &corpus());
    let file = file.to_str().unwrap();
    for v in VERSIONS {
        let dump = || ofctl(&sb, &["-O", v, "--no-stats", "dump-flows", BR]);
        ofctl(&sb, &["-O", v, "del-flows", BR]);
        ofctl(&sb, &["-O", v, "add-flows", BR, file]);
        let theirs = dump();
        ofctl(&sb, &["-O", v, "del-flows", BR]);
        assert!(dump().is_empty());
        stdout_ok(
            "flow-dump add-flows",
            &flow_dump(&sb, &["-O", v, "add-flows", BR, file]),
        );
        let ours = dump();
        assert_eq!(sorted_lines(&ours), sorted_lines(&theirs), "{v}");
        assert!(ours.lines().count() >= 300);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn del_replace_and_diff_flows_agree_with_ovs_ofctl() {
    let _serial = serial().await;
    let sb = setup();
    let a: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "table={},priority={},reg0={i},actions=output:{}",
                i % 4,
                10 + i % 3,
                1 + i % 2
            )
        })
        .collect();
    // B: drops a few of A, changes the actions or cookie of others, adds new ones.
    let mut b: Vec<String> = a
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 7 != 0)
        .map(|(i, l)| match i % 5 {
            // (Not `load:`: in OpenFlow 1.5 ovs-ofctl prints a file's `load:` as written but
            // the switch's copy as `set_field:`, and reports every such flow as changed;
            // flow-dump compares what the switch would hold, see ofctl::diff.)
            1 => l.replace("actions=", "actions=set_field:0x5->reg2,"),
            2 => format!("cookie=0x{i:x},{l}"),
            3 => l.replace("actions=output:1", "actions=output:2"),
            _ => l.clone(),
        })
        .collect();
    b.extend((100..110).map(|i| format!("table=5,priority=7,reg1={i},actions=drop")));
    let fa = write_file(&sb, "a.txt", &a);
    let fb = write_file(&sb, "b.txt", &b);
    let (fa, fb) = (fa.to_str().unwrap(), fb.to_str().unwrap());
    let dels: Vec<String> = (0..40).step_by(3).map(|i| format!("reg0={i}")).collect();
    let fd = write_file(&sb, "d.txt", &dels);
    let fd = fd.to_str().unwrap();
    for v in VERSIONS {
        let dump = || sorted_lines(&ofctl(&sb, &["-O", v, "--no-stats", "dump-flows", BR]));
        let reset = || {
            ofctl(&sb, &["-O", v, "del-flows", BR]);
            ofctl(&sb, &["-O", v, "add-flows", BR, fa]);
        };

        reset();
        let theirs = sb.ofctl_output(&["-O", v, "diff-flows", BR, fb]).unwrap();
        let ours = flow_dump(&sb, &["-O", v, "diff-flows", BR, fb]);
        assert_eq!(theirs.status.code(), Some(2));
        assert_eq!(
            ours.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&ours.stderr)
        );
        let (t, o) = (
            String::from_utf8_lossy(&theirs.stdout),
            String::from_utf8_lossy(&ours.stdout),
        );
        assert!(t.lines().count() > 10);
        assert_eq!(sorted_lines(&o), sorted_lines(&t), "{v} diff-flows");

        // ovs-ofctl 3.1 refuses replace-flows of a file with table= here ("none of the usable
        // flow formats (NXM+table_id) is among the allowed flow formats" in 1.3/1.5, "switch
        // does not support any of the usable flow formats" in 1.0), so the oracle is what
        // replace-flows means: the switch holds exactly the file's flows, as ovs-ofctl
        // add-flows installs them.
        ofctl(&sb, &["-O", v, "del-flows", BR]);
        ofctl(&sb, &["-O", v, "add-flows", BR, fb]);
        let want = dump();
        reset();
        stdout_ok(
            "replace-flows",
            &flow_dump(&sb, &["-O", v, "replace-flows", BR, fb]),
        );
        assert_eq!(dump(), want, "{v} replace-flows");
        // Now equal: no differences, exit 0.
        let same = flow_dump(&sb, &["-O", v, "diff-flows", BR, fb]);
        assert_eq!(same.status.code(), Some(0));
        assert!(same.stdout.is_empty());

        reset();
        sb.ofctl_input(&["-O", v, "del-flows", BR, "-"], &(dels.join("\n") + "\n"))
            .unwrap();
        let want = dump();
        reset();
        stdout_ok(
            "del-flows",
            &flow_dump(&sb, &["-O", v, "del-flows", BR, fd]),
        );
        assert_eq!(dump(), want, "{v} del-flows FILE");
        stdout_ok("del-flows", &flow_dump(&sb, &["-O", v, "del-flows", BR]));
        assert!(dump().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_one_clear_line_and_nothing_is_applied() {
    let _serial = serial().await;
    let sb = setup();
    ofctl(&sb, &["add-flow", BR, "priority=1,actions=drop"]);
    let before = ofctl(&sb, &["--no-stats", "dump-flows", BR]);
    let bad_switch = vec![
        "priority=10,reg0=1,actions=output:1".to_owned(),
        "# a comment".to_owned(),
        "priority=11,reg0=2,actions=group:99".to_owned(),
        "priority=12,reg0=3,actions=output:2".to_owned(),
    ];
    let f = write_file(&sb, "bad.txt", &bad_switch);
    let f = f.to_str().unwrap();
    for v in VERSIONS {
        let out = flow_dump(&sb, &["-O", v, "add-flows", BR, f]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("{f}:3:")), "{err}");
        assert!(err.contains("priority=11,reg0=2,actions=group:99"), "{err}");
        // The same error ovs-ofctl reports for that flow.
        let theirs = sb
            .ofctl_output(&["-O", v, "--bundle", "add-flows", BR, f])
            .unwrap();
        let theirs = String::from_utf8_lossy(&theirs.stderr);
        assert!(theirs.contains("OFPBAC_BAD_OUT_GROUP"), "{theirs}");
        assert!(err.contains("OFPBAC_BAD_OUT_GROUP"), "{err}");
        assert_eq!(ofctl(&sb, &["--no-stats", "dump-flows", BR]), before);
    }

    let bad_text = write_file(
        &sb,
        "typo.txt",
        &[
            "priority=1,actions=drop".into(),
            "priority=2,nw_srcc=1.2.3.4,actions=drop".into(),
        ],
    );
    let out = flow_dump(&sb, &["add-flows", BR, bad_text.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("typo.txt:2:") && err.contains("nw_srcc"),
        "{err}"
    );
    assert_eq!(ofctl(&sb, &["--no-stats", "dump-flows", BR]), before);

    let out = flow_dump(&sb, &["dump-flows", "br-nope"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    let tried = sb.dir().join("br-nope.mgmt");
    assert!(err.contains(&tried.display().to_string()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_and_unix_targets_reach_the_same_bridge() {
    let _serial = serial().await;
    let sb = setup();
    // A passive OpenFlow TCP listener on the loopback of the sandbox's own namespace (both
    // tools run inside it through `Sandbox::command`).
    let ns = sb.netns().expect("sandbox namespace").to_owned();
    sandbox_run(&["ip", "netns", "exec", &ns, "ip", "link", "set", "lo", "up"]);
    sb.vsctl(&["set-controller", BR, "ptcp:16653:127.0.0.1"])
        .unwrap();
    ofctl(&sb, &["add-flow", BR, "priority=7,reg3=9,actions=drop"]);
    let tcp = "tcp:127.0.0.1:16653";
    let unix = sb.of_target(BR);
    let wait = std::time::Instant::now();
    let theirs = loop {
        match sb.ofctl(&["-O", "OpenFlow13", "--no-stats", "dump-flows", tcp]) {
            Ok(out) => break out,
            Err(e) if wait.elapsed() < std::time::Duration::from_secs(60) => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("ovs-ofctl over tcp: {e}"),
        }
    };
    assert!(
        theirs.ends_with("priority=7,reg3=0x9 actions=drop\n"),
        "{theirs}"
    );
    for target in [tcp, unix.as_str(), BR] {
        let ours = flow_dump(
            &sb,
            &["-O", "OpenFlow13", "--no-stats", "dump-flows", target],
        );
        assert_eq!(stdout_ok(target, &ours), theirs, "{target}");
    }
}

fn sandbox_run(args: &[&str]) {
    let st = std::process::Command::new(args[0])
        .args(&args[1..])
        .status()
        .expect("spawn");
    assert!(st.success(), "{args:?}");
}
