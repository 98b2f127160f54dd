//! The gossip wire format inside an authenticated datagram: foca's [`Header`] and [`Member`]
//! with our [`NodeId`] identity, written by hand (small, explicit, no serde format to pin).
//!
//! Integers are big-endian. Encodings:
//!
//! ```text
//! NodeId   family u8 (4|6) · address (4|16) · port u16 · boot u64 · name length u8 · name
//! Member   NodeId · incarnation u16 · state u8 (0 alive, 1 suspect, 2 down)
//! Header   src NodeId · src incarnation u16 · dst NodeId · message tag u8 · fields
//!          tags: 0 Ping(n) 1 Ack(n) 2 PingReq(target, n) 3 IndirectPing(origin, n)
//!                4 IndirectAck(target, n) 5 ForwardedAck(origin, n) 6 Announce 7 Feed
//!                8 Gossip 9 Broadcast 10 TurnUndead       (n: probe number u8)
//! ```
//!
//! Decoding never panics and checks every length; encoding a member into a buffer without room
//! leaves the buffer untouched (foca's [`Codec`] contract).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{Buf, BufMut};
use foca::{Codec, Header, Identity, Member, Message, State};

/// A node's gossip identity: its Kubernetes name, its gossip address (transport IP and port)
/// and the boot id of its membership (unix µs at start, bumped on rejoin). A restarted agent
/// has a larger boot id, so its new identity wins over the old one at the same address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Kubernetes node name.
    pub name: String,
    /// Where its agent gossips.
    pub addr: SocketAddr,
    /// Boot id.
    pub boot: u64,
}

impl Identity for NodeId {
    type Addr = SocketAddr;

    fn renew(&self) -> Option<Self> {
        Some(NodeId {
            boot: self.boot.wrapping_add(1).max(1),
            ..self.clone()
        })
    }

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn win_addr_conflict(&self, adversary: &Self) -> bool {
        (self.boot, &self.name) > (adversary.boot, &adversary.name)
    }
}

/// Why a gossip message could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The message ends early.
    #[error("truncated gossip message")]
    Truncated,
    /// Unknown address family byte.
    #[error("unknown address family {0}")]
    Family(u8),
    /// Unknown message tag.
    #[error("unknown message tag {0}")]
    MessageTag(u8),
    /// Unknown member state.
    #[error("unknown member state {0}")]
    State(u8),
    /// A node name that is not UTF-8.
    #[error("node name is not UTF-8")]
    Name,
    /// A node name longer than 255 bytes.
    #[error("node name of {0} bytes is longer than 255")]
    NameTooLong(usize),
    /// Not enough room left in the datagram.
    #[error("no room left in the datagram")]
    NoSpace,
}

fn need(buf: &impl Buf, n: usize) -> Result<(), WireError> {
    if buf.remaining() < n {
        Err(WireError::Truncated)
    } else {
        Ok(())
    }
}

/// Encoded size of an address.
fn addr_len(a: &SocketAddr) -> usize {
    match a {
        SocketAddr::V4(_) => 1 + 4 + 2,
        SocketAddr::V6(_) => 1 + 16 + 2,
    }
}

/// Encoded size of an identity.
pub fn id_len(id: &NodeId) -> usize {
    addr_len(&id.addr) + 8 + 1 + id.name.len()
}

/// Writes an IP address with its family byte.
pub fn put_ip(buf: &mut impl BufMut, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            buf.put_u8(4);
            buf.put_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            buf.put_u8(6);
            buf.put_slice(&v6.octets());
        }
    }
}

/// Reads an IP address with its family byte.
pub fn get_ip(buf: &mut impl Buf) -> Result<IpAddr, WireError> {
    need(buf, 1)?;
    match buf.get_u8() {
        4 => {
            need(buf, 4)?;
            let mut o = [0u8; 4];
            buf.copy_to_slice(&mut o);
            Ok(IpAddr::V4(Ipv4Addr::from(o)))
        }
        6 => {
            need(buf, 16)?;
            let mut o = [0u8; 16];
            buf.copy_to_slice(&mut o);
            Ok(IpAddr::V6(Ipv6Addr::from(o)))
        }
        f => Err(WireError::Family(f)),
    }
}

/// Writes a length-prefixed name.
pub fn put_name(buf: &mut impl BufMut, name: &str) -> Result<(), WireError> {
    let len = u8::try_from(name.len()).map_err(|_| WireError::NameTooLong(name.len()))?;
    buf.put_u8(len);
    buf.put_slice(name.as_bytes());
    Ok(())
}

/// Reads a length-prefixed name.
pub fn get_name(buf: &mut impl Buf) -> Result<String, WireError> {
    need(buf, 1)?;
    let len = usize::from(buf.get_u8());
    need(buf, len)?;
    let mut bytes = vec![0u8; len];
    buf.copy_to_slice(&mut bytes);
    String::from_utf8(bytes).map_err(|_| WireError::Name)
}

