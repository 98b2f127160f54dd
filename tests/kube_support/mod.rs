//! An in-process Kubernetes API server for the `kube` feature's tests: real HTTP/1.1 on
//! 127.0.0.1, spoken to by kube's real client, serving exactly the resources the agent uses
//! (Namespaces, Nodes, Pods, Events, Leases, Antrea Egresses and ExternalIPPools).
//!
//! Modelled as kube-apiserver does it:
//! - `GET` collection: list (`{"kind":"<Kind>List","metadata":{"resourceVersion"}}`, items of
//!   built-in kinds without `apiVersion`/`kind` as the real server sends them), `limit` +
//!   `continue` paging, `fieldSelector` (`metadata.name`, `metadata.namespace`, and
//!   `spec.nodeName` for pods; any other field is a 400 "field label not supported");
//! - `?watch=true`: newline-delimited `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
//!   "object":…}` from `resourceVersion` on (`0`/empty: current objects first as ADDED), objects
//!   leaving/entering a field selector as DELETED/ADDED, `allowWatchBookmarks` (periodic and at
//!   the end), `timeoutSeconds`, and an `ERROR` event with a `410 Expired` Status for a version
//!   older than the last compaction;
//! - `GET` object, `PUT` (main and `/status`) with resourceVersion preconditions (409
//!   Conflict), `PATCH` with `application/merge-patch+json` (a `metadata.resourceVersion` in the
//!   patch is a precondition), `POST` create; status subresource isolation; no-op writes do not
//!   bump the version; errors as `metav1.Status`.
//!
//! Test controls: [`FakeApiServer::compact`] (history gone → 410), [`FakeApiServer::break_watches`]
//! (every open watch connection is cut mid-stream), [`FakeApiServer::interfere_once`] (a
//! concurrent writer changes an object just before the next write to it → a genuine 409), and the
//! request log ([`FakeApiServer::requests`]). What it does not model is listed in
//! `docs/kubernetes.md`.
#![allow(dead_code)]

pub mod agent;
pub mod netns;
pub mod status;
pub mod store;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures::channel::mpsc;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

use store::{resource, resource_of_kind, ApiError, RequestRecord, ResourceDef, Store};

type Body = BoxBody<Bytes, std::io::Error>;

struct Shared {
    store: Mutex<Store>,
    revision: watch::Sender<u64>,
    breaker: watch::Sender<u64>,
    frozen: watch::Sender<bool>,
    open_watches: Mutex<usize>,
    bookmark_every: Duration,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify(&self) {
        let rv = self.store().rv;
        self.revision.send_replace(rv);
    }
}

/// The running server.
pub struct FakeApiServer {
    /// Where it listens.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeApiServer {
    /// Starts a server on 127.0.0.1 (random port) that sends a bookmark every
    /// `bookmark_every` on idle watches that asked for bookmarks.
    pub async fn start(bookmark_every: Duration) -> FakeApiServer {
        Self::start_on(bookmark_every, Vec::new()).await
    }

