//! The shared gossip keys, read from the file `gossipKeyFile` names (in a cluster: a Secret
//! mounted into the agent's pod).
//!
//! Format: one key per line, `<key id> <secret in hex>`; `#` starts a comment; blank lines are
//! ignored. Key ids are 0–255 and unique; secrets are at least [`MIN_KEY_BYTES`] bytes
//! (64 hex digits = 32 bytes recommended, e.g. `openssl rand -hex 32`). The **first** key seals
//! outgoing datagrams; every listed key is accepted on input, so keys rotate without a
//! partition: add the new key second on every node, then move it first on every node, then
//! drop the old one.

use std::path::Path;

/// The shortest secret accepted (128 bits).
pub const MIN_KEY_BYTES: usize = 16;

/// Why a key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read the gossip key file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not `<id> <hex secret>`.
    #[error("gossip key file line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong (never the secret itself).
        message: String,
    },
    /// No key at all.
    #[error("the gossip key file has no key")]
    Empty,
}

/// The keys, in file order.
#[derive(Clone, PartialEq, Eq)]
pub struct GossipKeys {
    keys: Vec<(u8, Vec<u8>)>,
}

impl std::fmt::Debug for GossipKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        f.debug_struct("GossipKeys")
            .field("ids", &self.keys.iter().map(|k| k.0).collect::<Vec<_>>())
            .finish()
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

impl GossipKeys {
    /// Parses key file text.
    pub fn parse(text: &str) -> Result<GossipKeys, KeyError> {
        let mut keys: Vec<(u8, Vec<u8>)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |message: String| KeyError::Line {
                line: i + 1,
                message,
            };
            let mut fields = line.split_whitespace();
            let (Some(id), Some(secret), None) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(err("expected `<key id> <secret in hex>`".into()));
            };
            let id: u8 = id
                .parse()
                .map_err(|_| err(format!("key id {id:?} is not a number 0-255")))?;
            if keys.iter().any(|(k, _)| *k == id) {
                return Err(err(format!("key id {id} appears twice")));
            }
            let secret = hex(secret).ok_or_else(|| err("the secret is not hex".into()))?;
            if secret.len() < MIN_KEY_BYTES {
                return Err(err(format!(
                    "the secret has {} bytes, at least {MIN_KEY_BYTES} are required",
                    secret.len()
                )));
            }
            keys.push((id, secret));
        }
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(GossipKeys { keys })
    }

    /// Reads and parses a key file.
    pub fn load(path: &Path) -> Result<GossipKeys, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        GossipKeys::parse(&text)
    }

    /// A single key (tests, demos).
    pub fn single(id: u8, secret: &[u8]) -> GossipKeys {
        GossipKeys {
            keys: vec![(id, secret.to_vec())],
        }
    }

    /// The key that seals outgoing datagrams (the first one).
    pub fn primary(&self) -> (u8, &[u8]) {
        self.keys
            .first()
            .map(|(id, s)| (*id, s.as_slice()))
            .unwrap_or((0, &[]))
    }

    /// Every key, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &[u8])> {
        self.keys.iter().map(|(id, s)| (*id, s.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn parses_ids_secrets_and_comments() {
        let text = format!(
            "# rotation in progress\n7 {K1}\n\n  3 {}  # old\n",
            &K1[..32]
        );
        let keys = GossipKeys::parse(&text).unwrap();
        assert_eq!(keys.primary().0, 7);
        assert_eq!(keys.primary().1.len(), 32);
        assert_eq!(keys.iter().map(|k| k.0).collect::<Vec<_>>(), [7, 3]);
        assert!(
            !format!("{keys:?}").contains("0011"),
            "secrets are not printed"
        );
    }

    #[test]
    fn rejects_bad_lines_without_echoing_secrets() {
        for (text, want) in [
            ("", "no key"),
            ("# nothing\n", "no key"),
            ("1\n", "expected"),
            (&format!("1 {K1} extra\n") as &str, "expected"),
            (&format!("256 {K1}\n"), "not a number"),
            ("1 0011223344556677\n", "at least 16"),
            ("1 xyz0\n", "not hex"),
            ("1 abc\n", "not hex"),
            (&format!("1 {K1}\n1 {K1}\n"), "twice"),
        ] {
            let e = GossipKeys::parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains("0011223344"), "{e}");
        }
    }
}
