//! How a local pod's traffic to outside the cluster leaves: the pipeline's reading of the egress
//! domain's [`PodEgress`].
//!
//! **Fail closed.** A pod selected by an Egress never leaves with any address but that Egress's
//! IP: when the IP cannot be used right now — not allocated (pool exhausted, IP outside the pool,
//! unsupported spec), no eligible node owns it, the owner's transport address is unknown, or
//! there is no egress id — the pod's external traffic is **dropped** ([`EgressChoice::Blocked`]),
//! and the Egress status says why (`IPAllocated=False` / `IPAssigned=False`). Falling back to the
//! node IP would silently hand the pod an address that firewalls may trust differently (the
//! reason the Egress exists). Antrea behaves the same way for an unowned IP in effect — its
//! source nodes tunnel to the egress IP itself, which nobody answers — although it falls back
//! to the node IP when no IP is allocated at all; we do not. Pod-to-pod traffic and
//! destinations in `exceptCIDRs` / node IPs are unaffected (they never use an Egress IP).

use std::net::IpAddr;

use crate::egress::egress_id::EgressId;
use crate::egress::state::PodEgress;

/// The egress decision for one local pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EgressChoice {
    /// Not selected by any Egress: SNAT to the node IP.
    Default,
    /// Selected, and this node owns the IP: SNAT here.
    Local {
        /// The egress IP.
        ip: IpAddr,
        /// Its egress id.
        id: EgressId,
    },
    /// Selected, another node owns the IP: tunnel to it with the egress id as VNI.
    Remote {
        /// The egress IP.
        ip: IpAddr,
        /// Its egress id (the tunnel key).
        id: EgressId,
        /// The owner's transport address (the tunnel destination).
        owner_ip: IpAddr,
    },
    /// Selected, but the IP cannot be used now: drop (fail closed). Carries the egress IP when
    /// there is one (only that family is blocked; without one every family is).
    Blocked(BlockReason, Option<IpAddr>),
}

/// Why a selected pod's external traffic is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockReason {
    /// The Egress has no IP (allocation failed).
    NoIp,
    /// No eligible node owns the IP.
    NoOwner,
    /// The owner has no known transport address.
    NoOwnerAddress,
    /// The IP has no egress id (more than 2^24-1 egress IPs).
    NoEgressId,
}

impl EgressChoice {
    /// The choice for a pod with this egress view (`None`: not selected).
    pub fn of(pod: Option<&PodEgress>) -> EgressChoice {
        let Some(p) = pod else {
            return EgressChoice::Default;
        };
        let Some(ip) = p.egress_ip else {
            return EgressChoice::Blocked(BlockReason::NoIp, None);
        };
        if p.owner.is_none() {
            return EgressChoice::Blocked(BlockReason::NoOwner, Some(ip));
        }
        let Some(id) = p.egress_id else {
            return EgressChoice::Blocked(BlockReason::NoEgressId, Some(ip));
        };
        if p.owned_here {
            return EgressChoice::Local { ip, id };
        }
        match p.owner_ip {
            Some(owner_ip) => EgressChoice::Remote { ip, id, owner_ip },
            None => EgressChoice::Blocked(BlockReason::NoOwnerAddress, Some(ip)),
        }
    }

    /// The egress IP, if the choice knows one.
    pub fn egress_ip(&self) -> Option<IpAddr> {
        match self {
            EgressChoice::Local { ip, .. } | EgressChoice::Remote { ip, .. } => Some(*ip),
            EgressChoice::Blocked(_, ip) => *ip,
            EgressChoice::Default => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::egress::model::PodKey;

    fn view() -> PodEgress {
        PodEgress {
            pod: PodKey::new("default", "p"),
            pod_ips: vec!["192.168.1.2".parse().unwrap()],
            egress: "e".into(),
            egress_ip: Some("10.0.0.100".parse().unwrap()),
            egress_id: EgressId::new(100),
            owner: Some("n2".into()),
            owner_ip: Some("10.0.0.2".parse().unwrap()),
            owned_here: false,
        }
    }

    #[test]
    fn every_missing_piece_blocks() {
        assert_eq!(EgressChoice::of(None), EgressChoice::Default);
        let v = view();
        assert!(matches!(
            EgressChoice::of(Some(&v)),
            EgressChoice::Remote { .. }
        ));
        let local = PodEgress {
            owned_here: true,
            ..v.clone()
        };
        assert!(matches!(
            EgressChoice::of(Some(&local)),
            EgressChoice::Local { .. }
        ));
        let cases = [
            (
                PodEgress {
                    egress_ip: None,
                    ..v.clone()
                },
                BlockReason::NoIp,
            ),
            (
                PodEgress {
                    owner: None,
                    ..v.clone()
                },
                BlockReason::NoOwner,
            ),
            (
                PodEgress {
                    egress_id: None,
                    ..v.clone()
                },
                BlockReason::NoEgressId,
            ),
            (
                PodEgress {
                    owner_ip: None,
                    ..v.clone()
                },
                BlockReason::NoOwnerAddress,
            ),
        ];
        for (p, why) in cases {
            let ip = p.egress_ip;
            assert_eq!(EgressChoice::of(Some(&p)), EgressChoice::Blocked(why, ip));
        }
    }
}
