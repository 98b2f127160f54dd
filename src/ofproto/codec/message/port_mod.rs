//! `OFPT_PORT_MOD`: OpenFlow 1.3 `ofp11_port_mod` (fixed `advertise`) vs 1.5 `ofp14_port_mod`
//! (advertise in an `OFPPMPT14_ETHERNET` property). Mirrors OVS `lib/ofp-port.c`.

use super::prop::Prop;
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, BytesMut};

const PROP_ETHERNET: u16 = 0;

/// Change a port's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortMod {
    /// Port number (32-bit form).
    pub port_no: u32,
    /// The port's MAC address (a sanity check).
    pub hw_addr: [u8; 6],
    /// New `OFPPC_*` bits.
    pub config: u32,
    /// Which `OFPPC_*` bits to change.
    pub mask: u32,
    /// Features to advertise (always present in 1.3; the first property in 1.5).
    pub advertise: Option<u32>,
    /// Other OpenFlow 1.5 properties, verbatim.
    pub props: Vec<Prop>,
}

impl PortMod {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<PortMod, DecodeError> {
        let port_no = r.u32("ofp_port_mod")?;
        r.zeros(4, "ofp_port_mod padding")?;
        let hw_addr = r.array("ofp_port_mod")?;
        r.zeros(2, "ofp_port_mod padding")?;
        let config = r.u32("ofp_port_mod")?;
        let mask = r.u32("ofp_port_mod")?;
        let (advertise, props) = match version {
            Version::Of13 => {
                let a = r.u32("ofp11_port_mod")?;
                r.zeros(4, "ofp11_port_mod padding")?;
                (Some(a), Vec::new())
            }
            Version::Of15 => {
                let mut props = Prop::decode_all(r, "port_mod property")?;
                let adv = match props.first() {
                    Some(p) if p.prop_type == PROP_ETHERNET && p.data.len() == 4 => p.as_u32(),
                    _ => None,
                };
                if adv.is_some() {
                    props.remove(0);
                }
                (adv, props)
            }
        };
        r.finish("ofp_port_mod")?;
        Ok(PortMod {
            port_no,
            hw_addr,
            config,
            mask,
            advertise,
            props,
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        out.put_u32(self.port_no);
        out.put_u32(0);
        out.put_slice(&self.hw_addr);
        out.put_u16(0);
        out.put_u32(self.config);
        out.put_u32(self.mask);
        match version {
            Version::Of13 => {
                if !self.props.is_empty() {
                    return Err(EncodeError::NotInVersion {
                        what: "port_mod properties",
                        version,
                    });
                }
                out.put_u32(self.advertise.unwrap_or(0));
                out.put_u32(0);
            }
            Version::Of15 => {
                if let Some(a) = self.advertise {
                    Prop::new(PROP_ETHERNET, a.to_be_bytes().to_vec()).encode(out)?;
                }
                Prop::encode_all(&self.props, out)?;
            }
        }
        Ok(())
    }
}
