//! `ping` from inside a namespace: the command line and the parsing of its summary.
//!
//! Each ping carries a unique payload pattern (`ping -p`), so the external host's capture can
//! tell which echo requests belong to which ping even though SNAT rewrites the source address.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::TestbedError;

/// The outcome of one `ping` run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingStats {
    /// Echo requests sent.
    pub transmitted: u32,
    /// Echo replies received.
    pub received: u32,
    /// The 8-byte payload pattern this ping's requests carry (see
    /// [`super::ExternalHost::icmp_sources`]).
    pub marker: [u8; 8],
}

impl PingStats {
    /// Requests that got no reply.
    pub fn lost(&self) -> u32 {
        self.transmitted.saturating_sub(self.received)
    }
}

static NEXT_MARKER: AtomicU32 = AtomicU32::new(1);

/// A payload pattern unique to this process and call: pid then a counter, big endian.
pub(crate) fn new_marker() -> [u8; 8] {
    let pid = std::process::id().to_be_bytes();
    let n = NEXT_MARKER.fetch_add(1, Ordering::Relaxed).to_be_bytes();
    [pid[0], pid[1], pid[2], pid[3], n[0], n[1], n[2], n[3]]
}

/// The arguments of `ping` for `count` requests to `dst` every `interval`, carrying `marker`.
/// A reply counts if it arrives within 2 s of the last request (`-W 2`), so a lossy ping ends
/// soon instead of lingering for ping's default 10 s.
pub(crate) fn ping_args(
    dst: Ipv4Addr,
    count: u32,
    interval: Duration,
    marker: &[u8; 8],
) -> Vec<String> {
    let pattern: String = marker.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        "-n".into(),
        "-q".into(),
        "-c".into(),
        count.to_string(),
        "-i".into(),
        format!("{:.3}", interval.as_secs_f64()),
        "-W".into(),
        "2".into(),
        "-p".into(),
        pattern,
        dst.to_string(),
    ]
}

/// Reads `N packets transmitted, M received` from ping's summary.
pub(crate) fn parse_summary(output: &str, marker: [u8; 8]) -> Result<PingStats, TestbedError> {
    let unexpected = || TestbedError::UnexpectedOutput {
        what: "ping".into(),
        output: output.to_owned(),
    };
    let line = output
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .ok_or_else(unexpected)?;
    let mut fields = line.split(',').map(str::trim);
    let number = |field: Option<&str>, word: &str| -> Option<u32> {
        let (n, rest) = field?.split_once(' ')?;
        rest.starts_with(word).then(|| n.parse().ok()).flatten()
    };
    let transmitted = number(fields.next(), "packets transmitted").ok_or_else(unexpected)?;
    let received = number(fields.next(), "received").ok_or_else(unexpected)?;
    Ok(PingStats {
        transmitted,
        received,
        marker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iputils_summaries() {
        let ok = "PING 10.105.18.35 (10.105.18.35) 56(84) bytes of data.\n\n\
                  --- 10.105.18.35 ping statistics ---\n\
                  3 packets transmitted, 3 received, 0% packet loss, time 402ms\n\
                  rtt min/avg/max/mdev = 0.061/0.093/0.142/0.035 ms\n";
        let s = parse_summary(ok, [0; 8]).unwrap();
        assert_eq!((s.transmitted, s.received, s.lost()), (3, 3, 0));
        let lossy = "--- 10.105.18.35 ping statistics ---\n\
                     5 packets transmitted, 0 received, +5 errors, 100% packet loss, time 4080ms\n";
        let s = parse_summary(lossy, [0; 8]).unwrap();
        assert_eq!((s.transmitted, s.received, s.lost()), (5, 0, 5));
        assert!(parse_summary("ping: connect: Network is unreachable\n", [0; 8]).is_err());
    }

    #[test]
    fn markers_are_unique_and_args_carry_them() {
        let (a, b) = (new_marker(), new_marker());
        assert_ne!(a, b);
        let args = ping_args(Ipv4Addr::new(10, 0, 0, 1), 3, Duration::from_millis(50), &a);
        assert_eq!(args[5], "0.050");
        assert_eq!(args[9].len(), 16);
    }
}