    /// Like [`FakeApiServer::start`], also serving the same store on `extra` listeners (e.g.
    /// bound on the loopback of another network namespace with [`netns::bind_loopback_in`],
    /// for an agent process running there).
    pub async fn start_on(
        bookmark_every: Duration,
        extra: Vec<std::net::TcpListener>,
    ) -> FakeApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut listeners = vec![listener];
        for l in extra {
            l.set_nonblocking(true).unwrap();
            listeners.push(TcpListener::from_std(l).unwrap());
        }
        let shared = Arc::new(Shared {
            store: Mutex::new(Store {
                rv: 100,
                compacted: 100,
                ..Store::default()
            }),
            revision: watch::channel(100).0,
            breaker: watch::channel(0).0,
            frozen: watch::channel(false).0,
            open_watches: Mutex::new(0),
            bookmark_every,
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            futures::future::join_all(
                listeners
                    .into_iter()
                    .map(|listener| accept_loop(listener, s.clone())),
            )
            .await;
        });
        FakeApiServer { addr, shared, task }
    }

    /// A kube client for this server (plain HTTP, no auth).
    pub fn client(&self) -> kube::Client {
        let url: hyper::Uri = format!("http://{}", self.addr).parse().unwrap();
        kube::Client::try_from(kube::Config::new(url)).unwrap()
    }

    fn res(doc: &Value) -> ResourceDef {
        let av = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        resource_of_kind(av, kind).unwrap_or_else(|| panic!("not served: {av} {kind}"))
    }

    /// Creates or replaces (spec and status alike, as an admin would) one document, as
    /// `kubectl apply` stores it. Returns the stored object.
    pub fn apply(&self, doc: Value) -> Value {
        let res = Self::res(&doc);
        let ns = doc
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let out = {
            let mut st = self.shared.store();
            let mut doc = doc;
            // The server owns creationTimestamp.
            if let Some(Value::Object(m)) = doc.get_mut("metadata") {
                m.remove("creationTimestamp");
                m.remove("resourceVersion");
            }
            if st.get(&res, &ns, &name).is_some() {
                let status = doc.get("status").cloned();
                let mut out = st.update(&res, &ns, &name, doc, false).unwrap();
                if let Some(s) = status {
                    out = st
                        .update(&res, &ns, &name, json!({"status": s}), true)
                        .unwrap();
                }
                out
            } else {
                st.create(&res, &ns, doc).unwrap()
            }
        };
        self.shared.notify();
        out
    }

    /// Applies every document of a YAML text.
    pub fn apply_yaml(&self, text: &str) {
        for doc in serde_norway::Deserializer::from_str(text) {
            let v: Value = serde::Deserialize::deserialize(doc).unwrap();
            if !v.is_null() {
                self.apply(v);
            }
        }
    }

    /// Deletes an object.
    pub fn delete(&self, api_version: &str, kind: &str, ns: &str, name: &str) {
        let res = resource_of_kind(api_version, kind).unwrap();
        self.shared.store().delete(&res, ns, name).unwrap();
        self.shared.notify();
    }

    /// The stored object.
    pub fn get(&self, api_version: &str, kind: &str, ns: &str, name: &str) -> Option<Value> {
        let res = resource_of_kind(api_version, kind).unwrap();
        self.shared.store().get(&res, ns, name).cloned()
    }

    /// Every stored object of a kind.
    pub fn list(&self, api_version: &str, kind: &str) -> Vec<Value> {
        let res = resource_of_kind(api_version, kind).unwrap();
        self.shared.store().list(&res, None)
    }

    /// Changes an object in place (a write by someone else; bumps the version).
    pub fn modify(
        &self,
        api_version: &str,
        kind: &str,
        ns: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) {
        let res = resource_of_kind(api_version, kind).unwrap();
        {
            let mut st = self.shared.store();
            let mut obj = st.get(&res, ns, name).cloned().unwrap();
            f(&mut obj);
            let status = obj.get("status").cloned().unwrap_or(Value::Null);
            st.update(&res, ns, name, obj, false).unwrap();
            st.update(&res, ns, name, json!({"status": status}), true)
                .unwrap();
        }
        self.shared.notify();
    }

    /// Before the next write to this object, `hook` changes it as another client would.
    pub fn interfere_once(
        &self,
        api_version: &str,
        kind: &str,
        ns: &str,
        name: &str,
        hook: impl FnOnce(&mut Value) + Send + 'static,
    ) {
        let res = resource_of_kind(api_version, kind).unwrap();
        let ns = if res.namespaced {
            ns.to_string()
        } else {
            String::new()
        };
        self.shared
            .store()
            .interfere
            .push(((res.plural, ns, name.to_string()), Box::new(hook)));
    }

    /// Compacts the history: watches resuming from an older version get 410 Gone.
    pub fn compact(&self) {
        self.shared.store().compact();
    }

    /// Cuts every open watch connection mid-stream (no terminating chunk).
    pub fn break_watches(&self) {
        self.shared.breaker.send_modify(|g| *g += 1);
    }

    /// While frozen, open watches deliver nothing (a stalled watch cache or a partition);
    /// changes made meanwhile reach them only after [`FakeApiServer::thaw`].
    pub fn freeze_watches(&self) {
        self.shared.frozen.send_replace(true);
    }

    /// Ends [`FakeApiServer::freeze_watches`].
    pub fn thaw(&self) {
        self.shared.frozen.send_replace(false);
    }

    /// Watch connections currently open.
    pub fn open_watches(&self) -> usize {
        *self.shared.open_watches.lock().unwrap()
    }

    /// The current resourceVersion.
    pub fn revision(&self) -> u64 {
        self.shared.store().rv
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.store().log.clone()
    }

    /// 409 responses served so far.
    pub fn conflicts(&self) -> u64 {
        self.shared.store().conflicts
    }
}

