//! Private Open vSwitch instances for tests, benchmarks and the testbed.
//!
//! A [`Sandbox`] owns one `ovsdb-server` and one `ovs-vswitchd` (userspace datapath) running in a
//! directory of their own, optionally inside a network namespace. Both daemons are started with
//! pidfiles and stopped by pid when the sandbox is dropped, so a failing test leaves nothing
//! behind. Nothing here touches the system's own Open vSwitch (`/var/run/openvswitch`).
//!
//! The daemons are the real Debian binaries (`openvswitch-switch`); this module only spawns them
//! and runs the stock CLIs (`ovs-vsctl`, `ovs-ofctl`, `ovs-appctl`) against them, which tests use
//! as oracles.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Why a sandbox could not be started or a CLI call failed.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Spawning a program failed (usually: Open vSwitch is not installed).
    #[error("cannot run {program}: {source} (is openvswitch-switch installed?)")]
    Spawn {
        /// The program that could not be started.
        program: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A program ran but exited non-zero.
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        /// The command line, for the message.
        command: String,
        /// Exit status as text.
        status: String,
        /// What the program printed on stderr.
        stderr: String,
    },
    /// A file the sandbox needs could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A condition did not become true in time.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
}

/// Where the Open_vSwitch schema lives on Debian.
pub const VSWITCH_SCHEMA: &str = "/usr/share/openvswitch/vswitch.ovsschema";

/// How long to wait for a daemon to do something before calling it stuck. Generous: on a loaded
/// 2-core machine ovs-vswitchd can take many seconds to reconfigure.
pub const WAIT: Duration = Duration::from_secs(120);

/// One private ovsdb-server + ovs-vswitchd.
#[derive(Debug)]
pub struct Sandbox {
    dir: PathBuf,
    netns: Option<String>,
    remove_dir: bool,
    /// A network namespace created by [`Sandbox::start`] and deleted on drop.
    owned_netns: Option<String>,
    ovsdb_pid: Option<u32>,
    vswitchd_pid: Option<u32>,
}

impl Sandbox {
    /// Starts both daemons in a new temporary directory and a new network namespace of their
    /// own (`ovssb-<pid>-<n>`), so the bridges' tap devices never appear in the caller's
    /// namespace. The directory and the namespace are removed on drop.
    pub fn start() -> Result<Sandbox, SandboxError> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ns = format!("ovssb-{}-{n}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &ns]))?;
        let guard = NetnsGuard(Some(ns.clone()));
        let dir = tempfile::Builder::new()
            .prefix("ovs-sb-")
            .tempdir_in(std::env::temp_dir())
            .map_err(|source| SandboxError::Io {
                path: std::env::temp_dir(),
                source,
            })?
            .keep();
        let started = Sandbox::start_in(&dir, Some(&ns));
        if started.is_err() {
            let _ = fs::remove_dir_all(&dir);
        }
        let mut sb = started?;
        sb.remove_dir = true;
        sb.owned_netns = guard.disarm();
        Ok(sb)
    }

    /// Starts both daemons with `dir` as run, log and database directory, inside network
    /// namespace `netns` if given (the namespace must exist). The directory is created if needed
    /// and kept on drop.
    pub fn start_in(dir: &Path, netns: Option<&str>) -> Result<Sandbox, SandboxError> {
        fs::create_dir_all(dir).map_err(|source| SandboxError::Io {
            path: dir.into(),
            source,
        })?;
        let mut sb = Sandbox {
            dir: dir.to_path_buf(),
            netns: netns.map(str::to_owned),
            remove_dir: false,
            owned_netns: None,
            ovsdb_pid: None,
            vswitchd_pid: None,
        };
        let db = sb.dir.join("conf.db");
        if !db.exists() {
            run(Command::new("ovsdb-tool")
                .arg("create")
                .arg(&db)
                .arg(VSWITCH_SCHEMA))?;
        }
        sb.start_ovsdb()?;
        sb.vsctl_no_wait(&["init"])?;
        sb.start_vswitchd()?;
        Ok(sb)
    }

