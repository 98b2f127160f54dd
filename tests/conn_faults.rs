//! Faults against a real ovs-vswitchd: restarts, a crash in the middle of a bundle, a
//! connection cut in the middle of a bundle, a hung switch. Each test checks the typed error,
//! the connection-state watch, and (with ovs-ofctl) that no partial flow set was applied.

mod conn_support;

use conn_support::*;
use ovs_egress::ofproto::codec::message::multipart::FlowStatsRequest;
use ovs_egress::ofproto::codec::message::Message;
use ovs_egress::ofproto::codec::Version;
use ovs_egress::ofproto::conn::{ConnError, ConnState, ProtocolError, Switch, Target};
use ovs_egress::ofproto::text::TableNames;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

const WAIT: Duration = Duration::from_secs(60);

/// Waits until the state watch shows a disconnection.
async fn wait_down(sw: &Switch) -> ConnError {
    let mut st = sw.state();
    let wait = async {
        loop {
            if let ConnState::Disconnected { error, .. } = &*st.borrow_and_update() {
                return error.clone();
            }
            st.changed().await.unwrap();
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .expect("disconnection seen")
}

fn flows(n: u32, base: u32) -> Vec<Message> {
    (0..n)
        .map(|i| Message::FlowMod(flow(0, 10, 0, base + i, 1)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_is_reported_through_the_watch_and_configuration_is_replayed() {
    let _serial = serial().await;
    let mut sb = sandbox();
    let sw = connect(&sb, &[Version::Of13, Version::Of15]).await;
    let mut names = TableNames::new();
    names.insert(3, "Egress");
    sw.set_table_names(names.clone()).await.unwrap();
    let mut sub = sw.subscribe().await.unwrap();
    sw.bundle(flows(100, 0)).await.unwrap();
    assert_eq!(sw.state().borrow().generation(), 1);

    blocking(|| sb.restart_vswitchd()).unwrap();
    let v = sw.wait_connected(Some(1), WAIT).await.unwrap();
    assert_eq!(v, Version::Of15);
    assert_eq!(sw.state().borrow().generation(), 2);
    // A restarted vswitchd has no flows: the caller replays them.
    assert!(sw
        .dump_flows(FlowStatsRequest::default())
        .await
        .unwrap()
        .is_empty());
    sw.bundle(flows(100, 0)).await.unwrap();
    assert_eq!(ofctl_flows(&sb, Version::Of13, &[]).len(), 100);
    // The driver replayed the table names and the asynchronous-message setting.
    assert_eq!(sw.table_names().await.unwrap(), names);
    blocking(|| {
        sb.vsctl(&[
            "add-port",
            BR,
            "px",
            "--",
            "set",
            "interface",
            "px",
            "type=patch",
            "options:peer=none",
        ])
    })
    .unwrap();
    let ps = tokio::time::timeout(WAIT, sub.next_port_status())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ps.port.name.to_string_lossy(), "px");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vswitchd_killed_during_a_bundle_gives_a_typed_error_and_no_flows() {
    let _serial = serial().await;
    let mut sb = sandbox();
    let sw = connect(&sb, &[Version::Of15]).await;
    let mut b = sw.open_bundle(3).await.unwrap();
    b.add_all(flows(20_000, 0)).await.unwrap();
    blocking(|| sb.kill_vswitchd()).unwrap();
    let e = b.commit().await.unwrap_err();
    assert!(matches!(e, ConnError::Disconnected), "{e:?}");
    let down = wait_down(&sw).await;
    assert!(
        matches!(
            down,
            ConnError::Disconnected | ConnError::Transport(_) | ConnError::Connect { .. }
        ),
        "{down:?}"
    );
    // Requests while down fail at once with the same typed error.
    assert!(matches!(sw.barrier().await, Err(ConnError::Disconnected)));
    blocking(|| sb.start_vswitchd()).unwrap();
    sw.wait_connected(Some(1), WAIT).await.unwrap();
    assert!(ofctl_flows(&sb, Version::Of15, &[]).is_empty());
}

/// A unix-socket relay between the switch handle and ovs-vswitchd that the test can cut.
struct Relay {
    path: PathBuf,
    forwarded: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(dir: &std::path::Path, upstream: PathBuf) -> Relay {
        let path = dir.join("relay.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let forwarded = Arc::new(AtomicUsize::new(0));
        let count = forwarded.clone();
        let task = tokio::spawn(async move {
            let (mut down, _) = listener.accept().await.unwrap();
            let mut up = UnixStream::connect(&upstream).await.unwrap();
            let (mut dr, mut dw) = down.split();
            let (mut ur, mut uw) = up.split();
            let to_switch = async {
                let mut buf = vec![0u8; 65536];
                loop {
                    let n = dr.read(&mut buf).await.unwrap_or(0);
                    if n == 0 || uw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    count.fetch_add(n, Ordering::SeqCst);
                }
            };
            let to_client = async {
                let _ = tokio::io::copy(&mut ur, &mut dw).await;
            };
            tokio::join!(to_switch, to_client);
        });
        Relay {
            path,
            forwarded,
            task,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cut_during_a_bundle_leaves_the_flow_table_untouched() {
    let _serial = serial().await;
    let sb = sandbox();
    blocking(|| {
        sb.ofctl_input(
            &["-O", "OpenFlow13", "add-flows", BR, "-"],
            "priority=1,reg0=1,actions=output:1\npriority=2,reg0=2,actions=drop\n",
        )
    })
    .unwrap();
    let before = ofctl_flows(&sb, Version::Of13, &[]);
    assert_eq!(before.len(), 2);

    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), sb.mgmt_sock(BR)).await;
    let mut o = opts(&[Version::Of13]);
    o.reconnect = false;
    let sw = Switch::connect(Target::Unix(relay.path.clone()), o)
        .await
        .unwrap();
    let mut b = sw.open_bundle(3).await.unwrap();
    b.add_all(flows(5_000, 100)).await.unwrap();
    // Let the adds reach ovs-vswitchd (5000 bundle-adds are well over 400 kB), then cut.
    let reached = async {
        while relay.forwarded.load(Ordering::SeqCst) < 400_000 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(WAIT, reached)
        .await
        .expect("adds forwarded");
    relay.task.abort();
    let e = b.commit().await.unwrap_err();
    assert!(matches!(e, ConnError::Disconnected), "{e:?}");
    wait_down(&sw).await;
    // ovs-vswitchd discarded the open bundle with the connection.
    let after = async {
        loop {
            let f = ofctl_flows(&sb, Version::Of13, &[]);
            if f == before {
                return;
            }
            assert!(f.len() <= 2, "partial bundle applied: {} flows", f.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(WAIT, after).await.unwrap();
}

/// Resumes a stopped process when dropped, so the sandbox can stop it.
struct Resume(i32);

impl Drop for Resume {
    fn drop(&mut self) {
        // SAFETY: kill(2) on a pid this test's sandbox started.
        unsafe {
            libc::kill(self.0, libc::SIGCONT);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_switch_fails_the_echo_probe_and_is_reconnected_when_it_recovers() {
    let _serial = serial().await;
    let sb = sandbox();
    let mut o = opts(&[Version::Of13]);
    o.probe_interval = Some(Duration::from_secs(1));
    let sw = Switch::connect(Target::Unix(sb.mgmt_sock(BR)), o)
        .await
        .unwrap();
    sw.bundle(flows(10, 0)).await.unwrap();
    // Idle for several probe intervals: echo replies keep the connection up.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(sw.state().borrow().generation(), 1);
    assert!(sw.version().is_some());

    // A second handle without keepalive and with a short request timeout.
    let mut quick = opts(&[Version::Of13]);
    quick.probe_interval = None;
    quick.request_timeout = Duration::from_millis(500);
    let sw2 = Switch::connect(Target::Unix(sb.mgmt_sock(BR)), quick)
        .await
        .unwrap();

    let pid = sb.vswitchd_pid().unwrap() as i32;
    // SAFETY: kill(2) on the sandbox's own ovs-vswitchd.
    unsafe {
        libc::kill(pid, libc::SIGSTOP);
    }
    let resume = Resume(pid);
    let e = sw2.barrier().await.unwrap_err();
    assert!(matches!(e, ConnError::Timeout { .. }), "{e:?}");
    let e = wait_down(&sw).await;
    assert!(
        matches!(e, ConnError::Protocol(ProtocolError::EchoTimeout(_))),
        "{e:?}"
    );
    drop(resume);
    sw.wait_connected(Some(1), WAIT).await.unwrap();
    // Same process: the flows are still there.
    assert_eq!(
        sw.dump_flows(FlowStatsRequest::default())
            .await
            .unwrap()
            .len(),
        10
    );
}