fn full(code: StatusCode, v: &Value) -> Response<Body> {
    let body = Full::new(Bytes::from(serde_json::to_vec(v).unwrap()))
        .map_err(|never| match never {})
        .boxed();
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

fn error(e: &ApiError) -> Response<Body> {
    full(StatusCode::from_u16(e.code).unwrap(), &e.status())
}

fn bad(code: u16, reason: &'static str, message: String) -> Response<Body> {
    error(&ApiError {
        code,
        reason,
        message,
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(req: &Request<Incoming>) -> Vec<(String, String)> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// A parsed field selector: (field, must equal?, value).
type FieldSelector = Vec<(String, bool, String)>;

fn parse_field_selector(res: &ResourceDef, s: &str) -> Result<FieldSelector, ApiError> {
    let mut out = Vec::new();
    for term in s.split(',').filter(|t| !t.is_empty()) {
        let (field, eq, value) = if let Some((f, v)) = term.split_once("!=") {
            (f, false, v)
        } else if let Some((f, v)) = term.split_once("==") {
            (f, true, v)
        } else if let Some((f, v)) = term.split_once('=') {
            (f, true, v)
        } else {
            return Err(ApiError {
                code: 400,
                reason: "BadRequest",
                message: format!("invalid field selector term {term:?}"),
            });
        };
        let supported = matches!(field, "metadata.name" | "metadata.namespace")
            || (res.plural == "pods" && field == "spec.nodeName");
        if !supported {
            return Err(ApiError {
                code: 400,
                reason: "BadRequest",
                message: format!("field label not supported: {field}"),
            });
        }
        out.push((field.to_string(), eq, value.to_string()));
    }
    Ok(out)
}

fn field_value<'a>(obj: &'a Value, field: &str) -> &'a str {
    let ptr = format!("/{}", field.replace('.', "/"));
    obj.pointer(&ptr).and_then(Value::as_str).unwrap_or("")
}

fn selects(sel: &FieldSelector, ns: Option<&str>, obj: &Value) -> bool {
    if let Some(ns) = ns {
        if field_value(obj, "metadata.namespace") != ns {
            return false;
        }
    }
    sel.iter()
        .all(|(f, eq, v)| (field_value(obj, f) == v) == *eq)
}

/// A list item as the server sends it: built-in kinds without apiVersion/kind.
fn list_item(res: &ResourceDef, mut obj: Value) -> Value {
    if res.group.is_empty() {
        if let Value::Object(m) = &mut obj {
            m.remove("apiVersion");
            m.remove("kind");
        }
    }
    obj
}

struct Target {
    res: ResourceDef,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

fn parse_path(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..] => (Some(ns.to_string()), {
            let mut r = vec![*plural];
            r.extend_from_slice(tail);
            r
        }),
        other => (None, other.to_vec()),
    };
    let res = resource(group, version, rest.first()?)?;
    if namespace.is_some() && !res.namespaced {
        return None;
    }
    Some(Target {
        res,
        namespace,
        name: rest.get(1).map(|s| s.to_string()),
        subresource: rest.get(2).map(|s| s.to_string()),
    })
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let Some(t) = parse_path(req.uri().path()) else {
        return bad(
            404,
            "NotFound",
            format!(
                "the server could not find the requested resource ({})",
                req.uri().path()
            ),
        );
    };
    let q = query(&req);
    let param = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let is_watch = matches!(param("watch").as_deref(), Some("true" | "1"));
    let verb = match (req.method().clone(), t.name.is_some()) {
        (Method::GET, false) if is_watch => "watch",
        (Method::GET, false) => "list",
        (Method::GET, true) => "get",
        (Method::POST, false) => "create",
        (Method::PUT, true) => "update",
        (Method::PATCH, true) => "patch",
        (Method::DELETE, true) => "delete",
        _ => return bad(405, "MethodNotAllowed", "method not allowed".into()),
    };
    shared.store().log.push(RequestRecord {
        verb: verb.to_string(),
        group: t.res.group.to_string(),
        resource: match &t.subresource {
            Some(s) => format!("{}/{s}", t.res.plural),
            None => t.res.plural.to_string(),
        },
        namespace: t.namespace.clone().unwrap_or_default(),
    });
    if let Some(s) = &t.subresource {
        if s != "status" || !t.res.status || !matches!(verb, "get" | "update" | "patch") {
            return bad(404, "NotFound", format!("subresource {s} not found"));
        }
    }
    let ns = t.namespace.clone().unwrap_or_default();
    let status = t.subresource.is_some();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match verb {
        "list" | "watch" => {
            let sel =
                match parse_field_selector(&t.res, &param("fieldSelector").unwrap_or_default()) {
                    Ok(s) => s,
                    Err(e) => return error(&e),
                };
            if param("labelSelector").is_some_and(|s| !s.is_empty()) {
                return bad(
                    400,
                    "BadRequest",
                    "labelSelector is not modelled by this server".into(),
                );
            }
            if verb == "list" {
                list(&shared, &t, &sel, param("limit"), param("continue"))
            } else {
                let from = param("resourceVersion").unwrap_or_default();
                let bookmarks = param("allowWatchBookmarks").as_deref() == Some("true");
                let timeout = param("timeoutSeconds")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(1800u64);
                start_watch(
                    shared,
                    t,
                    sel,
                    from,
                    bookmarks,
                    Duration::from_secs(timeout),
                )
            }
        }
        "get" => {
            let name = t.name.clone().unwrap_or_default();
            match shared.store().get(&t.res, &ns, &name) {
                Some(o) => full(StatusCode::OK, o),
                None => bad(
                    404,
                    "NotFound",
                    format!("{} \"{name}\" not found", t.res.qualified()),
                ),
            }
        }
        _ => {
            let body = match req.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return bad(400, "BadRequest", e.to_string()),
            };
            let doc: Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => return bad(400, "BadRequest", format!("invalid JSON: {e}")),
            };
            let name = t.name.clone().unwrap_or_default();
            let result = {
                let mut st = shared.store();
                match verb {
                    "create" => st.create(&t.res, &ns, doc).map(|o| (StatusCode::CREATED, o)),
                    "update" => {
                        if field_value(&doc, "metadata.name") != name {
                            Err(ApiError { code: 400, reason: "BadRequest", message: "the name of the object does not match the name on the URL".into() })
                        } else {
                            st.update(&t.res, &ns, &name, doc, status).map(|o| (StatusCode::OK, o))
                        }
                    }
                    "patch" if content_type.starts_with("application/merge-patch+json") => {
                        st.patch(&t.res, &ns, &name, &doc, status).map(|o| (StatusCode::OK, o))
                    }
                    "patch" => Err(ApiError { code: 415, reason: "UnsupportedMediaType", message: format!("the body of the request was in an unknown format - accepted media types include: application/merge-patch+json (this server); got {content_type}") }),
                    _ => st.delete(&t.res, &ns, &name).map(|o| (StatusCode::OK, o)),
                }
            };
            shared.notify();
            match result {
                Ok((code, o)) => full(code, &o),
                Err(e) => error(&e),
            }
        }
    }
}

