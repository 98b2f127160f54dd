//! Network namespaces and links through iproute2 (`ip`), by name.
//!
//! Every command that configures something runs *inside* a namespace of the topology
//! (`ip -n NS ...` or `ip netns exec NS ...`); veth pairs are created with both ends placed in
//! namespaces at creation, so nothing ever appears in the root namespace.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::sandbox::run;

use super::TestbedError;

/// Where iproute2 keeps named namespaces.
const NETNS_RUN_DIR: &str = "/run/netns";

/// Runs `ip ARGS`.
pub(crate) fn ip(args: &[&str]) -> Result<String, TestbedError> {
    Ok(run(Command::new("ip").args(args))?)
}

/// Runs `ip -n NS ARGS`.
pub(crate) fn ip_in(ns: &str, args: &[&str]) -> Result<String, TestbedError> {
    Ok(run(Command::new("ip").args(["-n", ns]).args(args))?)
}

/// A command that runs `program` inside namespace `ns` (`ip netns exec` execs the program, so
/// the spawned child's pid is the program's pid, notes pitfall 4).
pub(crate) fn exec_in(ns: &str, program: &str) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, program]);
    cmd
}

/// Runs `program ARGS` inside `ns` and returns its stdout.
pub(crate) fn run_in(ns: &str, program: &str, args: &[&str]) -> Result<String, TestbedError> {
    Ok(run(exec_in(ns, program).args(args))?)
}

/// Sets sysctls inside `ns` (one `sysctl` call for all of them).
pub(crate) fn sysctl_in(ns: &str, settings: &[&str]) -> Result<(), TestbedError> {
    let mut args = vec!["-q", "-w"];
    args.extend_from_slice(settings);
    run_in(ns, "sysctl", &args).map(drop)
}

/// Turns TX checksum offload and segmentation offload off on `dev` in `ns` (pitfall 2).
pub(crate) fn offload_off(ns: &str, dev: &str) -> Result<(), TestbedError> {
    run_in(
        ns,
        "ethtool",
        &["-K", dev, "tx", "off", "tso", "off", "gso", "off"],
    )
    .map(drop)
}

/// True if a named namespace `name` exists.
pub fn netns_exists(name: &str) -> bool {
    Path::new(NETNS_RUN_DIR).join(name).exists()
}

/// Creates namespace `name` (with `lo` up). Fails if it exists.
pub(crate) fn netns_add(name: &str) -> Result<(), TestbedError> {
    ip(&["netns", "add", name])?;
    ip_in(name, &["link", "set", "lo", "up"]).map(drop)
}

/// Deletes namespace `name` if it exists (its veths go with it).
pub(crate) fn netns_delete(name: &str) -> Result<(), TestbedError> {
    if !netns_exists(name) {
        return Ok(());
    }
    ip(&["netns", "delete", name]).map(drop)
}

/// Pids of the processes running in namespace `name` (`ip netns pids`); empty if it is gone.
pub fn netns_pids(name: &str) -> Vec<u32> {
    if !netns_exists(name) {
        return Vec::new();
    }
    ip(&["netns", "pids", name])
        .map(|out| {
            out.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Names of all named namespaces on the machine.
pub fn list_netns() -> Vec<String> {
    fs::read_dir(NETNS_RUN_DIR)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Creates a veth pair with end `a` in namespace `ns_a` and end `b` in `ns_b`, both created
/// directly there.
pub(crate) fn veth(ns_a: &str, a: &str, ns_b: &str, b: &str) -> Result<(), TestbedError> {
    ip_in(
        ns_a,
        &[
            "link", "add", a, "type", "veth", "peer", "name", b, "netns", ns_b,
        ],
    )
    .map(drop)
}

/// The short program name of a live process (`/proc/PID/comm`), `None` if it is gone.
pub(crate) fn pid_comm(pid: u32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim().to_owned())
}
