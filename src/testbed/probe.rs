//! The external host's TCP recorder and the pods' TCP client (the `testbed-probe` binary).
//!
//! `serve` accepts connections, appends the peer address it sees (`IP PORT`) to a log file and
//! then replies with the same line, so the client learns which source address the external host
//! saw (the SNAT result) and the log already holds it when the client does. `connect` is the
//! client: it prints the server's reply. std only; the binary runs inside a namespace through
//! `ip netns exec`.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

/// The line the recorder logs and answers for a peer: `IP PORT`.
pub fn peer_line(peer: SocketAddr) -> String {
    format!("{} {}\n", peer.ip(), peer.port())
}

/// Parses a [`peer_line`].
pub fn parse_peer_line(line: &str) -> Option<SocketAddrV4> {
    let mut it = line.split_whitespace();
    let ip: Ipv4Addr = it.next()?.parse().ok()?;
    let port: u16 = it.next()?.parse().ok()?;
    Some(SocketAddrV4::new(ip, port))
}

/// Runs the recorder on `0.0.0.0:port` forever. Creates `ready` once it is listening, so the
/// testbed can wait for that instead of sleeping.
pub fn serve(port: u16, log: &Path, ready: &Path) -> io::Result<()> {
    let listener = TcpListener::bind((Ipv4Addr::UNSPECIFIED, port))?;
    let mut log = OpenOptions::new().create(true).append(true).open(log)?;
    File::create(ready)?;
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        let line = peer_line(peer);
        // Log first: when the client has its answer, the log already holds the entry.
        log.write_all(line.as_bytes())?;
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        let _ = stream.write_all(line.as_bytes());
    }
    Ok(())
}

/// Connects to `addr`, reads the recorder's answer and returns it (trimmed).
pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_lines_round_trip() {
        let a: SocketAddr = "10.105.18.100:41632".parse().unwrap();
        let line = peer_line(a);
        assert_eq!(line, "10.105.18.100 41632\n");
        assert_eq!(
            parse_peer_line(&line),
            Some("10.105.18.100:41632".parse().unwrap())
        );
        assert_eq!(parse_peer_line("garbage"), None);
    }
}
