//! Authentication of gossip datagrams: every datagram carries an HMAC-SHA256 tag over its whole
//! content under a shared cluster key, and a header that lets the receiver reject replays.
//!
//! Wire layout (integers big-endian), [`HEADER_LEN`] + payload + [`TAG_LEN`] bytes:
//!
//! ```text
//!  0   2  magic "OE"
//!  2   1  version (1)
//!  3   1  key id            which key of the key file made the tag
//!  4   8  sender boot id    unix µs when the sender's membership started (grows per restart)
//! 12   8  sequence number   per boot id, starts at 1, +1 per datagram
//! 20   8  sent at           sender's wall clock, unix ms
//! 28   n  payload           one foca message
//! 28+n 32 tag               HMAC-SHA256(key, bytes 0 .. 28+n)
//! ```
//!
//! Acceptance, in order (each failure is a typed [`AuthError`], counted by the caller):
//! 1. shape: length, magic, version, a known key id — else the datagram is *unauthenticated*;
//! 2. the tag, compared in constant time (`hmac`'s `verify_slice`);
//! 3. freshness: `|receiver clock − sent at| ≤ max skew` (cluster clocks are NTP-synchronised;
//!    the skew bound is configurable) — bounds how long a captured datagram stays usable;
//! 4. replay, per source address: a boot id older than the newest seen from that address is a
//!    replay of an old incarnation; within the newest boot id a sliding window of
//!    [`REPLAY_WINDOW`] sequence numbers rejects duplicates and anything older than the window
//!    (reordering within the window is accepted, as IPsec's anti-replay window does).
//!
//! Replay state changes only after the tag verified, so forged datagrams cannot poison it, and
//! its size is bounded ([`MAX_SOURCES`]). What this does not give: confidentiality (gossip
//! carries node names, addresses and egress IP claims in clear) and protection of a receiver
//! that restarted against replays made within the skew bound of its own restart.

use std::collections::HashMap;
use std::net::SocketAddr;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::keys::GossipKeys;

/// Datagram magic.
pub const MAGIC: [u8; 2] = *b"OE";
/// Wire version.
pub const VERSION: u8 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 28;
/// HMAC-SHA256 tag length.
pub const TAG_LEN: usize = 32;
/// Bytes a sealed datagram adds to its payload.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Sequence numbers remembered per sender (reordering tolerated within this many).
pub const REPLAY_WINDOW: u64 = 128;
/// Senders whose replay state is kept (the least recently seen is forgotten beyond this).
pub const MAX_SOURCES: usize = 4096;

type HmacSha256 = Hmac<Sha256>;

/// Why a datagram was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Shorter than a header and a tag.
    #[error("datagram of {0} bytes is too short to be authenticated")]
    TooShort(usize),
    /// Not our magic (not an ovs-egress gossip datagram).
    #[error("not an ovs-egress gossip datagram")]
    BadMagic,
    /// A wire version this agent does not speak.
    #[error("unsupported gossip version {0}")]
    UnsupportedVersion(u8),
    /// Tagged with a key id this agent does not have.
    #[error("unknown key id {0}")]
    UnknownKey(u8),
    /// The tag does not match (wrong key, or the datagram was altered).
    #[error("bad authentication tag")]
    BadTag,
    /// The sender's clock and ours differ by more than the allowed skew.
    #[error("sent {skew_ms} ms away from our clock (more than the allowed skew)")]
    Stale {
        /// `sent at − now`, in ms.
        skew_ms: i64,
    },
    /// A datagram of an older boot of the sender.
    #[error("replay of an earlier incarnation of the sender")]
    OldBoot,
    /// A sequence number seen before.
    #[error("duplicate datagram (replay)")]
    Duplicate,
    /// A sequence number older than the replay window.
    #[error("datagram older than the replay window")]
    TooOld,
}

impl AuthError {
    /// A short label for metrics (`reason="..."`).
    pub fn label(self) -> &'static str {
        match self {
            AuthError::TooShort(_) | AuthError::BadMagic | AuthError::UnsupportedVersion(_) => {
                "malformed"
            }
            AuthError::UnknownKey(_) => "unknown_key",
            AuthError::BadTag => "bad_tag",
            AuthError::Stale { .. } => "stale",
            AuthError::OldBoot | AuthError::Duplicate | AuthError::TooOld => "replay",
        }
    }
}

/// Seals outgoing datagrams with the primary key.
#[derive(Clone)]
pub struct Sealer {
    key_id: u8,
    mac: HmacSha256,
    boot: u64,
    seq: u64,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("key_id", &self.key_id)
            .field("boot", &self.boot)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

fn mac_for(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `GossipKeys` guarantees a non-empty one.
    match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => HmacSha256::new(&Default::default()),
    }
}

impl Sealer {
    /// A sealer for a sender whose membership started at `boot` (unix µs).
    pub fn new(keys: &GossipKeys, boot: u64) -> Sealer {
        let (key_id, secret) = keys.primary();
        Sealer {
            key_id,
            mac: mac_for(secret),
            boot,
            seq: 0,
        }
    }

    /// The boot id in every datagram.
    pub fn boot(&self) -> u64 {
        self.boot
    }

