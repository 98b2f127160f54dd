//! The fake API server's storage: objects with resourceVersions, the change history watches
//! replay from, compaction (for `410 Gone`), and the request log.
//!
//! Mirrors kube-apiserver + etcd semantics for the few resources the agent uses: one global,
//! strictly increasing resourceVersion (etcd's revision) stamped on every write; `uid` and
//! `creationTimestamp` set on create and kept after; no-op updates do not bump the version;
//! writes to the main resource of a kind with a status subresource keep the stored status, and
//! writes to `/status` change only the status.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{json, Map, Value};

/// A resource the server serves.
#[derive(Debug, Clone, Copy)]
pub struct ResourceDef {
    /// API group ("" for core).
    pub group: &'static str,
    /// Version.
    pub version: &'static str,
    /// Plural (URL segment).
    pub plural: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Has a `status` subresource.
    pub status: bool,
}

impl ResourceDef {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `plural` or `plural.group` (as error messages name it).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The resources served (exactly the ones the agent uses).
pub const RESOURCES: [ResourceDef; 7] = [
    ResourceDef {
        group: "",
        version: "v1",
        plural: "namespaces",
        kind: "Namespace",
        namespaced: false,
        status: true,
    },
    ResourceDef {
        group: "",
        version: "v1",
        plural: "nodes",
        kind: "Node",
        namespaced: false,
        status: true,
    },
    ResourceDef {
        group: "",
        version: "v1",
        plural: "pods",
        kind: "Pod",
        namespaced: true,
        status: true,
    },
    ResourceDef {
        group: "",
        version: "v1",
        plural: "events",
        kind: "Event",
        namespaced: true,
        status: false,
    },
    ResourceDef {
        group: "coordination.k8s.io",
        version: "v1",
        plural: "leases",
        kind: "Lease",
        namespaced: true,
        status: false,
    },
    ResourceDef {
        group: "crd.antrea.io",
        version: "v1beta1",
        plural: "egresses",
        kind: "Egress",
        namespaced: false,
        status: true,
    },
    ResourceDef {
        group: "crd.antrea.io",
        version: "v1beta1",
        plural: "externalippools",
        kind: "ExternalIPPool",
        namespaced: false,
        status: true,
    },
];

/// Finds a resource by group, version and plural.
pub fn resource(group: &str, version: &str, plural: &str) -> Option<ResourceDef> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
        .copied()
}

/// Finds a resource by apiVersion and kind (for documents applied by tests).
pub fn resource_of_kind(api_version: &str, kind: &str) -> Option<ResourceDef> {
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    // crd.antrea.io/v1alpha2 manifests are served as v1beta1 (same schema), as a conversion
    // would; Antrea ≥ v2.0 serves only v1beta1.
    let version = if group == "crd.antrea.io" {
        "v1beta1"
    } else {
        version
    };
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.kind == kind)
        .copied()
}

/// Storage key: plural, namespace ("" for cluster-scoped), name.
pub type Key = (&'static str, String, String);

/// One stored change (what watches replay).
#[derive(Debug, Clone)]
pub struct Change {
    /// The revision of the change.
    pub rv: u64,
    /// The resource.
    pub plural: &'static str,
    /// Object before (None: created).
    pub old: Option<Value>,
    /// Object after (None: deleted; then `old` carries the final version stamped with `rv`).
    pub new: Option<Value>,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestRecord {
    /// Kubernetes verb (get, list, watch, create, update, patch, delete).
    pub verb: String,
    /// API group.
    pub group: String,
    /// `plural` or `plural/subresource`.
    pub resource: String,
    /// Namespace ("" for cluster-wide requests).
    pub namespace: String,
}

/// Why a write failed (mapped to a Status response).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP code.
    pub code: u16,
    /// Status reason.
    pub reason: &'static str,
    /// Message.
    pub message: String,
}

impl ApiError {
    /// A `metav1.Status` document.
    pub fn status(&self) -> Value {
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        })
    }
}

/// A hook run before the next write to one object (to simulate a concurrent writer).
pub type Interference = Box<dyn FnOnce(&mut Value) + Send>;

