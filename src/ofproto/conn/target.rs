//! Where to connect: `unix:PATH`, `tcp:HOST:PORT`, or a bridge name resolved the way ovs-ofctl
//! resolves it (`utilities/ovs-ofctl.c::open_vconn__`): the name itself as a socket path, then
//! `$OVS_RUNDIR/NAME.mgmt` (default run directory `/var/run/openvswitch`), then the same with
//! a `TYPE@NAME` datapath prefix removed. A missing socket moves on to the next candidate; any
//! other error stops there.

use super::error::ConnError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// The run directory Debian's Open vSwitch uses when `OVS_RUNDIR` is not set.
pub const DEFAULT_RUNDIR: &str = "/var/run/openvswitch";

/// A connection target in ovs-ofctl syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `unix:PATH`.
    Unix(PathBuf),
    /// `tcp:HOST:PORT` (`tcp:[v6addr]:PORT` for IPv6).
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A bridge name (or a bare socket path).
    Bridge(String),
}

/// Why a target string is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}: not a valid target (want a bridge name, unix:PATH or tcp:HOST:PORT)")]
pub struct BadTarget(pub String);

impl Target {
    /// Parses ovs-ofctl's target syntax.
    pub fn parse(s: &str) -> Result<Target, BadTarget> {
        let bad = || BadTarget(s.to_owned());
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(bad());
            }
            return Ok(Target::Unix(PathBuf::from(path)));
        }
        if let Some(rest) = s.strip_prefix("tcp:") {
            let (host, port) = match rest.strip_prefix('[') {
                Some(v6) => {
                    let (h, p) = v6.split_once("]:").ok_or_else(bad)?;
                    (h, p)
                }
                None => rest.rsplit_once(':').ok_or_else(bad)?,
            };
            let port = port.parse().map_err(|_| bad())?;
            if host.is_empty() {
                return Err(bad());
            }
            return Ok(Target::Tcp {
                host: host.to_owned(),
                port,
            });
        }
        if s.is_empty() || s.contains(':') {
            return Err(bad());
        }
        Ok(Target::Bridge(s.to_owned()))
    }

    /// The unix socket paths a bridge name stands for, in the order ovs-ofctl tries them, with
    /// run directory `rundir`.
    pub fn bridge_candidates(name: &str, rundir: &Path) -> Vec<PathBuf> {
        let mut v = vec![PathBuf::from(name), rundir.join(format!("{name}.mgmt"))];
        if let Some((_, dp)) = name.split_once('@') {
            v.push(rundir.join(format!("{dp}.mgmt")));
        }
        v
    }

    /// The run directory: `$OVS_RUNDIR` or [`DEFAULT_RUNDIR`].
    pub fn rundir() -> PathBuf {
        std::env::var_os("OVS_RUNDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_RUNDIR))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "unix:{}", p.display()),
            Target::Tcp { host, port } if host.contains(':') => write!(f, "tcp:[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "tcp:{host}:{port}"),
            Target::Bridge(b) => f.write_str(b),
        }
    }
}

impl std::str::FromStr for Target {
    type Err = BadTarget;

    fn from_str(s: &str) -> Result<Target, BadTarget> {
        Target::parse(s)
    }
}

/// The read half of a connected stream.
pub type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
/// The write half of a connected stream.
pub type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

fn connect_error(target: String, e: std::io::Error) -> ConnError {
    ConnError::Connect {
        target,
        source: Arc::new(e),
    }
}

async fn connect_unix(path: &Path) -> std::io::Result<(BoxRead, BoxWrite)> {
    let s = tokio::net::UnixStream::connect(path).await?;
    let (r, w) = s.into_split();
    Ok((Box::new(r), Box::new(w)))
}

/// Connects to `target`; returns the stream halves and the endpoint actually used
/// (`unix:/run/.../br-int.mgmt`).
pub async fn connect(target: &Target) -> Result<(BoxRead, BoxWrite, String), ConnError> {
    match target {
        Target::Unix(path) => {
            let name = target.to_string();
            let (r, w) = connect_unix(path)
                .await
                .map_err(|e| connect_error(name.clone(), e))?;
            Ok((r, w, name))
        }
        Target::Tcp { host, port } => {
            let name = target.to_string();
            let s = tokio::net::TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|e| connect_error(name.clone(), e))?;
            s.set_nodelay(true)
                .map_err(|e| connect_error(name.clone(), e))?;
            let (r, w) = s.into_split();
            Ok((Box::new(r), Box::new(w), name))
        }
        Target::Bridge(bridge) => {
            let candidates = Target::bridge_candidates(bridge, &Target::rundir());
            for path in &candidates {
                match connect_unix(path).await {
                    Ok((r, w)) => return Ok((r, w, format!("unix:{}", path.display()))),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(connect_error(format!("unix:{}", path.display()), e)),
                }
            }
            let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            Err(connect_error(
                bridge.clone(),
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "not a bridge or a socket (no socket at {})",
                        tried.join(" or ")
                    ),
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ovs_ofctl_targets() {
        assert_eq!(
            Target::parse("unix:/run/x.mgmt").unwrap(),
            Target::Unix("/run/x.mgmt".into())
        );
        assert_eq!(
            Target::parse("tcp:127.0.0.1:6653").unwrap(),
            Target::Tcp {
                host: "127.0.0.1".into(),
                port: 6653
            }
        );
        let v6 = Target::parse("tcp:[::1]:6653").unwrap();
        assert_eq!(v6.to_string(), "tcp:[::1]:6653");
        assert_eq!(
            Target::parse("br-int").unwrap(),
            Target::Bridge("br-int".into())
        );
        for bad in [
            "",
            "tcp:host",
            "tcp::1",
            "unix:",
            "ssl:1.2.3.4:6653",
            "tcp:h:99999",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bridge_names_resolve_like_ovs_ofctl() {
        let c = Target::bridge_candidates("br0", Path::new("/r"));
        assert_eq!(c, [PathBuf::from("br0"), PathBuf::from("/r/br0.mgmt")]);
        let c = Target::bridge_candidates("netdev@br0", Path::new("/r"));
        assert_eq!(c[2], PathBuf::from("/r/br0.mgmt"));
    }

    #[tokio::test]
    async fn missing_socket_error_names_the_paths_tried() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::Unix(dir.path().join("nope.mgmt"));
        let e = connect(&t).await.err().unwrap().to_string();
        assert!(e.contains("nope.mgmt") && e.contains("No such file"), "{e}");
    }
}
