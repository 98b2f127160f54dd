//! JSON-RPC 1.0 messages as ovsdb-server speaks them.
//!
//! Mirrors `lib/jsonrpc.c` (`jsonrpc_msg_from_json`, `jsonrpc_msg_to_json`):
//! - the members are exactly `method`, `params`, `result`, `error`, `id`; any other member is
//!   rejected (so never `"jsonrpc": "2.0"`), and a JSON `null` member counts as absent;
//! - the kind follows OVS: non-null `result` → reply, non-null `error` → error reply, non-null
//!   `id` → request, else notification;
//! - requests and notifications carry a `params` array; replies are sent with both `result` and
//!   `error` present, one of them `null`.

use serde_json::{json, Value as Json};

/// A message that is not valid JSON-RPC 1.0 in the OVSDB dialect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonRpcError {
    /// Not a JSON object.
    #[error("message is not a JSON object")]
    NotAnObject,
    /// A member other than method/params/result/error/id.
    #[error("message has unexpected member {0:?}")]
    UnexpectedMember(String),
    /// A member with the wrong JSON type or a combination OVS rejects.
    #[error("invalid message: {0}")]
    Invalid(&'static str),
}

/// One JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A call expecting a reply with the same `id`.
    Request {
        /// The request id (any non-null JSON; ours are integers, OVS's echo uses `"echo"`).
        id: Json,
        /// Method name.
        method: String,
        /// Parameters (an array).
        params: Json,
    },
    /// A call without reply (`id: null`), e.g. `update2`.
    Notification {
        /// Method name.
        method: String,
        /// Parameters (an array).
        params: Json,
    },
    /// A successful reply.
    Reply {
        /// Id of the request answered.
        id: Json,
        /// The result.
        result: Json,
    },
    /// An error reply (e.g. `{"error": "unknown database"}` or a bare string).
    Error {
        /// Id of the request answered.
        id: Json,
        /// The error value.
        error: Json,
    },
}

fn non_null(v: Option<Json>) -> Option<Json> {
    v.filter(|j| !j.is_null())
}

impl Message {
    /// Validates and converts a parsed JSON value.
    pub fn from_json(json: Json) -> Result<Message, JsonRpcError> {
        let Json::Object(mut o) = json else {
            return Err(JsonRpcError::NotAnObject);
        };
        let method = match o.remove("method") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s),
            Some(_) => return Err(JsonRpcError::Invalid("method is not a JSON string")),
        };
        let params = non_null(o.remove("params"));
        let result = non_null(o.remove("result"));
        let error = non_null(o.remove("error"));
        let id = non_null(o.remove("id"));
        if let Some(extra) = o.keys().next() {
            return Err(JsonRpcError::UnexpectedMember(extra.clone()));
        }
        if let Some(result) = result {
            if error.is_some() || method.is_some() || params.is_some() {
                return Err(JsonRpcError::Invalid("reply with method, params or error"));
            }
            let id = id.ok_or(JsonRpcError::Invalid("reply without id"))?;
            return Ok(Message::Reply { id, result });
        }
        if let Some(error) = error {
            if method.is_some() || params.is_some() {
                return Err(JsonRpcError::Invalid("error reply with method or params"));
            }
            let id = id.ok_or(JsonRpcError::Invalid("error reply without id"))?;
            return Ok(Message::Error { id, error });
        }
        let method = method.ok_or(JsonRpcError::Invalid("request without method"))?;
        let params = match params {
            Some(p @ Json::Array(_)) => p,
            _ => return Err(JsonRpcError::Invalid("params is not a JSON array")),
        };
        Ok(match id {
            Some(id) => Message::Request { id, method, params },
            None => Message::Notification { method, params },
        })
    }

    /// The wire form.
    pub fn to_json(&self) -> Json {
        match self {
            Message::Request { id, method, params } => {
                json!({"method": method, "params": params, "id": id})
            }
            Message::Notification { method, params } => {
                json!({"method": method, "params": params, "id": null})
            }
            Message::Reply { id, result } => json!({"result": result, "error": null, "id": id}),
            Message::Error { id, error } => json!({"result": null, "error": error, "id": id}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_ovs() {
        let echo = json!({"method": "echo", "params": [], "id": "echo"});
        assert_eq!(
            Message::from_json(echo.clone()).unwrap(),
            Message::Request {
                id: json!("echo"),
                method: "echo".into(),
                params: json!([])
            }
        );
        let upd = json!({"method": "update2", "params": [1, {}], "id": null});
        assert!(matches!(
            Message::from_json(upd).unwrap(),
            Message::Notification { .. }
        ));
        let reply = json!({"result": ["Open_vSwitch"], "error": null, "id": 3});
        let m = Message::from_json(reply.clone()).unwrap();
        assert_eq!(m.to_json(), reply);
        let err = json!({"result": null, "error": {"error": "unknown database"}, "id": 4});
        assert!(matches!(
            Message::from_json(err).unwrap(),
            Message::Error { .. }
        ));
    }

    #[test]
    fn rejects_what_ovs_rejects() {
        assert_eq!(
            Message::from_json(json!({"jsonrpc": "2.0", "method": "x", "params": [], "id": 1})),
            Err(JsonRpcError::UnexpectedMember("jsonrpc".into()))
        );
        assert!(Message::from_json(json!([1])).is_err());
        assert!(Message::from_json(json!({"method": "x", "id": 1})).is_err());
        assert!(Message::from_json(json!({"method": 1, "params": []})).is_err());
        assert!(Message::from_json(json!({"result": 1})).is_err());
    }
}