/// All state.
#[derive(Default)]
pub struct Store {
    /// Last revision.
    pub rv: u64,
    /// Objects.
    pub objects: BTreeMap<Key, Value>,
    /// Changes with rv > `compacted`.
    pub history: VecDeque<Change>,
    /// Revisions ≤ this are no longer in `history` (watches from before get 410).
    pub compacted: u64,
    /// Requests, in arrival order.
    pub log: Vec<RequestRecord>,
    /// Pending interferences by key.
    pub interfere: Vec<(Key, Interference)>,
    /// Number of 409s served.
    pub conflicts: u64,
    /// Last uid suffix handed out.
    pub uids: u64,
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    ovs_egress::egress::model::Timestamp::from_unix(secs as i64).to_string()
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(field)?.as_str()
}

fn set_meta(obj: &mut Value, field: &str, value: Value) {
    if let Some(Value::Object(m)) = obj.get_mut("metadata") {
        m.insert(field.to_string(), value);
    }
}

impl Store {
    fn key(res: &ResourceDef, ns: &str, name: &str) -> Key {
        let ns = if res.namespaced {
            ns.to_string()
        } else {
            String::new()
        };
        (res.plural, ns, name.to_string())
    }

    fn record(&mut self, res: &ResourceDef, old: Option<Value>, new: Option<Value>) {
        self.history.push_back(Change {
            rv: self.rv,
            plural: res.plural,
            old,
            new,
        });
    }

    /// The stored object.
    pub fn get(&self, res: &ResourceDef, ns: &str, name: &str) -> Option<&Value> {
        self.objects.get(&Self::key(res, ns, name))
    }

