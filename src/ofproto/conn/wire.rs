//! Encoding shortcuts the session needs on its hot path.
//!
//! A bundle-add wraps a whole message; [`Message::BundleAdd`] owns its inner message, so
//! encoding a caller's borrowed flow-mod through it would mean cloning every flow of a
//! 100,000-flow bundle. [`encode_bundle_add`] writes the same bytes from a borrowed message
//! (layout: OVS `ofputil_encode_bundle_add`, `include/openvswitch/ofp-msgs.h`); the unit test
//! checks them against the message codec.

use crate::ofproto::codec::message::{self, bundle, msg_type, Message};
use crate::ofproto::codec::{EncodeError, Version};
use bytes::{BufMut, BytesMut};

/// The ONF experimenter id that prefixes OpenFlow 1.3 bundle messages (EXT-230).
const ONF_EXPERIMENTER: u32 = 0x4f4e_4600;

/// Appends a bundle-add of `inner` to bundle `bundle_id` with transaction id `xid` (the inner
/// message gets the same xid and version, as OVS requires). On error `out` is left as it was.
pub fn encode_bundle_add(
    version: Version,
    xid: u32,
    bundle_id: u32,
    flags: u16,
    inner: &Message,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let start = out.len();
    out.put_u8(version.wire());
    match version {
        Version::Of13 => out.put_u8(msg_type::EXPERIMENTER),
        Version::Of15 => out.put_u8(msg_type::BUNDLE_ADD_MESSAGE),
    }
    out.put_u16(0);
    out.put_u32(xid);
    if version == Version::Of13 {
        out.put_u32(ONF_EXPERIMENTER);
        out.put_u32(bundle::ONFT_BUNDLE_ADD_MESSAGE);
    }
    out.put_u32(bundle_id);
    out.put_u16(0);
    out.put_u16(flags);
    if let Err(e) = message::encode(version, xid, inner, out) {
        out.truncate(start);
        return Err(e);
    }
    let len = out.len() - start;
    let Ok(len16) = u16::try_from(len) else {
        out.truncate(start);
        return Err(EncodeError::TooLong {
            what: "bundle add message",
            len,
        });
    };
    out[start + 2..start + 4].copy_from_slice(&len16.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ofproto::codec::FlowMod;

    #[test]
    fn same_bytes_as_the_message_codec() {
        let inner = Message::FlowMod(FlowMod {
            priority: 7,
            ..FlowMod::default()
        });
        for version in [Version::Of13, Version::Of15] {
            let mut ours = BytesMut::new();
            encode_bundle_add(version, 0x1234, 9, 1, &inner, &mut ours).unwrap();
            let mut theirs = BytesMut::new();
            let owned = Message::bundle_add(9, 1, inner.clone());
            message::encode(version, 0x1234, &owned, &mut theirs).unwrap();
            assert_eq!(ours, theirs, "{version:?}");
            let (_, back) = message::decode(&ours).unwrap();
            assert_eq!(back, owned);
        }
    }
}
