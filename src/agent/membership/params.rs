//! Gossip timing: the knobs, their defaults for a LAN, the bound on detection they imply and
//! the foca configuration built from them. `docs/failover.md` derives the defaults.
//!
//! Detection of a dead node (foca: SWIM with suspicion, no Lifeguard):
//! - a prober probes its peers round-robin, one per probe period `P`, so a given peer is probed
//!   by a given prober at least once every `peers × P` (in a 3-node cluster each survivor probes
//!   the dead node at least every 2 P, the two together about every P);
//! - a probe fails at the end of its period `P` (direct ping, then indirect pings through up to
//!   `k` helpers after the probe RTT `R`); the member becomes Suspect;
//! - it is declared Down `S` (suspicion) later unless it refuted;
//! - the Down update reaches the other members with the next gossip (`G`, periodic) or ping.
//!
//! Worst case, `peers × P + P + S + G`; with the defaults in a 3-node cluster
//! 200 + 100 + 300 + 50 = 650 ms, typically ≈ 400–500 ms. A false positive needs a live node
//! to miss a direct and every indirect probe in `P` *and* fail to refute within `S`: ≥ 400 ms
//! without processing gossip.

use std::num::{NonZeroU8, NonZeroUsize};
use std::time::Duration;

use super::auth::OVERHEAD;

/// Antrea's memberlist port, kept so firewall rules written for Antrea apply.
pub const DEFAULT_GOSSIP_PORT: u16 = 10351;
/// Default probe period.
pub const DEFAULT_PROBE_PERIOD: Duration = Duration::from_millis(100);
/// Default probe round-trip allowance before indirect probes start.
pub const DEFAULT_PROBE_RTT: Duration = Duration::from_millis(40);
/// Default suspicion timeout.
pub const DEFAULT_SUSPICION: Duration = Duration::from_millis(300);
/// Default number of helpers asked for indirect probes.
pub const DEFAULT_INDIRECT_PROBES: usize = 3;
/// Default time a handover waits for the other side before acting alone.
pub const DEFAULT_HANDOVER_TIMEOUT: Duration = Duration::from_millis(1000);
/// Default bound on the clock difference between nodes (datagram freshness).
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(30);
/// Largest datagram sent (fits a 1500-byte MTU with IP/UDP headers and room to spare).
pub const MAX_DATAGRAM: usize = 1400;

/// The gossip timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GossipParams {
    /// How often each node probes one peer.
    pub probe_period: Duration,
    /// How long a direct probe may take before helpers are asked (indirect probes).
    pub probe_rtt: Duration,
    /// How long a suspected node has to refute before it is declared down.
    pub suspicion: Duration,
    /// Helpers asked per failed direct probe.
    pub indirect_probes: usize,
    /// How long a handover waits for the other node's claim before acting alone.
    pub handover_timeout: Duration,
    /// Largest accepted difference between a datagram's timestamp and our clock.
    pub max_skew: Duration,
}

impl Default for GossipParams {
    fn default() -> Self {
        GossipParams {
            probe_period: DEFAULT_PROBE_PERIOD,
            probe_rtt: DEFAULT_PROBE_RTT,
            suspicion: DEFAULT_SUSPICION,
            indirect_probes: DEFAULT_INDIRECT_PROBES,
            handover_timeout: DEFAULT_HANDOVER_TIMEOUT,
            max_skew: DEFAULT_MAX_SKEW,
        }
    }
}