    /// Takes over daemons that an earlier `start_in(dir, netns)` left running (see
    /// [`Sandbox::release`]): reads their pidfiles in `dir`. A daemon whose pidfile is missing or
    /// whose process is gone (or is not that daemon any more) is treated as not running. Dropping
    /// the returned sandbox stops the adopted daemons by pid, which is how the testbed CLI tears
    /// down a topology built by an earlier process.
    pub fn adopt(dir: &Path, netns: Option<&str>) -> Sandbox {
        let live = |pidfile: &str, comm: &str| {
            let pid = read_pidfile(&dir.join(pidfile)).ok()?;
            let name = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            (pid_alive(pid) && name.trim() == comm).then_some(pid)
        };
        Sandbox {
            dir: dir.to_path_buf(),
            netns: netns.map(str::to_owned),
            remove_dir: false,
            owned_netns: None,
            ovsdb_pid: live("ovsdb-server.pid", "ovsdb-server"),
            vswitchd_pid: live("ovs-vswitchd.pid", "ovs-vswitchd"),
        }
    }

    /// Forgets the daemons without stopping them, so they outlive this process (a testbed built
    /// by `testbed up` keeps running). Returns their pids (ovsdb-server, ovs-vswitchd); use
    /// [`Sandbox::adopt`] to take them over again.
    pub fn release(mut self) -> (Option<u32>, Option<u32>) {
        self.remove_dir = false;
        self.owned_netns = None;
        (self.ovsdb_pid.take(), self.vswitchd_pid.take())
    }

    /// The run directory: holds `db.sock`, `<bridge>.mgmt`, pidfiles, logs and control sockets.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The network namespace the daemons run in, if any.
    pub fn netns(&self) -> Option<&str> {
        self.netns.as_deref()
    }

    /// Path of the OVSDB unix socket.
    pub fn db_sock(&self) -> PathBuf {
        self.dir.join("db.sock")
    }

    /// The OVSDB target in ovs-vsctl syntax (`unix:PATH`).
    pub fn db_target(&self) -> String {
        format!("unix:{}", self.db_sock().display())
    }

    /// Path of a bridge's OpenFlow management socket.
    pub fn mgmt_sock(&self, bridge: &str) -> PathBuf {
        self.dir.join(format!("{bridge}.mgmt"))
    }

    /// The OpenFlow target of a bridge in ovs-ofctl syntax (`unix:PATH`).
    pub fn of_target(&self, bridge: &str) -> String {
        format!("unix:{}", self.mgmt_sock(bridge).display())
    }

    /// Pid of ovs-vswitchd, if running.
    pub fn vswitchd_pid(&self) -> Option<u32> {
        self.vswitchd_pid
    }

    /// Pid of ovsdb-server, if running.
    pub fn ovsdb_pid(&self) -> Option<u32> {
        self.ovsdb_pid
    }

