//! A recording OpenFlow proxy for tests: `ovs-ofctl` connects to our unix socket, we forward
//! every byte to the bridge's management socket and back, and keep a copy of both directions.
//! That gives the exact bytes OVS sends (flow-mods from `add-flows`) and the exact bytes
//! `ovs-ofctl` decodes and prints (flow-stats replies from `dump-flows`).

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The bytes of one client connection, each direction.
#[derive(Debug, Default)]
pub struct Session {
    /// Client (ovs-ofctl) → switch.
    pub to_switch: Vec<u8>,
    /// Switch → client.
    pub to_client: Vec<u8>,
}

/// A running proxy; stopped (accept loop ended) on drop.
pub struct Proxy {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    active: Arc<AtomicUsize>,
    sessions: Receiver<Session>,
    accept: Option<JoinHandle<()>>,
}

fn pump(mut from: UnixStream, mut to: UnixStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                seen.extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
    seen
}

impl Proxy {
    /// Listens on `listen` and forwards each connection to `target`.
    pub fn start(listen: &Path, target: &Path) -> Proxy {
        let _ = std::fs::remove_file(listen);
        let listener = UnixListener::bind(listen).expect("bind proxy socket");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = channel();
        let target = target.to_owned();
        let stop2 = stop.clone();
        let active = Arc::new(AtomicUsize::new(0));
        let active2 = active.clone();
        let accept = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let client = match listener.accept() {
                    Ok((c, _)) => c,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                active2.fetch_add(1, Ordering::SeqCst);
                client.set_nonblocking(false).expect("blocking client");
                let server = UnixStream::connect(&target).expect("connect to the bridge");
                let (c2, s2) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                // One thread per connection: ovs-ofctl may open a second connection (e.g. to
                // learn port names) while the first is still open.
                let (tx, active) = (tx.clone(), active2.clone());
                std::thread::spawn(move || {
                    let up = std::thread::spawn(move || pump(client, server));
                    let down = std::thread::spawn(move || pump(s2, c2));
                    let session = Session {
                        to_switch: up.join().unwrap_or_default(),
                        to_client: down.join().unwrap_or_default(),
                    };
                    let _ = tx.send(session);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Proxy {
            path: listen.to_owned(),
            stop,
            active,
            sessions: rx,
            accept: Some(accept),
        }
    }

    /// The `ovs-ofctl` target for the proxy (`unix:PATH`).
    pub fn target(&self) -> String {
        format!("unix:{}", self.path.display())
    }

    /// Every session of a command that has finished (ovs-ofctl may connect more than once,
    /// e.g. to probe the switch first), in order, merged per direction.
    pub fn sessions(&self) -> Session {
        let mut all = Session::default();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            while let Ok(s) = self.sessions.try_recv() {
                all.to_switch.extend(s.to_switch);
                all.to_client.extend(s.to_client);
            }
            if self.active.load(Ordering::SeqCst) == 0 {
                if let Ok(s) = self.sessions.try_recv() {
                    all.to_switch.extend(s.to_switch);
                    all.to_client.extend(s.to_client);
                    continue;
                }
                return all;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "proxy session did not end"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Splits a byte stream into OpenFlow messages by their header length.
pub fn split_messages(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while bytes.len() >= 8 {
        let len = u16::from_be_bytes([bytes[2], bytes[3]]) as usize;
        if len < 8 || len > bytes.len() {
            break;
        }
        out.push(&bytes[..len]);
        bytes = &bytes[len..];
    }
    out
}