impl GossipParams {
    /// Checks the relations foca relies on; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.probe_rtt.is_zero() || self.probe_period.is_zero() || self.suspicion.is_zero() {
            return Err("gossip probe period, probe RTT and suspicion must be above 0".into());
        }
        if self.probe_rtt >= self.probe_period {
            return Err(format!(
                "gossipProbeRttMillis ({:?}) must be below gossipProbePeriodMillis ({:?})",
                self.probe_rtt, self.probe_period
            ));
        }
        if self.indirect_probes == 0 {
            return Err("gossipIndirectProbes must be at least 1".into());
        }
        Ok(())
    }

    /// Periodic gossip of pending updates (half a probe period).
    pub fn gossip_interval(&self) -> Duration {
        self.probe_period / 2
    }

    /// How often a known peer that is not a member is invited (announce), which bounds how long
    /// a healed partition stays split.
    pub fn rejoin_interval(&self) -> Duration {
        self.probe_period * 2
    }

    /// How long a starting agent waits for any peer before it reports membership as known
    /// (alone).
    pub fn join_timeout(&self) -> Duration {
        self.detection_bound(2).max(Duration::from_secs(1))
    }

    /// Worst-case time from a node's death to every survivor knowing (see the module docs),
    /// for a cluster where each node has `peers` peers.
    pub fn detection_bound(&self, peers: usize) -> Duration {
        let peers = u32::try_from(peers.max(1)).unwrap_or(u32::MAX);
        self.probe_period.saturating_mul(peers)
            + self.probe_period
            + self.suspicion
            + self.gossip_interval()
    }

    /// How many messages carry each update. A suspicion must still be travelling when the
    /// suspect can hear it — up to the end of the suspicion timeout — while each node sends
    /// about four messages per gossip interval (periodic gossip to up to 3 members, probes and
    /// acks): 4 × suspicion / gossip interval, at least 8 (memberlist's 4·log10(n+1) is sized
    /// for its 5× slower gossip).
    pub fn max_transmissions(&self) -> u8 {
        let rounds = self.suspicion.as_micros() / self.gossip_interval().as_micros().max(1);
        u8::try_from((rounds * 4).clamp(8, 255)).unwrap_or(u8::MAX)
    }

    /// The foca configuration.
    pub fn foca_config(&self) -> foca::Config {
        let mut c = foca::Config::simple();
        c.probe_period = self.probe_period;
        c.probe_rtt = self.probe_rtt;
        c.num_indirect_probes =
            NonZeroUsize::new(self.indirect_probes).unwrap_or(NonZeroUsize::MIN);
        c.max_transmissions = NonZeroU8::new(self.max_transmissions()).unwrap_or(NonZeroU8::MIN);
        c.suspect_to_down_after = self.suspicion;
        c.remove_down_after = Some(Duration::from_secs(3600));
        c.max_packet_size = NonZeroUsize::new(MAX_DATAGRAM - OVERHEAD).unwrap_or(NonZeroUsize::MIN);
        c.notify_down_members = true;
        // Re-invitations of absent peers are ours (`rejoin_interval`), also while alone.
        c.periodic_announce = None;
        c.periodic_announce_to_down_members = None;
        c.periodic_gossip = Some(foca::PeriodicParams {
            frequency: self.gossip_interval(),
            num_members: NonZeroUsize::new(3).unwrap_or(NonZeroUsize::MIN),
        });
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_sub_second() {
        let p = GossipParams::default();
        p.validate().unwrap();
        assert_eq!(p.detection_bound(2), Duration::from_millis(650));
        assert!(p.detection_bound(2) < Duration::from_secs(1));
        assert_eq!(p.join_timeout(), Duration::from_secs(1));
        assert_eq!(p.max_transmissions(), 24);
        let c = p.foca_config();
        assert!(c.probe_rtt < c.probe_period);
        assert_eq!(c.max_packet_size.get() + OVERHEAD, MAX_DATAGRAM);
    }

    #[test]
    fn invalid_relations_are_named() {
        let p = GossipParams {
            probe_rtt: Duration::from_millis(100),
            ..GossipParams::default()
        };
        assert!(p.validate().unwrap_err().contains("gossipProbeRttMillis"));
        let p = GossipParams {
            indirect_probes: 0,
            ..GossipParams::default()
        };
        assert!(p.validate().unwrap_err().contains("gossipIndirectProbes"));
    }
}
