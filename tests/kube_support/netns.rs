//! Reaching the test API server from a process in another network namespace (an agent run
//! inside an OVS sandbox's namespace): a listener bound on that namespace's loopback. A socket
//! belongs to the namespace it was created in, so a short-lived thread enters the namespace,
//! binds, and exits; the listener is then served from the test's runtime like any other.

use std::os::fd::AsRawFd;

/// Binds a TCP listener on 127.0.0.1 (random port) inside the named network namespace
/// (`/var/run/netns/<netns>`, whose loopback must be up).
pub fn bind_loopback_in(netns: &str) -> std::net::TcpListener {
    let path = format!("/var/run/netns/{netns}");
    std::thread::spawn(move || {
        let ns = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // SAFETY: setns on a valid namespace fd only changes this (short-lived) thread.
        let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
        std::net::TcpListener::bind("127.0.0.1:0").unwrap()
    })
    .join()
    .unwrap()
}

/// A kubeconfig (plain HTTP, no credentials) for a server at `addr`.
pub fn kubeconfig(addr: std::net::SocketAddr) -> String {
    format!(
        "apiVersion: v1\nkind: Config\n\
         clusters:\n- name: test\n  cluster:\n    server: http://{addr}\n\
         users:\n- name: test\n  user: {{}}\n\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n\
         current-context: test\n"
    )
}
