//! Connecting to `unix:PATH` or `tcp:HOST:PORT` (the ovs-vsctl `--db` syntax).

use std::path::PathBuf;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};

use super::error::ClientError;

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A unix socket path, e.g. `/var/run/openvswitch/db.sock`.
    Unix(PathBuf),
    /// `host:port` (an IPv6 host in brackets, as OVS writes it).
    Tcp(String),
}

impl Target {
    /// Parses `unix:PATH` or `tcp:HOST:PORT`.
    pub fn parse(s: &str) -> Result<Target, ClientError> {
        if let Some(p) = s.strip_prefix("unix:").filter(|p| !p.is_empty()) {
            return Ok(Target::Unix(PathBuf::from(p)));
        }
        if let Some(hp) = s.strip_prefix("tcp:") {
            if let Some((host, port)) = hp.rsplit_once(':') {
                if !host.is_empty() && port.parse::<u16>().is_ok() {
                    return Ok(Target::Tcp(hp.to_owned()));
                }
            }
        }
        Err(ClientError::BadTarget(s.to_owned()))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "unix:{}", p.display()),
            Target::Tcp(hp) => write!(f, "tcp:{hp}"),
        }
    }
}

/// The read half of a connection.
pub(crate) type Reader = Box<dyn AsyncRead + Unpin + Send>;
/// The write half of a connection.
pub(crate) type Writer = Box<dyn AsyncWrite + Unpin + Send>;

/// Opens a connection and splits it.
pub(crate) async fn connect(target: &Target) -> Result<(Reader, Writer), ClientError> {
    let err = |source| ClientError::Transport {
        target: target.to_string(),
        source,
    };
    match target {
        Target::Unix(path) => {
            let s = UnixStream::connect(path).await.map_err(err)?;
            let (r, w) = s.into_split();
            Ok((Box::new(r), Box::new(w)))
        }
        Target::Tcp(hp) => {
            let s = TcpStream::connect(hp.as_str()).await.map_err(err)?;
            s.set_nodelay(true).map_err(err)?;
            let (r, w) = s.into_split();
            Ok((Box::new(r), Box::new(w)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("unix:/run/db.sock").unwrap(),
            Target::Unix("/run/db.sock".into())
        );
        assert_eq!(
            Target::parse("tcp:[::1]:6640").unwrap(),
            Target::Tcp("[::1]:6640".into())
        );
        for bad in ["unix:", "tcp:host", "tcp::1", "ssl:1.2.3.4:6640", "db.sock"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