    /// A command that runs `program` inside the sandbox's namespace with `OVS_RUNDIR` and friends
    /// pointing at the sandbox directory.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, program]);
                c
            }
            None => Command::new(program),
        };
        cmd.env("OVS_RUNDIR", &self.dir)
            .env("OVS_LOGDIR", &self.dir)
            .env("OVS_DBDIR", &self.dir)
            .env("OVS_SYSCONFDIR", &self.dir);
        cmd
    }

    /// Runs `ovs-vsctl --db=... ARGS` (waiting for ovs-vswitchd to apply the change) and returns
    /// its stdout.
    pub fn vsctl(&self, args: &[&str]) -> Result<String, SandboxError> {
        let mut cmd = self.command("ovs-vsctl");
        cmd.arg(format!("--db={}", self.db_target()))
            .arg(format!("--timeout={}", WAIT.as_secs()))
            .args(args);
        run(&mut cmd)
    }

    /// Runs `ovs-vsctl --no-wait ...`, which does not wait for ovs-vswitchd.
    pub fn vsctl_no_wait(&self, args: &[&str]) -> Result<String, SandboxError> {
        let mut cmd = self.command("ovs-vsctl");
        cmd.arg(format!("--db={}", self.db_target()))
            .arg("--no-wait")
            .args(args);
        run(&mut cmd)
    }

    /// Runs `ovs-ofctl ARGS` with `OVS_RUNDIR` set, so a bare bridge name resolves to this
    /// sandbox's management socket.
    pub fn ofctl(&self, args: &[&str]) -> Result<String, SandboxError> {
        let mut cmd = self.command("ovs-ofctl");
        cmd.args(args);
        run(&mut cmd)
    }

    /// Runs `ovs-ofctl ARGS` and returns the whole output, failing or not.
    pub fn ofctl_output(&self, args: &[&str]) -> Result<Output, SandboxError> {
        let mut cmd = self.command("ovs-ofctl");
        cmd.args(args);
        cmd.output().map_err(|source| SandboxError::Spawn {
            program: "ovs-ofctl".into(),
            source,
        })
    }

    /// Runs `ovs-ofctl ARGS` with `input` on its stdin (for `add-flows BRIDGE -` and friends,
    /// e.g. a whole `--bundle` of flows in one call) and returns its stdout.
    pub fn ofctl_input(&self, args: &[&str], input: &str) -> Result<String, SandboxError> {
        let mut cmd = self.command("ovs-ofctl");
        cmd.args(args);
        run_with_input(&mut cmd, input)
    }

    /// Runs `ovs-appctl -t <vswitchd control socket> ARGS`.
    pub fn appctl(&self, args: &[&str]) -> Result<String, SandboxError> {
        let mut cmd = self.command("ovs-appctl");
        cmd.arg("-t").arg(self.dir.join("vswitchd.ctl")).args(args);
        run(&mut cmd)
    }

    /// Adds a userspace-datapath bridge with `fail_mode=secure` and OpenFlow 1.0, 1.3 and 1.5
    /// enabled, and waits until its management socket exists.
    pub fn add_bridge(&self, name: &str) -> Result<(), SandboxError> {
        self.vsctl(&[
            "--may-exist",
            "add-br",
            name,
            "--",
            "set",
            "bridge",
            name,
            "datapath_type=netdev",
            "fail_mode=secure",
            "protocols=OpenFlow10,OpenFlow13,OpenFlow15",
        ])?;
        let sock = self.mgmt_sock(name);
        wait_for(WAIT, &format!("{}", sock.display()), || sock.exists())
    }

    /// Kills ovs-vswitchd with SIGKILL (a crash) and waits until it is gone.
    pub fn kill_vswitchd(&mut self) -> Result<(), SandboxError> {
        if let Some(pid) = self.vswitchd_pid.take() {
            signal(pid, "KILL");
            wait_gone(pid, Duration::from_secs(10))?;
        }
        Ok(())
    }

    /// Stops ovs-vswitchd gracefully (SIGTERM), waits, and starts it again.
    pub fn restart_vswitchd(&mut self) -> Result<(), SandboxError> {
        self.stop_vswitchd()?;
        self.start_vswitchd()
    }

    /// Stops ovs-vswitchd with SIGTERM (SIGKILL after 10 s).
    pub fn stop_vswitchd(&mut self) -> Result<(), SandboxError> {
        if let Some(pid) = self.vswitchd_pid.take() {
            stop_pid(pid)?;
        }
        Ok(())
    }

    /// Stops ovsdb-server with SIGTERM (SIGKILL after 10 s).
    pub fn stop_ovsdb(&mut self) -> Result<(), SandboxError> {
        if let Some(pid) = self.ovsdb_pid.take() {
            stop_pid(pid)?;
        }
        Ok(())
    }

    /// Stops ovsdb-server and starts it again on the same database.
    pub fn restart_ovsdb(&mut self) -> Result<(), SandboxError> {
        self.stop_ovsdb()?;
        self.start_ovsdb()
    }

    /// Starts ovsdb-server (if not running) and waits for its socket.
    pub fn start_ovsdb(&mut self) -> Result<(), SandboxError> {
        if self.ovsdb_pid.is_some() {
            return Ok(());
        }
        let d = &self.dir;
        let pidfile = d.join("ovsdb-server.pid");
        let _ = fs::remove_file(&pidfile);
        let mut cmd = self.command("ovsdb-server");
        cmd.arg(d.join("conf.db"))
            .arg(format!("--remote=punix:{}", d.join("db.sock").display()))
            .arg(format!("--pidfile={}", pidfile.display()))
            .arg(format!(
                "--unixctl={}",
                d.join("ovsdb-server.ctl").display()
            ))
            .arg(format!(
                "--log-file={}",
                d.join("ovsdb-server.log").display()
            ))
            .args(["--detach", "--no-chdir"]);
        run(&mut cmd)?;
        self.ovsdb_pid = Some(read_pidfile(&pidfile)?);
        let sock = self.db_sock();
        wait_for(WAIT, "ovsdb-server socket", || sock.exists())
    }

    /// Starts ovs-vswitchd (if not running).
    pub fn start_vswitchd(&mut self) -> Result<(), SandboxError> {
        if self.vswitchd_pid.is_some() {
            return Ok(());
        }
        let d = &self.dir;
        let pidfile = d.join("ovs-vswitchd.pid");
        let _ = fs::remove_file(&pidfile);
        let mut cmd = self.command("ovs-vswitchd");
        cmd.arg(self.db_target())
            .arg(format!("--pidfile={}", pidfile.display()))
            .arg(format!("--unixctl={}", d.join("vswitchd.ctl").display()))
            .arg(format!(
                "--log-file={}",
                d.join("ovs-vswitchd.log").display()
            ))
            .args(["-vconsole:off", "--detach", "--no-chdir"]);
        run(&mut cmd)?;
        self.vswitchd_pid = Some(read_pidfile(&pidfile)?);
        Ok(())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(pid) = self.vswitchd_pid.take() {
            // `exit --cleanup` makes ovs-vswitchd delete its datapath devices (the bridges'
            // taps), which SIGTERM leaves behind in the namespace it runs in.
            let mut exit = self.command("ovs-appctl");
            exit.arg("-t").arg(self.dir.join("vswitchd.ctl")).args([
                "--timeout=5",
                "exit",
                "--cleanup",
            ]);
            let _ = exit.output();
            let _ = stop_pid(pid);
        }
        if let Some(pid) = self.ovsdb_pid.take() {
            let _ = stop_pid(pid);
        }
        if self.remove_dir {
            let _ = fs::remove_dir_all(&self.dir);
        }
        drop(NetnsGuard(self.owned_netns.take()));
    }
}

