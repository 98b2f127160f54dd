//! Gratuitous ARP for an egress IP this node just took over: an ARP request "who-has IP tell
//! IP" from the uplink bridge's MAC to broadcast, sent as an OpenFlow packet-out on the uplink
//! bridge out of the uplink port (testbed notes §5 step 4: the exact frame that made hosts on
//! the segment switch to the new owner without loss). No kernel address holds the egress IP,
//! so the kernel cannot announce it; OVS can.

use std::net::Ipv4Addr;

use super::config::MacAddr;

/// Ethernet type of ARP.
const ETH_P_ARP: u16 = 0x0806;

/// The 42-byte gratuitous ARP request announcing that `ip` is at `mac`.
pub fn frame(mac: MacAddr, ip: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&[0xff; 6]); // destination: broadcast
    f.extend_from_slice(&mac.0); // source
    f.extend_from_slice(&ETH_P_ARP.to_be_bytes());
    f.extend_from_slice(&1u16.to_be_bytes()); // htype: Ethernet
    f.extend_from_slice(&0x0800u16.to_be_bytes()); // ptype: IPv4
    f.extend_from_slice(&[6, 4]); // hlen, plen
    f.extend_from_slice(&1u16.to_be_bytes()); // op: request
    f.extend_from_slice(&mac.0); // sender hardware address
    f.extend_from_slice(&ip.octets()); // sender protocol address
    f.extend_from_slice(&[0; 6]); // target hardware address
    f.extend_from_slice(&ip.octets()); // target protocol address
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_of_the_notes() {
        // testbed notes §5 step 4, node2 announcing 10.105.18.100.
        let want =
            "ffffffffffff02000a6912200806000108000604000102000a6912200a6912640000000000000a691264";
        let mac: MacAddr = "02:00:0a:69:12:20".parse().unwrap();
        let got: String = frame(mac, Ipv4Addr::new(10, 105, 18, 100))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, want);
    }
}
