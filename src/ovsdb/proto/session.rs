//! Request/response correlation and server-initiated messages (sans-IO).
//!
//! [`Session`] hands out request ids, remembers which ids are outstanding and classifies every
//! incoming message: a reply to one of ours, an update notification for a monitor, or an echo
//! request that must be answered (ovsdb-server disconnects clients that do not answer its
//! `{"method": "echo", "params": [], "id": "echo"}` probes, `lib/jsonrpc.c`). Invariants: ids
//! are unique per session; a reply is matched at most once; the tag `T` stored with a request
//! comes back with its reply, so the driver needs no table of its own.

use std::collections::HashMap;

use serde_json::{json, Value as Json};

use super::jsonrpc::Message;

/// An incoming message that does not fit the session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// A reply for an id we are not waiting for.
    #[error("reply to unknown request id {0}")]
    UnknownReply(String),
    /// A request or notification we do not implement.
    #[error("unexpected {kind} {method:?} from server")]
    Unexpected {
        /// request or notification
        kind: &'static str,
        /// Its method.
        method: String,
    },
}

/// What an incoming message means.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming<T> {
    /// The reply to a request sent with tag `tag`: `Ok(result)` or `Err(error value)`.
    Reply {
        /// The tag given to [`Session::request`].
        tag: T,
        /// Result or JSON-RPC error.
        outcome: Result<Json, Json>,
    },
    /// An echo request from the server; send `reply` back at once.
    Echo {
        /// The answer.
        reply: Message,
    },
    /// A monitor notification (`update`, `update2`, `update3`): `params[0]` is the monitor id.
    Update {
        /// The notification method.
        method: String,
        /// Its params.
        params: Json,
    },
    /// A notification that needs no action (`locked`, `stolen`, ...).
    Ignored {
        /// Its method.
        method: String,
    },
}

/// Correlates requests and replies on one connection.
#[derive(Debug)]
pub struct Session<T> {
    next_id: u64,
    pending: HashMap<u64, T>,
}

impl<T> Default for Session<T> {
    fn default() -> Session<T> {
        Session::new()
    }
}

impl<T> Session<T> {
    /// A fresh session (ids start at 1).
    pub fn new() -> Session<T> {
        Session {
            next_id: 1,
            pending: HashMap::new(),
        }
    }

    /// Builds a request and remembers `tag` until its reply arrives.
    pub fn request(&mut self, method: &str, params: Json, tag: T) -> Message {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, tag);
        Message::Request {
            id: json!(id),
            method: method.to_owned(),
            params,
        }
    }

    /// Number of requests waiting for a reply.
    pub fn outstanding(&self) -> usize {
        self.pending.len()
    }

    /// Forgets all outstanding requests (the connection is gone) and returns their tags.
    pub fn take_pending(&mut self) -> Vec<T> {
        let mut v: Vec<(u64, T)> = self.pending.drain().collect();
        v.sort_by_key(|(id, _)| *id);
        v.into_iter().map(|(_, t)| t).collect()
    }

    /// Classifies an incoming message.
    pub fn handle(&mut self, msg: Message) -> Result<Incoming<T>, SessionError> {
        match msg {
            Message::Reply { id, result } => Ok(Incoming::Reply {
                tag: self.take(&id)?,
                outcome: Ok(result),
            }),
            Message::Error { id, error } => Ok(Incoming::Reply {
                tag: self.take(&id)?,
                outcome: Err(error),
            }),
            Message::Request { id, method, params } if method == "echo" => Ok(Incoming::Echo {
                reply: Message::Reply { id, result: params },
            }),
            Message::Request { method, .. } => Err(SessionError::Unexpected {
                kind: "request",
                method,
            }),
            Message::Notification { method, params } => match method.as_str() {
                "update" | "update2" | "update3" => Ok(Incoming::Update { method, params }),
                "locked" | "stolen" => Ok(Incoming::Ignored { method }),
                _ => Err(SessionError::Unexpected {
                    kind: "notification",
                    method,
                }),
            },
        }
    }

    fn take(&mut self, id: &Json) -> Result<T, SessionError> {
        id.as_u64()
            .and_then(|n| self.pending.remove(&n))
            .ok_or_else(|| SessionError::UnknownReply(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlates_and_answers_echo() {
        let mut s: Session<&str> = Session::new();
        let Message::Request { id, .. } = s.request("list_dbs", json!([]), "dbs") else {
            panic!()
        };
        let echo = Message::Request {
            id: json!("echo"),
            method: "echo".into(),
            params: json!([]),
        };
        match s.handle(echo).unwrap() {
            Incoming::Echo { reply } => assert_eq!(
                reply.to_json(),
                json!({"result": [], "error": null, "id": "echo"})
            ),
            other => panic!("{other:?}"),
        }
        let reply = Message::Reply {
            id: id.clone(),
            result: json!(["Open_vSwitch"]),
        };
        assert!(matches!(
            s.handle(reply.clone()).unwrap(),
            Incoming::Reply {
                tag: "dbs",
                outcome: Ok(_)
            }
        ));
        assert_eq!(s.handle(reply), Err(SessionError::UnknownReply("1".into())));
        assert_eq!(s.outstanding(), 0);
    }
}
