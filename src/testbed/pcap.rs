//! A reader for the classic pcap files that `tcpdump -w` writes (Ethernet link type), decoding
//! just what the testbed asserts on: IPv4 addresses, ICMP echo, TCP/UDP ports, ARP.
//!
//! Format (pcap-savefile(5)): a 24-byte global header whose magic gives the byte order and the
//! timestamp unit, then records of a 16-byte header (seconds, sub-seconds, captured length,
//! original length) and the captured bytes. The file is read while tcpdump is still writing it,
//! so a truncated last record is not an error: it is left for the next read.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::spec::Mac;

/// Why a capture could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcapError {
    /// The file does not start with a pcap magic number.
    #[error("not a pcap file (magic {0:#010x})")]
    BadMagic(u32),
    /// The capture is not of Ethernet frames.
    #[error("link type {0} is not Ethernet (1)")]
    LinkType(u32),
    /// A record claims more bytes than any snap length allows.
    #[error("record at byte {offset} claims {len} captured bytes")]
    BadRecord {
        /// Offset of the record header.
        offset: usize,
        /// The captured length it claims.
        len: u32,
    },
}

/// Layer 4 of an IPv4 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L4 {
    /// ICMP; `id`, `seq` and `payload` are meaningful for echo request (8) and reply (0).
    Icmp {
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        code: u8,
        /// Echo identifier.
        id: u16,
        /// Echo sequence number.
        seq: u16,
        /// Bytes after the 8-byte ICMP header (as far as captured).
        payload: Vec<u8>,
    },
    /// TCP.
    Tcp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// The flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10).
        flags: u8,
    },
    /// UDP.
    Udp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
    },
    /// Another protocol, or a header that was not captured in full.
    Other(u8),
}

/// What a frame carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// An IPv4 packet.
    Ipv4 {
        /// Source address.
        src: Ipv4Addr,
        /// Destination address.
        dst: Ipv4Addr,
        /// Transport header.
        l4: L4,
    },
    /// An ARP packet.
    Arp {
        /// 1 request, 2 reply.
        op: u16,
        /// Sender MAC.
        sender_mac: Mac,
        /// Sender IP.
        sender_ip: Ipv4Addr,
        /// Target IP.
        target_ip: Ipv4Addr,
    },
    /// Anything else (IPv6, truncated frames), by EtherType.
    Other(u16),
}

/// One captured Ethernet frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Capture time since the epoch.
    pub time: Duration,
    /// Source MAC.
    pub src_mac: Mac,
    /// Destination MAC.
    pub dst_mac: Mac,
    /// Decoded contents.
    pub payload: Payload,
}

impl Packet {
    /// Source and destination if this is an IPv4 packet.
    pub fn ipv4(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        match self.payload {
            Payload::Ipv4 { src, dst, .. } => Some((src, dst)),
            _ => None,
        }
    }

    /// True for an ICMP echo request whose payload contains `marker`.
    pub fn is_echo_request_with(&self, marker: &[u8]) -> bool {
        match &self.payload {
            Payload::Ipv4 {
                l4:
                    L4::Icmp {
                        icmp_type: 8,
                        payload,
                        ..
                    },
                ..
            } => !marker.is_empty() && payload.windows(marker.len()).any(|w| w == marker),
            _ => false,
        }
    }
}

/// Largest captured length we accept in a record (tcpdump's maximum snap length).
const MAX_SNAPLEN: u32 = 262_144;

