//! The sandbox starts a real ovsdb-server + ovs-vswitchd and stops them by pid.

use ovs_egress::sandbox::{pid_alive, Sandbox};

#[test]
fn sandbox_starts_bridge_and_stops_by_pid() {
    let sb = Sandbox::start().expect("start OVS sandbox");
    let (db, vs) = (sb.ovsdb_pid().unwrap(), sb.vswitchd_pid().unwrap());
    assert!(pid_alive(db) && pid_alive(vs));
    sb.add_bridge("br0").unwrap();
    sb.ofctl(&["add-flow", "br0", "priority=5,ip,actions=drop"])
        .unwrap();
    let dump = sb.ofctl(&["--no-stats", "dump-flows", "br0"]).unwrap();
    assert_eq!(dump, " priority=5,ip actions=drop\n");
    // The bridge's tap lives in the sandbox's own namespace, never in ours.
    let ns = sb
        .netns()
        .expect("start() runs in its own namespace")
        .to_owned();
    let links = |args: &[&str]| {
        let out = std::process::Command::new("ip")
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(links(&["-n", &ns, "link", "show", "br0"]).contains("br0"));
    let dir = sb.dir().to_path_buf();
    drop(sb);
    assert!(!pid_alive(db) && !pid_alive(vs));
    assert!(!dir.exists());
    assert!(!links(&["netns", "list"]).contains(&ns));
}
