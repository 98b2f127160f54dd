//! Shared helpers for the OVSDB integration tests: a sandbox inside a network namespace the
//! test creates (so internal ports' tap devices never appear in the root namespace), and
//! condition waits with timeouts (no fixed sleeps).
#![allow(dead_code)]

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ovs_egress::ovsdb::vswitch::{InterfaceEvent, InterfaceWatch};
use ovs_egress::sandbox::{run, Sandbox};

/// Generous timeout for a loaded 2-core box.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Deletes the namespace on drop.
pub struct Netns(pub String);

impl Netns {
    pub fn create(tag: &str) -> Netns {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "ovsdb-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        run(Command::new("ip").args(["netns", "add", &name])).expect("ip netns add");
        let ns = Netns(name);
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    pub fn exec(&self, args: &[&str]) -> String {
        run(Command::new("ip")
            .args(["netns", "exec", &self.0])
            .args(args))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// A sandbox in its own namespace; drops daemons, then the namespace, then the directory.
pub struct NsSandbox {
    pub sb: Sandbox,
    pub ns: Netns,
    _dir: tempfile::TempDir,
}

impl NsSandbox {
    pub fn start(tag: &str) -> NsSandbox {
        let ns = Netns::create(tag);
        let dir = tempfile::Builder::new()
            .prefix("ovsdb-sb-")
            .tempdir()
            .expect("tempdir");
        let sb = Sandbox::start_in(dir.path(), Some(&ns.0)).expect("start sandbox");
        NsSandbox { sb, ns, _dir: dir }
    }

    pub fn vsctl(&self, args: &[&str]) -> String {
        self.sb
            .vsctl(args)
            .unwrap_or_else(|e| panic!("ovs-vsctl {args:?}: {e}"))
    }

    /// `ovs-vsctl get TABLE RECORD COLUMN`, trimmed.
    pub fn get(&self, table: &str, record: &str, column: &str) -> String {
        self.vsctl(&["get", table, record, column])
            .trim()
            .to_owned()
    }
}

/// Reads events from the watch until `pred` holds for one of them; returns that event.
pub async fn wait_event(
    watch: &mut InterfaceWatch,
    what: &str,
    mut pred: impl FnMut(&InterfaceEvent) -> bool,
) -> InterfaceEvent {
    let fut = async {
        loop {
            let batch = watch
                .next()
                .await
                .expect("watch ended")
                .expect("watch error");
            if let Some(ev) = batch.into_iter().find(|e| pred(e)) {
                return ev;
            }
        }
    };
    tokio::time::timeout(TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}