/// Parses a whole capture; a truncated last record (tcpdump still writing) is ignored.
pub fn parse(bytes: &[u8]) -> Result<Vec<Packet>, PcapError> {
    let Some(head) = bytes.get(..24) else {
        return Ok(Vec::new());
    };
    let magic = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let (big_endian, nanos) = match magic {
        0xa1b2_c3d4 => (false, false),
        0xa1b2_3c4d => (false, true),
        0xd4c3_b2a1 => (true, false),
        0x4d3c_b2a1 => (true, true),
        other => return Err(PcapError::BadMagic(other)),
    };
    let word = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let link = word(&head[20..24]);
    if link != 1 {
        return Err(PcapError::LinkType(link));
    }
    let mut packets = Vec::new();
    let mut offset = 24;
    while let Some(rec) = bytes.get(offset..offset + 16) {
        let (secs, frac, caplen) = (word(&rec[0..4]), word(&rec[4..8]), word(&rec[8..12]));
        if caplen > MAX_SNAPLEN {
            return Err(PcapError::BadRecord {
                offset,
                len: caplen,
            });
        }
        let start = offset + 16;
        let Some(frame) = bytes.get(start..start + caplen as usize) else {
            break;
        };
        let sub = if nanos {
            Duration::from_nanos(u64::from(frac))
        } else {
            Duration::from_micros(u64::from(frac))
        };
        if let Some(p) = decode_ethernet(frame, Duration::from_secs(u64::from(secs)) + sub) {
            packets.push(p);
        }
        offset = start + caplen as usize;
    }
    Ok(packets)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn ipv4_at(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let o = b.get(at..at + 4)?;
    Some(Ipv4Addr::new(o[0], o[1], o[2], o[3]))
}

fn mac_at(b: &[u8], at: usize) -> Option<Mac> {
    let m = b.get(at..at + 6)?;
    Some(Mac([m[0], m[1], m[2], m[3], m[4], m[5]]))
}

fn decode_ethernet(frame: &[u8], time: Duration) -> Option<Packet> {
    let dst_mac = mac_at(frame, 0)?;
    let src_mac = mac_at(frame, 6)?;
    let ethertype = be16(frame, 12)?;
    let body = frame.get(14..)?;
    let payload = match ethertype {
        0x0800 => decode_ipv4(body).unwrap_or(Payload::Other(ethertype)),
        0x0806 => decode_arp(body).unwrap_or(Payload::Other(ethertype)),
        other => Payload::Other(other),
    };
    Some(Packet {
        time,
        src_mac,
        dst_mac,
        payload,
    })
}

fn decode_ipv4(ip: &[u8]) -> Option<Payload> {
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    let proto = *ip.get(9)?;
    let src = ipv4_at(ip, 12)?;
    let dst = ipv4_at(ip, 16)?;
    let l4 = ip
        .get(ihl..)
        .map_or(L4::Other(proto), |t| decode_l4(proto, t));
    Some(Payload::Ipv4 { src, dst, l4 })
}

fn decode_l4(proto: u8, t: &[u8]) -> L4 {
    let decoded = match proto {
        1 => (|| {
            Some(L4::Icmp {
                icmp_type: *t.first()?,
                code: *t.get(1)?,
                id: be16(t, 4)?,
                seq: be16(t, 6)?,
                payload: t.get(8..)?.to_vec(),
            })
        })(),
        6 => (|| {
            Some(L4::Tcp {
                src_port: be16(t, 0)?,
                dst_port: be16(t, 2)?,
                flags: *t.get(13)?,
            })
        })(),
        17 => (|| {
            Some(L4::Udp {
                src_port: be16(t, 0)?,
                dst_port: be16(t, 2)?,
            })
        })(),
        _ => None,
    };
    decoded.unwrap_or(L4::Other(proto))
}

fn decode_arp(a: &[u8]) -> Option<Payload> {
    // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
    if be16(a, 0)? != 1 || be16(a, 2)? != 0x0800 || a.get(4..6)? != [6, 4] {
        return None;
    }
    Some(Payload::Arp {
        op: be16(a, 6)?,
        sender_mac: mac_at(a, 8)?,
        sender_ip: ipv4_at(a, 14)?,
        target_ip: ipv4_at(a, 24)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&512u32.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h
    }

    fn record(frame: &[u8]) -> Vec<u8> {
        let mut r = Vec::new();
        r.extend_from_slice(&5u32.to_le_bytes());
        r.extend_from_slice(&7u32.to_le_bytes());
        r.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        r.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        r.extend_from_slice(frame);
        r
    }

    /// An echo request 10.105.18.31 -> 10.105.18.35, id 0x1234, seq 1, payload "MARK".
    fn echo_frame() -> Vec<u8> {
        let mut f = vec![2, 0, 10, 105, 18, 35, 2, 0, 10, 105, 18, 31, 0x08, 0x00];
        f.extend_from_slice(&[0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 1, 0, 0]);
        f.extend_from_slice(&[10, 105, 18, 31, 10, 105, 18, 35]);
        f.extend_from_slice(&[8, 0, 0, 0, 0x12, 0x34, 0, 1]);
        f.extend_from_slice(b"MARK");
        f
    }

    #[test]
    fn decodes_an_echo_request_and_ignores_a_truncated_tail() {
        let mut file = header();
        file.extend(record(&echo_frame()));
        let whole = file.len();
        file.extend(record(&echo_frame()));
        file.truncate(whole + 20);
        let packets = parse(&file).unwrap();
        assert_eq!(packets.len(), 1);
        let p = &packets[0];
        assert_eq!(p.src_mac.to_string(), "02:00:0a:69:12:1f");
        assert_eq!(p.time, Duration::from_secs(5) + Duration::from_micros(7));
        assert_eq!(
            p.ipv4(),
            Some((
                Ipv4Addr::new(10, 105, 18, 31),
                Ipv4Addr::new(10, 105, 18, 35)
            ))
        );
        assert!(p.is_echo_request_with(b"MARK"));
        assert!(!p.is_echo_request_with(b"OTHER"));
        assert!(matches!(
            p.payload,
            Payload::Ipv4 {
                l4: L4::Icmp {
                    id: 0x1234,
                    seq: 1,
                    ..
                },
                ..
            }
        ));
    }

    #[test]
    fn empty_and_bad_files() {
        assert_eq!(parse(&[]).unwrap(), Vec::new());
        assert_eq!(parse(&header()).unwrap(), Vec::new());
        assert_eq!(parse(&[0u8; 24]), Err(PcapError::BadMagic(0)));
        let mut h = header();
        h[20] = 113;
        assert_eq!(parse(&h), Err(PcapError::LinkType(113)));
        let mut f = header();
        f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        f.extend_from_slice(&[0; 4]);
        assert!(matches!(parse(&f), Err(PcapError::BadRecord { .. })));
    }

    #[test]
    fn short_frames_do_not_panic() {
        let mut file = header();
        for n in 0..echo_frame().len() {
            file.extend(record(&echo_frame()[..n]));
        }
        let packets = parse(&file).unwrap();
        assert!(packets.iter().all(|p| !p.is_echo_request_with(b"MARK")));
    }
}
