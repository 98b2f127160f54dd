//! Port descriptions (`ofp11_port` in OpenFlow 1.3, `ofp14_port` + properties in 1.4+) and
//! `OFPT_PORT_STATUS`. Mirrors OVS `lib/ofp-port.c`.
//!
//! In OpenFlow 1.5 the Ethernet features moved into an `OFPPDPT14_ETHERNET` property; OVS
//! writes it first, and [`Port::ethernet`] holds it when it is first, so both versions decode to
//! the same value and any other property list is kept verbatim in [`Port::props`].

use super::prop::{sub_by_len, FixedStr, Prop};
use crate::ofproto::codec::buf::Reader;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::{DecodeError, EncodeError, Version};
use bytes::{BufMut, BytesMut};

/// Ethernet port features (`OFPPF_*` bitmaps and speeds in kbps).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PortEthernet {
    /// Current features.
    pub curr: u32,
    /// Advertised features.
    pub advertised: u32,
    /// Supported features.
    pub supported: u32,
    /// Features advertised by the peer.
    pub peer: u32,
    /// Current speed in kbps.
    pub curr_speed: u32,
    /// Maximum speed in kbps.
    pub max_speed: u32,
}

impl PortEthernet {
    fn decode(r: &mut Reader<'_>) -> Result<PortEthernet, DecodeError> {
        Ok(PortEthernet {
            curr: r.u32("port features")?,
            advertised: r.u32("port features")?,
            supported: r.u32("port features")?,
            peer: r.u32("port features")?,
            curr_speed: r.u32("port features")?,
            max_speed: r.u32("port features")?,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        for v in [
            self.curr,
            self.advertised,
            self.supported,
            self.peer,
            self.curr_speed,
            self.max_speed,
        ] {
            out.put_u32(v);
        }
    }
}

/// `OFPPDPT14_ETHERNET`.
const PROP_ETHERNET: u16 = 0;

/// A port description.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Port {
    /// OpenFlow 1.1+ port number (see [`Port::port`]).
    pub port_no: u32,
    /// MAC address.
    pub hw_addr: [u8; 6],
    /// Name (`br-int`, `antrea-gw0`...).
    pub name: FixedStr<16>,
    /// `OFPPC_*` configuration bits.
    pub config: u32,
    /// `OFPPS_*` state bits.
    pub state: u32,
    /// Ethernet features (always present in OpenFlow 1.3; the first property in 1.5).
    pub ethernet: Option<PortEthernet>,
    /// Other properties (OpenFlow 1.4+), verbatim.
    pub props: Vec<Prop>,
}

impl Port {
    /// The port number in OVS's 16-bit form, if representable.
    pub fn port(&self) -> Option<PortNo> {
        PortNo::from_ofp11(self.port_no)
    }

    /// Decodes one port description.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<Port, DecodeError> {
        match version {
            Version::Of13 => {
                let mut p = r.sub(64, "ofp11_port")?;
                let port_no = p.u32("ofp11_port")?;
                p.zeros(4, "ofp11_port padding")?;
                let hw_addr = p.array("ofp11_port")?;
                p.zeros(2, "ofp11_port padding")?;
                let name = FixedStr::decode(&mut p, "ofp11_port name")?;
                let config = p.u32("ofp11_port")?;
                let state = p.u32("ofp11_port")?;
                let ethernet = Some(PortEthernet::decode(&mut p)?);
                Ok(Port {
                    port_no,
                    hw_addr,
                    name,
                    config,
                    state,
                    ethernet,
                    props: Vec::new(),
                })
            }
            Version::Of15 => {
                let mut p = sub_by_len(r, 4, 40, true, "ofp14_port")?;
                let port_no = p.u32("ofp14_port")?;
                p.skip(2, "ofp14_port length")?;
                p.zeros(2, "ofp14_port padding")?;
                let hw_addr = p.array("ofp14_port")?;
                p.zeros(2, "ofp14_port padding")?;
                let name = FixedStr::decode(&mut p, "ofp14_port name")?;
                let config = p.u32("ofp14_port")?;
                let state = p.u32("ofp14_port")?;
                let mut props = Prop::decode_all(&mut p, "ofp14_port property")?;
                let mut ethernet = None;
                if let Some(first) = props.first() {
                    if first.prop_type == PROP_ETHERNET && first.data.len() == 28 {
                        let mut e = Reader::new(&first.data);
                        if e.zeros(4, "ethernet property padding").is_ok() {
                            ethernet = Some(PortEthernet::decode(&mut e)?);
                            props.remove(0);
                        }
                    }
                }
                Ok(Port {
                    port_no,
                    hw_addr,
                    name,
                    config,
                    state,
                    ethernet,
                    props,
                })
            }
        }
    }

    /// Appends the port description.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        let start = out.len();
        out.put_u32(self.port_no);
        match version {
            Version::Of13 => out.put_u32(0),
            Version::Of15 => {
                out.put_u16(0);
                out.put_u16(0);
            }
        }
        out.put_slice(&self.hw_addr);
        out.put_u16(0);
        self.name.encode(out);
        out.put_u32(self.config);
        out.put_u32(self.state);
        match version {
            Version::Of13 => {
                if !self.props.is_empty() {
                    return Err(EncodeError::NotInVersion {
                        what: "port properties",
                        version,
                    });
                }
                self.ethernet.unwrap_or_default().encode(out);
            }
            Version::Of15 => {
                if let Some(e) = &self.ethernet {
                    let mut data = BytesMut::with_capacity(28);
                    data.put_u32(0);
                    e.encode(&mut data);
                    Prop::new(PROP_ETHERNET, data.freeze()).encode(out)?;
                }
                Prop::encode_all(&self.props, out)?;
                super::prop::patch_len(out, start, start + 4, "ofp14_port")?;
            }
        }
        Ok(())
    }
}

/// `OFPT_PORT_STATUS`: a port was added, deleted or modified.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PortStatus {
    /// `OFPPR_*`: 0 add, 1 delete, 2 modify.
    pub reason: u8,
    /// The port.
    pub port: Port,
}

impl PortStatus {
    /// Decodes the body.
    pub fn decode(r: &mut Reader<'_>, version: Version) -> Result<PortStatus, DecodeError> {
        let reason = r.u8("ofp_port_status")?;
        r.zeros(7, "ofp_port_status padding")?;
        let port = Port::decode(r, version)?;
        r.finish("ofp_port_status")?;
        Ok(PortStatus { reason, port })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        out.put_u8(self.reason);
        out.put_bytes(0, 7);
        self.port.encode(out, version)
    }
}