fn list(
    shared: &Shared,
    t: &Target,
    sel: &FieldSelector,
    limit: Option<String>,
    cont: Option<String>,
) -> Response<Body> {
    let st = shared.store();
    // continue token: "<rv>:<offset>" (the real one is opaque); expired after compaction.
    let (at_rv, offset) = match cont.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            let Some((rv, off)) = c
                .split_once(':')
                .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<usize>().ok()?)))
            else {
                return bad(400, "BadRequest", "invalid continue token".into());
            };
            if rv < st.compacted {
                return bad(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.".into());
            }
            (rv, off)
        }
        None => (st.rv, 0),
    };
    let items: Vec<Value> = st
        .list(&t.res, t.namespace.as_deref())
        .into_iter()
        .filter(|o| selects(sel, None, o))
        .collect();
    let limit = limit
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(limit)
        .cloned()
        .map(|o| list_item(&t.res, o))
        .collect();
    let next = offset.saturating_add(page.len());
    let mut meta = json!({"resourceVersion": at_rv.to_string()});
    if next < items.len() {
        meta["continue"] = json!(format!("{at_rv}:{next}"));
        meta["remainingItemCount"] = json!(items.len() - next);
    }
    full(
        StatusCode::OK,
        &json!({
            "kind": format!("{}List", t.res.kind),
            "apiVersion": t.res.api_version(),
            "metadata": meta,
            "items": page,
        }),
    )
}

fn line(v: &Value) -> Result<Frame<Bytes>, std::io::Error> {
    let mut b = serde_json::to_vec(v).unwrap();
    b.push(b'\n');
    Ok(Frame::data(Bytes::from(b)))
}

fn start_watch(
    shared: Arc<Shared>,
    t: Target,
    sel: FieldSelector,
    from: String,
    bookmarks: bool,
    timeout: Duration,
) -> Response<Body> {
    let (tx, rx) = mpsc::unbounded::<Result<Frame<Bytes>, std::io::Error>>();
    let body = StreamBody::new(rx).boxed();
    tokio::spawn(watch_task(shared, t, sel, from, bookmarks, timeout, tx));
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("transfer-encoding", "chunked")
        .body(body)
        .unwrap()
}

