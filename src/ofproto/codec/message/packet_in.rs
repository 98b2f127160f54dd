//! `OFPT_PACKET_IN` (OpenFlow 1.3 and 1.5 share `ofp12_packet_in` + cookie), as in OVS
//! `lib/ofp-packet.c`: `buffer_id, total_len, reason, table_id, cookie`, an `ofp_match` of the
//! packet's metadata, 2 zero bytes (so the IP header is aligned), then the frame.

use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::match_::Match;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, Bytes, BytesMut};

/// A packet sent to the controller.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PacketIn {
    /// Buffer id (`u32::MAX` = not buffered).
    pub buffer_id: u32,
    /// Full length of the frame (`data` may be shorter).
    pub total_len: u16,
    /// Why it was sent (`OFPR_*`: 0 no_match / table_miss, 1 action / apply_action, 2
    /// invalid_ttl, 3 action_set, 4 group, 5 packet_out).
    pub reason: u8,
    /// Table that sent it.
    pub table_id: u8,
    /// Cookie of the flow that sent it (`u64::MAX` = none).
    pub cookie: u64,
    /// The packet's metadata (in_port, tunnel, registers...).
    pub match_: Match,
    /// The frame.
    pub data: Bytes,
}

impl PacketIn {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<PacketIn, DecodeError> {
        let buffer_id = r.u32("ofp_packet_in")?;
        let total_len = r.u16("ofp_packet_in")?;
        let reason = r.u8("ofp_packet_in")?;
        let table_id = r.u8("ofp_packet_in")?;
        let cookie = r.u64("ofp_packet_in")?;
        // Loose, as OVS's `oxm_pull_match_loose`: metadata need not meet prerequisites.
        let match_ = Match::decode_loose(r, version)?;
        r.zeros(2, "ofp_packet_in padding")?;
        Ok(PacketIn {
            buffer_id,
            total_len,
            reason,
            table_id,
            cookie,
            match_,
            data: Bytes::copy_from_slice(r.take_rest()),
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        out.put_u32(self.buffer_id);
        out.put_u16(self.total_len);
        out.put_u8(self.reason);
        out.put_u8(self.table_id);
        out.put_u64(self.cookie);
        self.match_.encode(out, version)?;
        out.put_u16(0);
        out.put_slice(&self.data);
        Ok(())
    }
}
