//! A continuous ping from a pod (every 10 ms, one timestamped line per reply), stopped with
//! SIGINT, and the gaps measured from its replies. Measurements only: the tests print them.

use std::fs::{self, File};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ovs_egress::testbed::{PingStats, Topology};

/// The nominal interval between two requests.
pub const INTERVAL: Duration = Duration::from_millis(10);

static NEXT: AtomicU32 = AtomicU32::new(1);

/// Seconds since the epoch, as ping's `-D` prints them.
pub fn wall() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A running `ping -D -i 0.01` inside a pod's namespace.
pub struct Pinger {
    pub pod: String,
    child: Option<Child>,
    out: PathBuf,
    marker: [u8; 8],
}

/// What one stopped ping saw.
#[derive(Debug, Clone)]
pub struct PingRun {
    pub pod: String,
    pub transmitted: u32,
    /// (wall time, sequence number) of every reply, in arrival order.
    pub replies: Vec<(f64, u32)>,
    pub marker: [u8; 8],
}

impl Pinger {
    /// Starts pinging the external host from `pod`.
    pub fn start(topo: &Topology, pod: &str) -> Pinger {
        let p = topo.pod(pod).unwrap();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id().to_be_bytes();
        let c = n.to_be_bytes();
        // "F" marks these markers apart from the testbed's own (pid first there).
        let marker = [b'F', pid[1], pid[2], pid[3], c[0], c[1], c[2], c[3]];
        let pattern: String = marker.iter().map(|b| format!("{b:02x}")).collect();
        let out = topo.run_dir().join(format!("ping-{pod}-{n}.out"));
        let file = File::create(&out).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", p.netns(), "ping", "-n", "-D", "-i"])
            .arg(format!("{:.3}", INTERVAL.as_secs_f64()))
            .args(["-W", "1", "-p", &pattern])
            .arg(topo.ext().ip().to_string())
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Pinger {
            pod: pod.to_string(),
            child: Some(child),
            out,
            marker,
        }
    }

    /// The replies so far.
    pub fn replies(&self) -> Vec<(f64, u32)> {
        parse_replies(&fs::read_to_string(&self.out).unwrap_or_default())
    }

    /// Whether a reply arrived after `t` (wall seconds).
    pub fn answered_after(&self, t: f64) -> bool {
        self.replies().iter().any(|(ts, _)| *ts > t)
    }

    /// Stops the ping (SIGINT: it prints its summary) and returns what it saw.
    pub fn stop(mut self) -> PingRun {
        let mut child = self.child.take().unwrap();
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let _ = child.wait();
        let text = fs::read_to_string(&self.out).unwrap_or_default();
        let transmitted = text
            .lines()
            .find_map(|l| l.split_once(" packets transmitted"))
            .and_then(|(n, _)| n.trim().parse().ok())
            .unwrap_or(0);
        PingRun {
            pod: self.pod.clone(),
            transmitted,
            replies: parse_replies(&text),
            marker: self.marker,
        }
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn parse_replies(text: &str) -> Vec<(f64, u32)> {
    text.lines()
        .filter(|l| l.contains(" bytes from "))
        .filter_map(|l| {
            let ts = l.strip_prefix('[')?.split_once(']')?.0.parse().ok()?;
            let seq = l
                .split("icmp_seq=")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            Some((ts, seq))
        })
        .collect()
}

impl PingRun {
    /// Requests lost between the first and the last reply (the ends of the run do not count).
    pub fn lost(&self) -> u32 {
        let mut seqs: Vec<u32> = self.replies.iter().map(|r| r.1).collect();
        seqs.sort_unstable();
        seqs.dedup();
        match (seqs.first(), seqs.last()) {
            (Some(a), Some(b)) => (b - a + 1) - u32::try_from(seqs.len()).unwrap(),
            _ => 0,
        }
    }

    /// The longest time without a reply between two replies, and the requests lost in it.
    pub fn longest_gap(&self) -> (Duration, u32) {
        let mut r = self.replies.clone();
        r.sort_by_key(|x| x.1);
        r.windows(2)
            .map(|w| {
                let d = Duration::from_secs_f64((w[1].0 - w[0].0).max(0.0));
                (d, w[1].1 - w[0].1 - 1)
            })
            .max()
            .unwrap_or_default()
    }

    /// For the external host's capture: the ping as [`PingStats`] (same marker).
    pub fn stats(&self) -> PingStats {
        PingStats {
            transmitted: self.transmitted,
            received: u32::try_from(self.replies.len()).unwrap(),
            marker: self.marker,
        }
    }

    /// One line for the report.
    pub fn summary(&self) -> String {
        let (gap, in_gap) = self.longest_gap();
        format!(
            "{}: {} sent, {} answered, {} lost; longest gap {} ms ({} requests)",
            self.pod,
            self.transmitted,
            self.replies.len(),
            self.lost(),
            gap.as_millis(),
            in_gap
        )
    }
}
