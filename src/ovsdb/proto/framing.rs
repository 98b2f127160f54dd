//! Stream framing: OVSDB has none, messages are JSON texts written back to back.
//!
//! [`Decoder`] buffers bytes and cuts complete JSON values out of them. A small scanner
//! (`Boundary`) follows string/escape state and bracket depth across reads, looking at every
//! byte once, to learn where the value being received ends; only then is that slice parsed, by
//! serde_json's `StreamDeserializer` (whose `byte_offset()` must land on the same end). So
//! several messages in one read and one message spread over many reads both work, and a 50 MB
//! monitor dump arriving in 64 KiB reads is parsed once, not once per read (OVS does the same
//! in `lib/jsonrpc.c` with its incremental `json_parser_feed`). Invariants: consumed bytes are
//! dropped, never re-read; a syntax error (including a top-level value that is not an object
//! or array) poisons the stream (the connection must be dropped, as OVS does); a buffered
//! message larger than [`Decoder::max_message`] is an error.

use serde_json::Value as Json;

use super::jsonrpc::{JsonRpcError, Message};

/// The byte stream cannot be decoded any further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The bytes are not JSON.
    #[error("JSON syntax error: {0}")]
    Syntax(String),
    /// Valid JSON, but not a JSON-RPC message.
    #[error(transparent)]
    JsonRpc(#[from] JsonRpcError),
    /// A single message grew beyond the limit.
    #[error("message larger than {0} bytes")]
    TooLarge(usize),
}

/// Incremental JSON-RPC message decoder (sans-IO).
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Bytes before this offset are consumed.
    start: usize,
    /// Where the value starting at `start` ends, as far as scanned.
    boundary: Boundary,
    /// Set after a syntax error; every later call fails.
    poisoned: Option<FramingError>,
    /// Upper bound for one buffered message.
    pub max_message: usize,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder with a 256 MiB message limit (a full monitor dump of a big database is large).
    pub fn new() -> Decoder {
        Decoder {
            buf: Vec::new(),
            start: 0,
            boundary: Boundary::default(),
            poisoned: None,
            max_message: 256 << 20,
        }
    }

    /// Appends bytes read from the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered but not yet returned as a message.
    pub fn pending_bytes(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Returns the next complete message, `Ok(None)` if more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Message>, FramingError> {
        if let Some(e) = &self.poisoned {
            return Err(e.clone());
        }
        match self.next_value() {
            Ok(Some(json)) => Ok(Some(Message::from_json(json)?)),
            Ok(None) => Ok(None),
            Err(e) => {
                self.poisoned = Some(e.clone());
                Err(e)
            }
        }
    }

    fn next_value(&mut self) -> Result<Option<Json>, FramingError> {
        let rest = self.buf.get(self.start..).unwrap_or_default();
        let end = match self.boundary.scan(rest)? {
            Some(end) => end,
            None if rest.len() > self.max_message => {
                return Err(FramingError::TooLarge(self.max_message))
            }
            None if self.boundary.depth == 0 => {
                // Only whitespace so far: drop it.
                self.start = self.buf.len();
                self.boundary = Boundary::default();
                self.compact();
                return Ok(None);
            }
            None => return Ok(None),
        };
        let slice = rest.get(..end).unwrap_or_default();
        let mut stream = serde_json::Deserializer::from_slice(slice).into_iter::<Json>();
        match stream.next() {
            Some(Ok(json)) if stream.byte_offset() == end => {
                self.start += end;
                self.boundary = Boundary::default();
                self.compact();
                Ok(Some(json))
            }
            Some(Err(e)) => Err(FramingError::Syntax(e.to_string())),
            _ => Err(FramingError::Syntax(format!(
                "bad JSON value boundary at byte {end}"
            ))),
        }
    }

    /// Drops consumed bytes once they are at least half of the buffer (amortised O(1)).
    fn compact(&mut self) {
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 4096 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

/// Finds the end of one top-level JSON object or array, incrementally.
#[derive(Debug, Default)]
struct Boundary {
    /// Bytes (from the value's buffer start) already looked at.
    scanned: usize,
    depth: usize,
    in_string: bool,
    escape: bool,
}

impl Boundary {
    /// Continues scanning `bytes` (the buffer from the value's start); returns the end offset
    /// once the top-level value is closed.
    fn scan(&mut self, bytes: &[u8]) -> Result<Option<usize>, FramingError> {
        for (i, &b) in bytes.iter().enumerate().skip(self.scanned) {
            self.scanned = i + 1;
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' if self.depth > 0 => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Ok(Some(i + 1));
                    }
                }
                b' ' | b'\t' | b'\n' | b'\r' => {}
                _ if self.depth > 0 => {}
                _ => {
                    return Err(FramingError::Syntax(format!(
                        "expected a JSON object, found byte {b:#04x}"
                    )))
                }
            }
        }
        Ok(None)
    }
}

