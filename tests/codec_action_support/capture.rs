//! Capturing what `ovs-ofctl` sends: a minimal fake switch on a unix socket (hello, echo,
//! features, barrier replies) that records every flow-mod of an `ovs-ofctl add-flows` run, so
//! tests can compare our encoding of a flow text with OVS's own bytes.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Command;
use std::thread;

fn read_msg(s: &mut UnixStream) -> Option<Vec<u8>> {
    let mut h = [0u8; 8];
    s.read_exact(&mut h).ok()?;
    let len = u16::from_be_bytes([h[2], h[3]]) as usize;
    let mut m = h.to_vec();
    m.resize(len.max(8), 0);
    s.read_exact(&mut m[8..]).ok()?;
    Some(m)
}

fn reply(s: &mut UnixStream, version: u8, ty: u8, xid: &[u8], body: &[u8]) {
    let len = (8 + body.len()) as u16;
    let mut m = vec![version, ty];
    m.extend_from_slice(&len.to_be_bytes());
    m.extend_from_slice(xid);
    m.extend_from_slice(body);
    let _ = s.write_all(&m);
}

/// Serves one connection: answers the handshake and barriers, returns every flow-mod.
fn serve(mut s: UnixStream, version: u8) -> Vec<Vec<u8>> {
    // HELLO with a version bitmap element.
    let mut hello = Vec::new();
    hello.extend_from_slice(&1u16.to_be_bytes());
    hello.extend_from_slice(&8u16.to_be_bytes());
    hello.extend_from_slice(&(1u32 << version).to_be_bytes());
    reply(&mut s, version, 0, &[0, 0, 0, 0], &hello);
    let mut flow_mods = Vec::new();
    while let Some(m) = read_msg(&mut s) {
        let xid = [m[4], m[5], m[6], m[7]];
        match m[1] {
            2 => reply(&mut s, version, 3, &xid, &m[8..]),
            5 => reply(&mut s, version, 6, &xid, &[0u8; 24]),
            14 => flow_mods.push(m),
            18 => {
                let mut body = m[8..10].to_vec();
                body.extend_from_slice(&[0u8; 6]);
                reply(&mut s, version, 19, &xid, &body);
            }
            20 => reply(&mut s, version, 21, &xid, &[]),
            _ => {}
        }
    }
    flow_mods
}

/// The instructions part of a flow-mod (after the 48-byte fixed part and the padded match).
pub fn flow_mod_instructions(m: &[u8]) -> &[u8] {
    let match_len = u16::from_be_bytes([m[50], m[51]]) as usize;
    let start = 48 + match_len.div_ceil(8) * 8;
    &m[start..]
}

/// Runs `ovs-ofctl --no-names -O PROTOCOL add-flows` on `flows` against a fake switch
/// speaking wire version `version`, and returns the instruction bytes of each flow-mod it sent,
/// in order. Panics with ovs-ofctl's error if it rejects a flow.
pub fn capture_instructions(protocol: &str, version: u8, flows: &[String]) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("sw.sock");
    let file = dir.path().join("flows.txt");
    std::fs::write(&file, flows.join("\n") + "\n").expect("write flows");
    let listener = UnixListener::bind(&sock).expect("bind");
    let server = thread::spawn(move || {
        let (s, _) = listener.accept().expect("accept");
        serve(s, version)
    });
    let out = Command::new("ovs-ofctl")
        .args(["--no-names", "-O", protocol, "add-flows"])
        .arg(format!("unix:{}", sock.display()))
        .arg(&file)
        .output()
        .expect("ovs-ofctl");
    if !out.status.success() {
        // Unblock the server thread if ovs-ofctl never connected.
        let _ = UnixStream::connect(&sock);
        let _ = server.join();
        panic!(
            "ovs-ofctl add-flows failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mods = server.join().expect("server");
    assert_eq!(mods.len(), flows.len(), "flow-mods captured");
    mods.iter()
        .map(|m| flow_mod_instructions(m).to_vec())
        .collect()
}