    /// Objects of a resource (in `ns` if given), sorted by namespace and name.
    pub fn list(&self, res: &ResourceDef, ns: Option<&str>) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((p, n, _), _)| *p == res.plural && ns.is_none_or(|ns| ns == n))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Creates an object (409 AlreadyExists if present).
    pub fn create(
        &mut self,
        res: &ResourceDef,
        ns: &str,
        mut obj: Value,
    ) -> Result<Value, ApiError> {
        let name = meta_str(&obj, "name").unwrap_or("").to_string();
        if name.is_empty() {
            return Err(ApiError {
                code: 422,
                reason: "Invalid",
                message: "metadata.name: Required value".into(),
            });
        }
        let key = Self::key(res, ns, &name);
        if self.objects.contains_key(&key) {
            return Err(ApiError {
                code: 409,
                reason: "AlreadyExists",
                message: format!("{} \"{name}\" already exists", res.qualified()),
            });
        }
        self.rv += 1;
        self.uids += 1;
        if let Value::Object(m) = &mut obj {
            m.insert("apiVersion".into(), json!(res.api_version()));
            m.insert("kind".into(), json!(res.kind));
        }
        set_meta(&mut obj, "resourceVersion", json!(self.rv.to_string()));
        set_meta(
            &mut obj,
            "uid",
            json!(format!("00000000-0000-4000-8000-{:012x}", self.uids)),
        );
        set_meta(&mut obj, "creationTimestamp", json!(now_rfc3339()));
        set_meta(&mut obj, "generation", json!(1));
        if res.namespaced {
            set_meta(&mut obj, "namespace", json!(ns));
        }
        self.objects.insert(key, obj.clone());
        self.record(res, None, Some(obj.clone()));
        Ok(obj)
    }

    fn conflict(&mut self, res: &ResourceDef, name: &str) -> ApiError {
        self.conflicts += 1;
        ApiError {
            code: 409,
            reason: "Conflict",
            message: format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                res.qualified()
            ),
        }
    }

    fn not_found(res: &ResourceDef, name: &str) -> ApiError {
        ApiError {
            code: 404,
            reason: "NotFound",
            message: format!("{} \"{name}\" not found", res.qualified()),
        }
    }

    /// Runs a pending interference for `key` (a concurrent writer) as a real update.
    fn run_interference(&mut self, res: &ResourceDef, key: &Key) {
        let Some(pos) = self.interfere.iter().position(|(k, _)| k == key) else {
            return;
        };
        let (_, hook) = self.interfere.remove(pos);
        if let Some(old) = self.objects.get(key).cloned() {
            let mut new = old.clone();
            hook(&mut new);
            self.commit(res, key.clone(), old, new);
        }
    }

    fn commit(&mut self, res: &ResourceDef, key: Key, old: Value, mut new: Value) -> Value {
        let mut a = old.clone();
        let mut b = new.clone();
        set_meta(&mut a, "resourceVersion", Value::Null);
        set_meta(&mut b, "resourceVersion", Value::Null);
        if a == b {
            return old; // no-op update: nothing written, version unchanged
        }
        self.rv += 1;
        set_meta(&mut new, "resourceVersion", json!(self.rv.to_string()));
        self.objects.insert(key, new.clone());
        self.record(res, Some(old), Some(new.clone()));
        new
    }

    /// PUT (main resource or `status`): optimistic concurrency on `metadata.resourceVersion`.
    pub fn update(
        &mut self,
        res: &ResourceDef,
        ns: &str,
        name: &str,
        body: Value,
        status: bool,
    ) -> Result<Value, ApiError> {
        let key = Self::key(res, ns, name);
        self.run_interference(res, &key);
        let Some(old) = self.objects.get(&key).cloned() else {
            return Err(Self::not_found(res, name));
        };
        let want_rv = meta_str(&body, "resourceVersion").unwrap_or("");
        if !want_rv.is_empty() && Some(want_rv) != meta_str(&old, "resourceVersion") {
            return Err(self.conflict(res, name));
        }
        let new = self.merged(res, &old, body, status);
        Ok(self.commit(res, key, old, new))
    }

    /// PATCH with a JSON merge patch; a `metadata.resourceVersion` in the patch is a precondition.
    pub fn patch(
        &mut self,
        res: &ResourceDef,
        ns: &str,
        name: &str,
        patch: &Value,
        status: bool,
    ) -> Result<Value, ApiError> {
        let key = Self::key(res, ns, name);
        self.run_interference(res, &key);
        let Some(old) = self.objects.get(&key).cloned() else {
            return Err(Self::not_found(res, name));
        };
        if let Some(want) = patch
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
        {
            if Some(want) != meta_str(&old, "resourceVersion") {
                return Err(self.conflict(res, name));
            }
        }
        let mut body = old.clone();
        merge_patch(&mut body, patch);
        let new = self.merged(res, &old, body, status);
        Ok(self.commit(res, key, old, new))
    }

    /// The object a write produces: identity fields from the stored object; `status` only
    /// from a status write, everything but `status` only from a main-resource write.
    fn merged(&self, res: &ResourceDef, old: &Value, body: Value, status: bool) -> Value {
        let mut new = if status {
            let mut n = old.clone();
            if let Value::Object(m) = &mut n {
                match body.get("status") {
                    Some(s) if !s.is_null() => m.insert("status".into(), s.clone()),
                    _ => m.remove("status"),
                };
            }
            n
        } else {
            let mut n = body;
            if res.status {
                if let Value::Object(m) = &mut n {
                    match old.get("status") {
                        Some(s) => m.insert("status".into(), s.clone()),
                        None => m.remove("status"),
                    };
                }
            }
            n
        };
        for f in [
            "uid",
            "creationTimestamp",
            "namespace",
            "name",
            "generation",
        ] {
            if let Some(v) = old.get("metadata").and_then(|m| m.get(f)) {
                set_meta(&mut new, f, v.clone());
            }
        }
        if let Value::Object(m) = &mut new {
            m.insert("apiVersion".into(), json!(res.api_version()));
            m.insert("kind".into(), json!(res.kind));
        }
        new
    }

    /// Deletes an object.
    pub fn delete(&mut self, res: &ResourceDef, ns: &str, name: &str) -> Result<Value, ApiError> {
        let key = Self::key(res, ns, name);
        let Some(mut old) = self.objects.remove(&key) else {
            return Err(Self::not_found(res, name));
        };
        self.rv += 1;
        set_meta(&mut old, "resourceVersion", json!(self.rv.to_string()));
        self.record(res, Some(old.clone()), None);
        Ok(old)
    }

    /// Drops all history (as etcd compaction + watch cache eviction): watches and continue
    /// tokens from before now get `410 Gone`.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.rv;
    }
}