/// Writes an identity (the caller checked the room).
pub fn put_id(buf: &mut impl BufMut, id: &NodeId) -> Result<(), WireError> {
    if id.name.len() > usize::from(u8::MAX) {
        return Err(WireError::NameTooLong(id.name.len()));
    }
    put_ip(buf, id.addr.ip());
    buf.put_u16(id.addr.port());
    buf.put_u64(id.boot);
    put_name(buf, &id.name)
}

/// Reads an identity.
pub fn get_id(buf: &mut impl Buf) -> Result<NodeId, WireError> {
    let ip = get_ip(buf)?;
    need(buf, 2 + 8)?;
    let port = buf.get_u16();
    let boot = buf.get_u64();
    let name = get_name(buf)?;
    Ok(NodeId {
        name,
        addr: SocketAddr::new(ip, port),
        boot,
    })
}

fn message_len(m: &Message<NodeId>) -> usize {
    1 + match m {
        Message::Ping(_) | Message::Ack(_) => 1,
        Message::PingReq { target: id, .. }
        | Message::IndirectPing { origin: id, .. }
        | Message::IndirectAck { target: id, .. }
        | Message::ForwardedAck { origin: id, .. } => id_len(id) + 1,
        Message::Announce
        | Message::Feed
        | Message::Gossip
        | Message::Broadcast
        | Message::TurnUndead => 0,
    }
}

fn put_message(buf: &mut impl BufMut, m: &Message<NodeId>) -> Result<(), WireError> {
    let (tag, id, n) = match m {
        Message::Ping(n) => (0, None, Some(*n)),
        Message::Ack(n) => (1, None, Some(*n)),
        Message::PingReq {
            target,
            probe_number,
        } => (2, Some(target), Some(*probe_number)),
        Message::IndirectPing {
            origin,
            probe_number,
        } => (3, Some(origin), Some(*probe_number)),
        Message::IndirectAck {
            target,
            probe_number,
        } => (4, Some(target), Some(*probe_number)),
        Message::ForwardedAck {
            origin,
            probe_number,
        } => (5, Some(origin), Some(*probe_number)),
        Message::Announce => (6, None, None),
        Message::Feed => (7, None, None),
        Message::Gossip => (8, None, None),
        Message::Broadcast => (9, None, None),
        Message::TurnUndead => (10, None, None),
    };
    buf.put_u8(tag);
    if let Some(id) = id {
        put_id(buf, id)?;
    }
    if let Some(n) = n {
        buf.put_u8(n);
    }
    Ok(())
}

fn get_message(buf: &mut impl Buf) -> Result<Message<NodeId>, WireError> {
    need(buf, 1)?;
    let tag = buf.get_u8();
    let number = |buf: &mut dyn Buf| -> Result<u8, WireError> {
        if buf.remaining() < 1 {
            return Err(WireError::Truncated);
        }
        Ok(buf.get_u8())
    };
    Ok(match tag {
        0 => Message::Ping(number(buf)?),
        1 => Message::Ack(number(buf)?),
        2..=5 => {
            let id = get_id(buf)?;
            let probe_number = number(buf)?;
            match tag {
                2 => Message::PingReq {
                    target: id,
                    probe_number,
                },
                3 => Message::IndirectPing {
                    origin: id,
                    probe_number,
                },
                4 => Message::IndirectAck {
                    target: id,
                    probe_number,
                },
                _ => Message::ForwardedAck {
                    origin: id,
                    probe_number,
                },
            }
        }
        6 => Message::Announce,
        7 => Message::Feed,
        8 => Message::Gossip,
        9 => Message::Broadcast,
        10 => Message::TurnUndead,
        t => return Err(WireError::MessageTag(t)),
    })
}

/// The [`Codec`] foca uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct WireCodec;

impl Codec<NodeId> for WireCodec {
    type Error = WireError;

    fn encode_header(
        &mut self,
        header: &Header<NodeId>,
        mut buf: impl BufMut,
    ) -> Result<(), WireError> {
        let len = id_len(&header.src) + 2 + id_len(&header.dst) + message_len(&header.message);
        if buf.remaining_mut() < len {
            return Err(WireError::NoSpace);
        }
        put_id(&mut buf, &header.src)?;
        buf.put_u16(header.src_incarnation);
        put_id(&mut buf, &header.dst)?;
        put_message(&mut buf, &header.message)
    }

    fn decode_header(&mut self, mut buf: impl Buf) -> Result<Header<NodeId>, WireError> {
        let src = get_id(&mut buf)?;
        need(&buf, 2)?;
        let src_incarnation = buf.get_u16();
        let dst = get_id(&mut buf)?;
        let message = get_message(&mut buf)?;
        Ok(Header {
            src,
            src_incarnation,
            dst,
            message,
        })
    }