/// Deletes a network namespace on drop unless disarmed.
struct NetnsGuard(Option<String>);

impl NetnsGuard {
    fn disarm(mut self) -> Option<String> {
        self.0.take()
    }
}

impl Drop for NetnsGuard {
    fn drop(&mut self) {
        if let Some(ns) = self.0.take() {
            let _ = Command::new("ip").args(["netns", "delete", &ns]).output();
        }
    }
}

/// Runs a command and returns its stdout, or a [`SandboxError::Failed`] with its stderr.
pub fn run(cmd: &mut Command) -> Result<String, SandboxError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .map_err(|source| SandboxError::Spawn { program, source })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let command = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Err(SandboxError::Failed {
            command,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// Runs a command with `input` written to its stdin and returns its stdout, or a
/// [`SandboxError::Failed`] with its stderr.
pub fn run_with_input(cmd: &mut Command, input: &str) -> Result<String, SandboxError> {
    use std::io::Write;
    use std::process::Stdio;
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| SandboxError::Spawn {
            program: program.clone(),
            source,
        })?;
    // Write from a thread so a child that fills its stdout pipe before reading all of its
    // input cannot deadlock us.
    let writer = child.stdin.take().map(|mut stdin| {
        let input = input.to_owned();
        std::thread::spawn(move || stdin.write_all(input.as_bytes()))
    });
    let out = child
        .wait_with_output()
        .map_err(|source| SandboxError::Spawn { program, source })?;
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let command = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Err(SandboxError::Failed {
            command,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// Polls `cond` every few milliseconds until it holds or `timeout` passes.
pub fn wait_for(
    timeout: Duration,
    what: &str,
    mut cond: impl FnMut() -> bool,
) -> Result<(), SandboxError> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        if cond() {
            return Ok(());
        }
        if start.elapsed() > timeout {
            return Err(SandboxError::Timeout(timeout, what.to_owned()));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// True while `pid` exists and is not a zombie (a killed daemon can linger as a zombie until
/// PID 1 reaps it, see testbed notes pitfall 6).
pub fn pid_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) => !status
            .lines()
            .any(|l| l.starts_with("State:") && (l.contains('Z') || l.contains('X'))),
        Err(_) => false,
    }
}

fn read_pidfile(path: &Path) -> Result<u32, SandboxError> {
    let text = fs::read_to_string(path).map_err(|source| SandboxError::Io {
        path: path.into(),
        source,
    })?;
    text.trim().parse().map_err(|_| SandboxError::Io {
        path: path.into(),
        source: io::Error::new(io::ErrorKind::InvalidData, "pidfile holds no pid"),
    })
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .output();
}

fn wait_gone(pid: u32, timeout: Duration) -> Result<(), SandboxError> {
    wait_for(timeout, &format!("pid {pid} to exit"), || !pid_alive(pid))
}

/// Sends SIGTERM, waits up to 10 s, then SIGKILL.
pub fn stop_pid(pid: u32) -> Result<(), SandboxError> {
    if !pid_alive(pid) {
        return Ok(());
    }
    signal(pid, "TERM");
    if wait_gone(pid, Duration::from_secs(10)).is_ok() {
        return Ok(());
    }
    signal(pid, "KILL");
    wait_gone(pid, Duration::from_secs(10))
}