async fn watch_task(
    shared: Arc<Shared>,
    t: Target,
    sel: FieldSelector,
    from: String,
    bookmarks: bool,
    timeout: Duration,
    tx: mpsc::UnboundedSender<Result<Frame<Bytes>, std::io::Error>>,
) {
    *shared.open_watches.lock().unwrap() += 1;
    let mut revision = shared.revision.subscribe();
    let mut breaker = shared.breaker.subscribe();
    breaker.borrow_and_update();
    let deadline = tokio::time::Instant::now() + timeout;
    let ns = t.namespace.clone();
    let bookmark = |rv: u64| json!({"type": "BOOKMARK", "object": {"kind": t.res.kind, "apiVersion": t.res.api_version(), "metadata": {"resourceVersion": rv.to_string()}}});
    let mut pos: u64 = match from.as_str() {
        "" | "0" => {
            // "Start at most recent": the current objects as ADDED, then changes.
            let st = shared.store();
            for o in st.list(&t.res, ns.as_deref()) {
                if selects(&sel, None, &o)
                    && tx
                        .unbounded_send(line(&json!({"type": "ADDED", "object": o})))
                        .is_err()
                {
                    break;
                }
            }
            st.rv
        }
        v => match v.parse() {
            Ok(v) => v,
            Err(_) => {
                let _ = tx.unbounded_send(line(&json!({"type": "ERROR", "object": ApiError { code: 400, reason: "BadRequest", message: format!("invalid resource version {v:?}") }.status()})));
                *shared.open_watches.lock().unwrap() -= 1;
                return;
            }
        },
    };
    let mut frozen = shared.frozen.subscribe();
    'outer: loop {
        while *frozen.borrow_and_update() {
            tokio::select! {
                r = frozen.changed() => if r.is_err() { break 'outer },
                _ = breaker.changed() => {
                    let _ = tx.unbounded_send(Err(std::io::Error::other("connection cut by test")));
                    break 'outer;
                }
            }
        }
        let (events, expired, now_rv) = {
            let st = shared.store();
            if pos < st.compacted {
                (Vec::new(), Some(st.compacted), st.rv)
            } else {
                let mut out = Vec::new();
                for c in st
                    .history
                    .iter()
                    .filter(|c| c.rv > pos && c.plural == t.res.plural)
                {
                    let m = |o: &Option<Value>| {
                        o.as_ref().is_some_and(|o| selects(&sel, ns.as_deref(), o))
                    };
                    let ev = match (&c.old, &c.new) {
                        (Some(old), None) if m(&c.old) => Some(("DELETED", old.clone())),
                        (_, Some(new)) if m(&c.new) && !m(&c.old) => Some(("ADDED", new.clone())),
                        (Some(_), Some(new)) if m(&c.new) => Some(("MODIFIED", new.clone())),
                        (Some(_), Some(new)) if m(&c.old) => Some(("DELETED", new.clone())),
                        _ => None,
                    };
                    if let Some((ty, obj)) = ev {
                        out.push(json!({"type": ty, "object": obj}));
                    }
                }
                (out, None, st.rv)
            }
        };
        if let Some(compacted) = expired {
            let status = ApiError {
                code: 410,
                reason: "Expired",
                message: format!("too old resource version: {pos} ({compacted})"),
            }
            .status();
            let _ = tx.unbounded_send(line(&json!({"type": "ERROR", "object": status})));
            break;
        }
        for e in &events {
            if tx.unbounded_send(line(e)).is_err() {
                break 'outer;
            }
        }
        pos = now_rv;
        tokio::select! {
            r = revision.changed() => if r.is_err() { break },
            _ = breaker.changed() => {
                let _ = tx.unbounded_send(Err(std::io::Error::other("connection cut by test")));
                break;
            }
            _ = tokio::time::sleep_until(deadline) => {
                if bookmarks {
                    let _ = tx.unbounded_send(line(&bookmark(pos)));
                }
                break;
            }
            _ = tokio::time::sleep(shared.bookmark_every), if bookmarks => {
                if tx.unbounded_send(line(&bookmark(pos))).is_err() {
                    break;
                }
            }
        }
    }
    *shared.open_watches.lock().unwrap() -= 1;
}

async fn accept_loop(listener: TcpListener, s: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let s = s.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let s = s.clone();
                async move { Ok::<_, Infallible>(handle(s, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// Waits (polling every 20 ms, up to `secs`) until `f` holds; panics with `what` otherwise.
pub async fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f() {
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
