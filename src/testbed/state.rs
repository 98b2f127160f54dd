//! The run directory's state file: every namespace, OVS sandbox and helper pid of a topology,
//! written *before* the thing is created, so teardown works by name and by pid even when the
//! process that built the topology crashed or exited on purpose (`testbed up`).
//!
//! Format, one record per line: `netns NAME`, `sandbox NETNS DIR`, `pid PID COMM`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::sandbox::{pid_alive, stop_pid, Sandbox};

use super::netns::{list_netns, netns_delete, netns_exists, netns_pids, pid_comm};
use super::TestbedError;

/// Name of the state file inside a run directory.
pub(crate) const STATE_FILE: &str = "testbed.state";

/// Programs that may run inside a topology's namespaces and that teardown stops when it finds
/// them there (anything else is reported, never killed).
const OWN_PROGRAMS: &[&str] = &[
    "ovs-vswitchd",
    "ovsdb-server",
    "testbed-probe",
    "tcpdump",
    "ping",
    "ovs-egress",
];

/// One thing a topology created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    Netns(String),
    Sandbox { netns: String, dir: PathBuf },
    Pid { pid: u32, comm: String },
}

/// Appends records to the state file.
#[derive(Debug)]
pub(crate) struct StateWriter {
    path: PathBuf,
    file: File,
}

impl StateWriter {
    /// Creates (truncates) the state file of `run_dir`.
    pub(crate) fn create(run_dir: &Path) -> Result<StateWriter, TestbedError> {
        let path = run_dir.join(STATE_FILE);
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| TestbedError::io(&path, e))?;
        Ok(StateWriter { path, file })
    }

    /// Appends one record (one unbuffered write, so a crash leaves whole lines).
    pub(crate) fn record(&mut self, record: &Record) -> Result<(), TestbedError> {
        let line = match record {
            Record::Netns(name) => format!("netns {name}\n"),
            Record::Sandbox { netns, dir } => format!("sandbox {netns} {}\n", dir.display()),
            Record::Pid { pid, comm } => format!("pid {pid} {comm}\n"),
        };
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| TestbedError::io(&self.path, e))
    }
}

/// Reads the records of `run_dir`'s state file; no file means no records.
pub(crate) fn read_records(run_dir: &Path) -> Result<Vec<Record>, TestbedError> {
    let path = run_dir.join(STATE_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(TestbedError::io(&path, e)),
    };
    Ok(text.lines().filter_map(parse_record).collect())
}

fn parse_record(line: &str) -> Option<Record> {
    let (kind, rest) = line.split_once(' ')?;
    match kind {
        "netns" => Some(Record::Netns(rest.to_owned())),
        "sandbox" => {
            let (netns, dir) = rest.split_once(' ')?;
            Some(Record::Sandbox {
                netns: netns.to_owned(),
                dir: PathBuf::from(dir),
            })
        }
        "pid" => {
            let (pid, comm) = rest.split_once(' ')?;
            Some(Record::Pid {
                pid: pid.parse().ok()?,
                comm: comm.to_owned(),
            })
        }
        _ => None,
    }
}

/// What a teardown removed.
#[derive(Debug, Clone, Default)]
pub struct TeardownReport {
    /// Pids that were running and were stopped.
    pub stopped_pids: Vec<u32>,
    /// Namespaces that existed and were deleted.
    pub deleted_netns: Vec<String>,
    /// Wall time of the teardown.
    pub elapsed: Duration,
}

/// Stops a pid if it is still the program recorded for it (a reused pid is left alone).
fn stop_if_ours(pid: u32, comm: &str, report: &mut TeardownReport) {
    if pid_alive(pid) && pid_comm(pid).as_deref() == Some(comm) && stop_pid(pid).is_ok() {
        report.stopped_pids.push(pid);
    }
}

/// Stops our programs still running inside `ns`, then deletes it.
fn delete_netns(ns: &str, report: &mut TeardownReport) -> Result<(), TestbedError> {
    if !netns_exists(ns) {
        return Ok(());
    }
    for pid in netns_pids(ns) {
        if let Some(comm) = pid_comm(pid) {
            if OWN_PROGRAMS.contains(&comm.as_str()) {
                stop_if_ours(pid, &comm, report);
            }
        }
    }
    netns_delete(ns)?;
    report.deleted_netns.push(ns.to_owned());
    Ok(())
}