/// Serialises a message onto `out` (no separator is needed; none is added).
pub fn encode(msg: &Message, out: &mut Vec<u8>) {
    // Writing a `Value` into a Vec cannot fail (no I/O, map keys are strings).
    let _ = serde_json::to_writer(&mut *out, &msg.to_json());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs() -> Vec<Message> {
        vec![
            Message::Request {
                id: json!("echo"),
                method: "echo".into(),
                params: json!([]),
            },
            Message::Reply {
                id: json!(1),
                result: json!(["Open_vSwitch", "_Server", "ünïcode \"quoted\" {}"]),
            },
            Message::Notification {
                method: "update2".into(),
                params: json!([null, {"Interface": {}}]),
            },
        ]
    }

    fn wire() -> Vec<u8> {
        let mut out = Vec::new();
        for m in msgs() {
            encode(&m, &mut out);
            out.extend_from_slice(b"\n ");
        }
        out
    }

    fn drain(d: &mut Decoder, got: &mut Vec<Message>) {
        while let Some(m) = d.next_message().unwrap() {
            got.push(m);
        }
    }

    #[test]
    fn several_messages_in_one_read() {
        let mut d = Decoder::new();
        d.feed(&wire());
        let mut got = Vec::new();
        drain(&mut d, &mut got);
        assert_eq!(got, msgs());
        assert_eq!(d.pending_bytes(), 0);
    }

    #[test]
    fn one_message_byte_by_byte() {
        let mut d = Decoder::new();
        let mut got = Vec::new();
        for b in wire() {
            d.feed(&[b]);
            drain(&mut d, &mut got);
        }
        assert_eq!(got, msgs());
    }

    #[test]
    fn every_split_point() {
        let w = wire();
        for cut in 0..w.len() {
            let mut d = Decoder::new();
            let mut got = Vec::new();
            d.feed(&w[..cut]);
            drain(&mut d, &mut got);
            d.feed(&w[cut..]);
            drain(&mut d, &mut got);
            assert_eq!(got, msgs(), "cut at {cut}");
        }
    }

    #[test]
    fn syntax_error_poisons_and_limit_applies() {
        let mut d = Decoder::new();
        d.feed(b"{\"id\": 1, ]");
        assert!(matches!(d.next_message(), Err(FramingError::Syntax(_))));
        assert!(d.next_message().is_err());
        let mut d = Decoder::new();
        d.max_message = 8;
        d.feed(b"{\"result\": \"0123456789");
        assert_eq!(d.next_message(), Err(FramingError::TooLarge(8)));
        let mut d = Decoder::new();
        d.feed(b"17 {}");
        assert!(matches!(d.next_message(), Err(FramingError::Syntax(_))));
        let mut d = Decoder::new();
        d.feed(br#"{"a": "}]\"{[", "b": ["x"]}"#);
        assert!(matches!(d.next_message(), Err(FramingError::JsonRpc(_))));
        let mut d = Decoder::new();
        d.feed(b"{\"jsonrpc\": \"2.0\"}");
        assert!(matches!(d.next_message(), Err(FramingError::JsonRpc(_))));
    }
}
