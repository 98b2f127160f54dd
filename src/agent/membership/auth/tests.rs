use std::net::SocketAddr;

use proptest::prelude::*;

use super::*;

const NOW: u64 = 1_700_000_000_000;

fn keys(id: u8, fill: u8) -> GossipKeys {
    GossipKeys::single(id, &[fill; 32])
}

fn from(port: u16) -> SocketAddr {
    SocketAddr::from(([10, 105, 18, 31], port))
}

fn sealed(s: &mut Sealer, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    s.seal(payload, NOW, &mut out);
    out
}

#[test]
fn round_trip_and_layout() {
    let k = keys(5, 1);
    let mut s = Sealer::new(&k, 42);
    let mut o = Opener::new(&k, 30_000);
    let d = sealed(&mut s, b"hello");
    assert_eq!(d.len(), b"hello".len() + OVERHEAD);
    assert_eq!(&d[..4], b"OE\x01\x05");
    let opened = o.open(from(1), &d, NOW + 5).unwrap();
    assert_eq!(opened.payload, b"hello");
    assert_eq!((opened.boot, opened.seq), (42, 1));
    // An empty payload is a valid (if useless) datagram.
    let e = sealed(&mut s, b"");
    assert_eq!(o.open(from(1), &e, NOW).unwrap().payload, b"");
}

#[test]
fn unauthenticated_datagrams_are_rejected() {
    let k = keys(1, 1);
    let mut o = Opener::new(&k, 30_000);
    assert_eq!(o.open(from(1), b"", NOW), Err(AuthError::TooShort(0)));
    assert_eq!(
        o.open(from(1), &[0u8; OVERHEAD], NOW),
        Err(AuthError::BadMagic)
    );
    // A foca datagram without our envelope.
    let mut raw = vec![0u8; 100];
    raw[..3].copy_from_slice(b"OE\x02");
    assert_eq!(
        o.open(from(1), &raw, NOW),
        Err(AuthError::UnsupportedVersion(2))
    );
    // Sealed with another key id, and with the same id but another secret.
    let mut other_id = Sealer::new(&keys(2, 1), 1);
    assert_eq!(
        o.open(from(1), &sealed(&mut other_id, b"x"), NOW),
        Err(AuthError::UnknownKey(2))
    );
    let mut other_secret = Sealer::new(&keys(1, 2), 1);
    assert_eq!(
        o.open(from(1), &sealed(&mut other_secret, b"x"), NOW),
        Err(AuthError::BadTag)
    );
    // A forged datagram does not create replay state.
    assert_eq!(o.senders(), 0);
}

#[test]
fn replays_are_rejected() {
    let k = keys(1, 9);
    let mut s = Sealer::new(&k, 100);
    let mut o = Opener::new(&k, 30_000);
    let d: Vec<Vec<u8>> = (0..200).map(|i| sealed(&mut s, &[i as u8])).collect();
    o.open(from(1), &d[10], NOW).unwrap();
    assert_eq!(o.open(from(1), &d[10], NOW), Err(AuthError::Duplicate));
    // Reordering inside the window is fine, once.
    o.open(from(1), &d[3], NOW).unwrap();
    assert_eq!(o.open(from(1), &d[3], NOW), Err(AuthError::Duplicate));
    o.open(from(1), &d[150], NOW).unwrap();
    // 150 - 10 = 140 >= 128: datagram 11 is now too old.
    assert_eq!(o.open(from(1), &d[11], NOW), Err(AuthError::TooOld));
    o.open(from(1), &d[149], NOW).unwrap();
    // The same datagram from another source address is another sender's window.
    o.open(from(2), &d[10], NOW).unwrap();
    // The sender restarts (new boot id): its old datagrams are replays of an old incarnation.
    let mut s2 = Sealer::new(&k, 101);
    o.open(from(1), &sealed(&mut s2, b"new"), NOW).unwrap();
    assert_eq!(o.open(from(1), &d[199], NOW), Err(AuthError::OldBoot));
}

#[test]
fn stale_datagrams_are_rejected() {
    let k = keys(1, 9);
    let mut s = Sealer::new(&k, 100);
    let mut o = Opener::new(&k, 1_000);
    let d = sealed(&mut s, b"x");
    assert_eq!(
        o.open(from(1), &d, NOW + 1_001),
        Err(AuthError::Stale { skew_ms: -1_001 })
    );
    assert_eq!(
        o.open(from(1), &d, NOW - 2_000),
        Err(AuthError::Stale { skew_ms: 2_000 })
    );
    // Stale checks come before the replay state: the datagram is still usable in time.
    o.open(from(1), &d, NOW + 1_000).unwrap();
}

#[test]
fn every_listed_key_is_accepted_for_rotation() {
    let text = format!("2 {}\n1 {}\n", "ab".repeat(32), "cd".repeat(32));
    let both = GossipKeys::parse(&text).unwrap();
    let old = GossipKeys::parse(&format!("1 {}\n", "cd".repeat(32))).unwrap();
    let mut o = Opener::new(&both, 30_000);
    let mut s_old = Sealer::new(&old, 1);
    let mut s_new = Sealer::new(&both, 2);
    assert_eq!(&sealed(&mut s_new, b"")[3..4], &[2]);
    o.open(from(1), &sealed(&mut s_old, b"a"), NOW).unwrap();
    o.open(from(2), &sealed(&mut s_new, b"b"), NOW).unwrap();
}

#[test]
fn replay_state_is_bounded() {
    let k = keys(1, 3);
    let mut o = Opener::new(&k, 30_000);
    let mut s = Sealer::new(&k, 7);
    for port in 0..(MAX_SOURCES as u16 + 10) {
        let d = sealed(&mut s, b"");
        o.open(from(port), &d, NOW + u64::from(port)).unwrap();
    }
    assert_eq!(o.senders(), MAX_SOURCES);
}

proptest! {
    /// Changing any bit of a sealed datagram makes it unauthenticated.
    #[test]
    fn tampering_is_detected(
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let k = keys(1, 4);
        let mut s = Sealer::new(&k, 9);
        let mut d = sealed(&mut s, &payload);
        let i = pos.index(d.len());
        d[i] ^= 1 << bit;
        let mut o = Opener::new(&k, 30_000);
        prop_assert!(o.open(from(1), &d, NOW).is_err());
        prop_assert_eq!(o.senders(), 0);
    }

    /// Truncated or extended datagrams are rejected, arbitrary bytes never panic.
    #[test]
    fn garbage_is_rejected(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        cut in 1usize..40,
    ) {
        let k = keys(1, 4);
        let mut o = Opener::new(&k, 30_000);
        prop_assert!(o.open(from(1), &bytes, NOW).is_err());
        let mut s = Sealer::new(&k, 9);
        let d = sealed(&mut s, &bytes);
        prop_assert!(o.open(from(1), &d[..d.len() - cut.min(d.len())], NOW).is_err());
        let mut longer = d.clone();
        longer.push(0);
        prop_assert!(o.open(from(1), &longer, NOW).is_err());
        prop_assert!(o.open(from(1), &d, NOW).is_ok());
    }
}