    fn encode_member(
        &mut self,
        member: &Member<NodeId>,
        mut buf: impl BufMut,
    ) -> Result<(), WireError> {
        let len = id_len(member.id()) + 3;
        if buf.remaining_mut() < len {
            return Err(WireError::NoSpace);
        }
        put_id(&mut buf, member.id())?;
        buf.put_u16(member.incarnation());
        buf.put_u8(match member.state() {
            State::Alive => 0,
            State::Suspect => 1,
            State::Down => 2,
        });
        Ok(())
    }

    fn decode_member(&mut self, mut buf: impl Buf) -> Result<Member<NodeId>, WireError> {
        let id = get_id(&mut buf)?;
        need(&buf, 3)?;
        let incarnation = buf.get_u16();
        let state = match buf.get_u8() {
            0 => State::Alive,
            1 => State::Suspect,
            2 => State::Down,
            s => return Err(WireError::State(s)),
        };
        Ok(Member::new(id, incarnation, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id_strategy() -> impl Strategy<Value = NodeId> {
        (
            any::<bool>(),
            any::<[u8; 16]>(),
            any::<u16>(),
            any::<u64>(),
            "[a-z0-9.-]{0,40}",
        )
            .prop_map(|(v4, o, port, boot, name)| {
                let ip = if v4 {
                    IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], o[3]))
                } else {
                    IpAddr::V6(Ipv6Addr::from(o))
                };
                NodeId {
                    name,
                    addr: SocketAddr::new(ip, port),
                    boot,
                }
            })
    }

    fn message_strategy() -> impl Strategy<Value = Message<NodeId>> {
        (0u8..11, id_strategy(), any::<u8>()).prop_map(|(tag, id, n)| match tag {
            0 => Message::Ping(n),
            1 => Message::Ack(n),
            2 => Message::PingReq {
                target: id,
                probe_number: n,
            },
            3 => Message::IndirectPing {
                origin: id,
                probe_number: n,
            },
            4 => Message::IndirectAck {
                target: id,
                probe_number: n,
            },
            5 => Message::ForwardedAck {
                origin: id,
                probe_number: n,
            },
            6 => Message::Announce,
            7 => Message::Feed,
            8 => Message::Gossip,
            9 => Message::Broadcast,
            _ => Message::TurnUndead,
        })
    }

    proptest! {
        #[test]
        fn header_round_trip(src in id_strategy(), dst in id_strategy(), inc in any::<u16>(),
                             message in message_strategy()) {
            let h = Header { src, src_incarnation: inc, dst, message };
            let mut buf = Vec::new();
            WireCodec.encode_header(&h, &mut buf).unwrap();
            let mut slice = buf.as_slice();
            let back = WireCodec.decode_header(&mut slice).unwrap();
            prop_assert_eq!(back, h);
            prop_assert!(slice.is_empty());
            // Every truncation is an error, never a panic.
            for cut in 0..buf.len() {
                prop_assert!(WireCodec.decode_header(&buf[..cut]).is_err());
            }
        }

        #[test]
        fn member_round_trip(id in id_strategy(), inc in any::<u16>(), s in 0u8..3) {
            let state = [State::Alive, State::Suspect, State::Down][usize::from(s)];
            let m = Member::new(id, inc, state);
            let mut buf = Vec::new();
            WireCodec.encode_member(&m, &mut buf).unwrap();
            prop_assert_eq!(WireCodec.decode_member(buf.as_slice()).unwrap(), m);
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = WireCodec.decode_header(bytes.as_slice());
            let _ = WireCodec.decode_member(bytes.as_slice());
        }
    }

    #[test]
    fn no_room_leaves_the_buffer_untouched() {
        let m = Member::alive(NodeId {
            name: "node1".into(),
            addr: "10.0.0.1:10351".parse().unwrap(),
            boot: 1,
        });
        let mut backing = vec![9u8; 3];
        let mut limited = (&mut backing).limit(10);
        assert_eq!(
            WireCodec.encode_member(&m, &mut limited),
            Err(WireError::NoSpace)
        );
        assert_eq!(backing, [9, 9, 9]);
        let long = NodeId {
            name: "x".repeat(256),
            addr: "10.0.0.1:1".parse().unwrap(),
            boot: 0,
        };
        assert_eq!(
            put_id(&mut Vec::new(), &long),
            Err(WireError::NameTooLong(256))
        );
    }

    #[test]
    fn renewed_identities_win() {
        let a = NodeId {
            name: "node1".into(),
            addr: "10.0.0.1:10351".parse().unwrap(),
            boot: 5,
        };
        let b = a.renew().unwrap();
        assert!(b.win_addr_conflict(&a) && !a.win_addr_conflict(&b));
        assert_eq!(b.addr(), a.addr());
    }
}