    /// Writes the sealed form of `payload` into `out` (cleared first).
    pub fn seal(&mut self, payload: &[u8], now_ms: u64, out: &mut Vec<u8>) {
        self.seq += 1;
        out.clear();
        out.reserve(payload.len() + OVERHEAD);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(self.key_id);
        out.extend_from_slice(&self.boot.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&now_ms.to_be_bytes());
        out.extend_from_slice(payload);
        let mut mac = self.mac.clone();
        mac.update(out);
        out.extend_from_slice(&mac.finalize().into_bytes());
    }
}

/// Anti-replay state of one sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    boot: u64,
    highest: u64,
    /// Bit i set: `highest − i` was seen.
    seen: u128,
    last_seen_ms: u64,
}

impl Window {
    /// Checks `(boot, seq)` without changing anything.
    fn check(&self, boot: u64, seq: u64) -> Result<(), AuthError> {
        if boot < self.boot {
            return Err(AuthError::OldBoot);
        }
        if boot > self.boot || seq > self.highest {
            return Ok(());
        }
        let back = self.highest - seq;
        if back >= REPLAY_WINDOW {
            return Err(AuthError::TooOld);
        }
        if self.seen & (1u128 << back) != 0 {
            return Err(AuthError::Duplicate);
        }
        Ok(())
    }

    /// Records an accepted `(boot, seq)` (after [`Window::check`] passed).
    fn record(&mut self, boot: u64, seq: u64, now_ms: u64) {
        self.last_seen_ms = now_ms;
        if boot > self.boot {
            *self = Window {
                boot,
                highest: seq,
                seen: 1,
                last_seen_ms: now_ms,
            };
        } else if seq > self.highest {
            let shift = seq - self.highest;
            self.seen = if shift >= REPLAY_WINDOW {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            self.highest = seq;
        } else {
            self.seen |= 1u128 << (self.highest - seq);
        }
    }
}

/// A datagram that passed every check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened<'a> {
    /// The foca message.
    pub payload: &'a [u8],
    /// The sender's boot id.
    pub boot: u64,
    /// Its sequence number.
    pub seq: u64,
}

/// Checks incoming datagrams against every configured key and the replay state.
pub struct Opener {
    keys: Vec<(u8, HmacSha256)>,
    max_skew_ms: u64,
    windows: HashMap<SocketAddr, Window>,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field(
                "key_ids",
                &self.keys.iter().map(|k| k.0).collect::<Vec<_>>(),
            )
            .field("max_skew_ms", &self.max_skew_ms)
            .field("senders", &self.windows.len())
            .finish()
    }
}

fn be_u64(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(s) = bytes.get(at..at + 8) {
        b.copy_from_slice(s);
    }
    u64::from_be_bytes(b)
}

impl Opener {
    /// An opener accepting every key of `keys`, with datagrams at most `max_skew_ms` away from
    /// the receiver's clock.
    pub fn new(keys: &GossipKeys, max_skew_ms: u64) -> Opener {
        Opener {
            keys: keys.iter().map(|(id, s)| (id, mac_for(s))).collect(),
            max_skew_ms,
            windows: HashMap::new(),
        }
    }

    /// Authenticates a datagram from `from` received at `now_ms` (unix ms) and returns its
    /// payload; the replay state of `from` advances only on success.
    pub fn open<'a>(
        &mut self,
        from: SocketAddr,
        datagram: &'a [u8],
        now_ms: u64,
    ) -> Result<Opened<'a>, AuthError> {
        let len = datagram.len();
        if len < OVERHEAD {
            return Err(AuthError::TooShort(len));
        }
        if datagram[..2] != MAGIC {
            return Err(AuthError::BadMagic);
        }
        if datagram[2] != VERSION {
            return Err(AuthError::UnsupportedVersion(datagram[2]));
        }
        let key_id = datagram[3];
        let Some((_, mac)) = self.keys.iter().find(|(id, _)| *id == key_id) else {
            return Err(AuthError::UnknownKey(key_id));
        };
        let (signed, tag) = datagram.split_at(len - TAG_LEN);
        let mut mac = mac.clone();
        mac.update(signed);
        mac.verify_slice(tag).map_err(|_| AuthError::BadTag)?;
        let boot = be_u64(datagram, 4);
        let seq = be_u64(datagram, 12);
        let sent_ms = be_u64(datagram, 20);
        let skew = i128::from(sent_ms) - i128::from(now_ms);
        if skew.unsigned_abs() > u128::from(self.max_skew_ms) {
            return Err(AuthError::Stale {
                skew_ms: i64::try_from(skew).unwrap_or(i64::MAX),
            });
        }
        match self.windows.get_mut(&from) {
            Some(w) => {
                w.check(boot, seq)?;
                w.record(boot, seq, now_ms);
            }
            None => {
                self.forget_oldest_if_full();
                self.windows.insert(
                    from,
                    Window {
                        boot,
                        highest: seq,
                        seen: 1,
                        last_seen_ms: now_ms,
                    },
                );
            }
        }
        Ok(Opened {
            payload: &signed[HEADER_LEN..],
            boot,
            seq,
        })
    }

    fn forget_oldest_if_full(&mut self) {
        if self.windows.len() < MAX_SOURCES {
            return;
        }
        let oldest = self
            .windows
            .iter()
            .min_by_key(|(_, w)| w.last_seen_ms)
            .map(|(a, _)| *a);
        if let Some(a) = oldest {
            self.windows.remove(&a);
        }
    }

    /// How many senders have replay state.
    pub fn senders(&self) -> usize {
        self.windows.len()
    }
}

#[cfg(test)]
mod tests;