/// Tears down everything the records name, in reverse order of creation: helper pids, OVS
/// daemons (by pidfile), programs left in the namespaces, then the namespaces. Checks that
/// nothing is left.
pub(crate) fn teardown_records(records: &[Record]) -> Result<TeardownReport, TestbedError> {
    let start = Instant::now();
    let mut report = TeardownReport::default();
    for r in records.iter().rev() {
        if let Record::Pid { pid, comm } = r {
            stop_if_ours(*pid, comm, &mut report);
        }
    }
    for r in records.iter().rev() {
        if let Record::Sandbox { netns, dir } = r {
            let sb = Sandbox::adopt(dir, Some(netns));
            report.stopped_pids.extend(sb.ovsdb_pid());
            report.stopped_pids.extend(sb.vswitchd_pid());
            drop(sb);
        }
    }
    let mut first_error = None;
    for r in records.iter().rev() {
        if let Record::Netns(ns) = r {
            if let Err(e) = delete_netns(ns, &mut report) {
                first_error.get_or_insert(e);
            }
        }
    }
    let mut left = Vec::new();
    for r in records {
        match r {
            Record::Netns(ns) if netns_exists(ns) => left.push(format!("netns {ns}")),
            Record::Pid { pid, comm }
                if pid_alive(*pid) && pid_comm(*pid).as_deref() == Some(comm) =>
            {
                left.push(format!("pid {pid} ({comm})"))
            }
            _ => {}
        }
    }
    for pid in &report.stopped_pids {
        if pid_alive(*pid) {
            left.push(format!("pid {pid}"));
        }
    }
    report.elapsed = start.elapsed();
    if !left.is_empty() {
        return Err(TestbedError::Leftovers(left.join(", ")));
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// Tears down the topology whose run directory is `run_dir` (by its state file), then removes
/// the directory. A directory without a state file is simply removed; a missing one is fine.
pub fn teardown_run_dir(run_dir: &Path) -> Result<TeardownReport, TestbedError> {
    let records = read_records(run_dir)?;
    let report = teardown_records(&records)?;
    match fs::remove_dir_all(run_dir) {
        Ok(()) => Ok(report),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(report),
        Err(e) => Err(TestbedError::io(run_dir, e)),
    }
}

/// True if `name` is a namespace name the testbed creates for `prefix`:
/// `<prefix>-ul`, `<prefix>-ext`, `<prefix>-n<k>` or `<prefix>-p<k><letter>`.
pub(crate) fn is_topology_netns(prefix: &str, name: &str) -> bool {
    let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    fn digits_then(s: &str) -> Option<&str> {
        let tail = s.trim_start_matches(|c: char| c.is_ascii_digit());
        (tail.len() < s.len()).then_some(tail)
    }
    match rest {
        "ul" | "ext" => true,
        _ => {
            if let Some(n) = rest.strip_prefix('n') {
                digits_then(n) == Some("")
            } else if let Some(p) = rest.strip_prefix('p') {
                matches!(digits_then(p), Some(t) if t.len() == 1 && t.chars().all(|c| c.is_ascii_lowercase()))
            } else {
                false
            }
        }
    }
}

/// Tears down a topology by name when its state file is gone: stops our programs inside every
/// namespace named like one of `prefix`'s and deletes those namespaces. Uses the state file in
/// `run_root/prefix` first if there is one.
pub fn teardown_prefix(run_root: &Path, prefix: &str) -> Result<TeardownReport, TestbedError> {
    let start = Instant::now();
    let mut report = teardown_run_dir(&run_root.join(prefix))?;
    let mut names: Vec<String> = list_netns()
        .into_iter()
        .filter(|n| is_topology_netns(prefix, n))
        .collect();
    names.sort();
    for ns in &names {
        delete_netns(ns, &mut report)?;
    }
    let left: Vec<&String> = names.iter().filter(|n| netns_exists(n)).collect();
    report.elapsed = start.elapsed();
    if left.is_empty() {
        Ok(report)
    } else {
        Err(TestbedError::Leftovers(format!("{left:?}")))
    }
}

/// A human-readable account of a topology from its state file: which namespaces exist and which
/// daemons and helpers are alive.
pub fn status_run_dir(run_dir: &Path) -> Result<String, TestbedError> {
    let records = read_records(run_dir)?;
    if records.is_empty() {
        return Ok(format!("no topology in {}\n", run_dir.display()));
    }
    let mut out = format!("topology in {}\n", run_dir.display());
    let up = |b: bool| if b { "up" } else { "GONE" };
    for r in &records {
        let line = match r {
            Record::Netns(ns) => format!("  netns   {ns:<24} {}\n", up(netns_exists(ns))),
            Record::Sandbox { netns, dir } => {
                let sb = Sandbox::adopt(dir, Some(netns));
                let state = format!(
                    "ovsdb-server {} ovs-vswitchd {}",
                    sb.ovsdb_pid().map_or("GONE".into(), |p| format!("pid {p}")),
                    sb.vswitchd_pid()
                        .map_or("GONE".into(), |p| format!("pid {p}")),
                );
                let _ = sb.release();
                format!("  ovs     {netns:<24} {state}  ({})\n", dir.display())
            }
            Record::Pid { pid, comm } => {
                let alive = pid_alive(*pid) && pid_comm(*pid).as_deref() == Some(comm.as_str());
                format!("  process {comm:<24} pid {pid} {}\n", up(alive))
            }
        };
        out.push_str(&line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let records = vec![
            Record::Netns("tb1-ul".into()),
            Record::Sandbox {
                netns: "tb1-n1".into(),
                dir: dir.path().join("n 1"),
            },
            Record::Pid {
                pid: 42,
                comm: "tcpdump".into(),
            },
        ];
        let mut w = StateWriter::create(dir.path()).unwrap();
        for r in &records {
            w.record(r).unwrap();
        }
        assert_eq!(read_records(dir.path()).unwrap(), records);
        assert!(read_records(&dir.path().join("missing"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn topology_netns_names() {
        for ok in ["tb-ul", "tb-ext", "tb-n1", "tb-n12", "tb-p1a", "tb-p10z"] {
            assert!(is_topology_netns("tb", ok), "{ok}");
        }
        for bad in [
            "tb", "tb-", "tb-n", "tb-n1x", "tb-p1", "tb-pa", "tb-p1ab", "tbx-ul", "tb-ul2",
            "other-ul",
        ] {
            assert!(!is_topology_netns("tb", bad), "{bad}");
        }
        assert!(!is_topology_netns("tb", "tb-1-ul"));
    }
}
