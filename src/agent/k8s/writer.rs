//! Writes the status fields [`super::status::plan_writes`] assigns to this node, and the
//! Kubernetes Events that go with them.
//!
//! - `Egress.status`: read-modify-write on the `status` subresource (`GET` the Egress, change
//!   only this writer's fields, `PUT …/status` with the `resourceVersion` just read). A `409
//!   Conflict` (someone wrote in between, e.g. the allocation writer and the owner) re-reads and
//!   retries, so both writers' conditions survive — Antrea's `UpdateStatus` + `RetryOnConflict`.
//!   A condition's `lastTransitionTime` is kept while its status does not change.
//! - `spec.egressIP`: JSON merge patch carrying the `resourceVersion` read (the server rejects it
//!   with 409 if the object moved; re-read, and stop if another writer pinned an IP meanwhile).
//! - `ExternalIPPool.status.usage`: JSON merge patch of the status subresource (only this
//!   writer touches it; no list inside, so a merge patch cannot drop anyone's data).
//! - Events (core/v1, namespace `default` as client-go's recorder uses for cluster-scoped
//!   objects): `IPAssigned` (Normal) when this node takes an IP, `AssignmentError` /
//!   `AllocationError` (Warning) when a failure condition is first written.
//!
//! API verbs used (and nothing else; `deploy/rbac.yaml` grants exactly these, checked by a test
//! against the requests the code makes): get + patch `egresses`, update `egresses/status`,
//! patch `externalippools/status`, create `events`.

use std::net::IpAddr;
use std::time::Duration;

use ::kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use ::kube::Client;
use serde_json::{json, Map, Value};
use tokio::sync::watch;

use crate::egress::conditions::EgressCondition;
use crate::egress::model::{IpPoolUsage, Timestamp};

use super::super::source::Kind;
use super::resources::api_resource;
use super::status::{EgressStatusWrite, Write};

/// The namespace Events about cluster-scoped objects go to.
pub const EVENT_NAMESPACE: &str = "default";
/// The `source.component` / `reportingComponent` of our Events.
pub const EVENT_COMPONENT: &str = "ovs-egress";

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Every attempt met a newer version of the object.
    #[error("{target}: still conflicting after {attempts} attempts")]
    Conflicts {
        /// The object.
        target: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The API server refused or could not be reached.
    #[error("{target}: {source}")]
    Api {
        /// The object.
        target: String,
        /// The client error.
        #[source]
        source: ::kube::Error,
    },
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The object was changed.
    Written,
    /// The object already said so (or another writer pinned an IP first).
    AlreadyCurrent,
    /// The object no longer exists.
    Gone,
}

/// Writes statuses as one node.
#[derive(Clone)]
pub struct StatusWriter {
    node: String,
    egresses: Api<DynamicObject>,
    pools: Api<DynamicObject>,
    events: Api<DynamicObject>,
    egress_resource: ApiResource,
    max_attempts: u32,
}

fn is_conflict(e: &::kube::Error) -> bool {
    matches!(e, ::kube::Error::Api(s) if s.code == 409)
}

fn is_not_found(e: &::kube::Error) -> bool {
    matches!(e, ::kube::Error::Api(s) if s.code == 404)
}

impl StatusWriter {
    /// A writer for `node`.
    pub fn new(client: Client, node: &str) -> StatusWriter {
        let egress_resource = api_resource(Kind::Egress);
        let events = ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: "Event".into(),
            plural: "events".into(),
        };
        StatusWriter {
            node: node.to_string(),
            egresses: Api::all_with(client.clone(), &egress_resource),
            pools: Api::all_with(client.clone(), &api_resource(Kind::ExternalIPPool)),
            events: Api::namespaced_with(client, EVENT_NAMESPACE, &events),
            egress_resource,
            max_attempts: 8,
        }
    }

    /// Performs one write at time `now`.
    pub async fn apply(&self, write: &Write, now: Timestamp) -> Result<WriteOutcome, WriteError> {
        match write {
            Write::PinEgressIp { egress, ip } => self.pin(egress, *ip).await,
            Write::EgressStatus(w) => self.egress_status(w, now).await,
            Write::PoolUsage { pool, usage } => self.pool_usage(pool, *usage).await,
        }
    }

    async fn pin(&self, egress: &str, ip: IpAddr) -> Result<WriteOutcome, WriteError> {
        let target = format!("Egress {egress} spec.egressIP");
        for attempt in 1..=self.max_attempts {
            let obj = match self.egresses.get(egress).await {
                Ok(o) => o,
                Err(e) if is_not_found(&e) => return Ok(WriteOutcome::Gone),
                Err(source) => return Err(WriteError::Api { target, source }),
            };
            let current = obj.data.pointer("/spec/egressIP").and_then(Value::as_str);
            if current.is_some_and(|s| !s.is_empty()) {
                return Ok(WriteOutcome::AlreadyCurrent);
            }
            let patch = json!({
                "metadata": {"resourceVersion": obj.metadata.resource_version},
                "spec": {"egressIP": ip.to_string()},
            });
            match self
                .egresses
                .patch(egress, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(WriteOutcome::Written),
                Err(e) if is_conflict(&e) => backoff(attempt).await,
                Err(e) if is_not_found(&e) => return Ok(WriteOutcome::Gone),
                Err(source) => return Err(WriteError::Api { target, source }),
            }
        }
        Err(WriteError::Conflicts {
            target,
            attempts: self.max_attempts,
        })
    }

    async fn egress_status(
        &self,
        w: &EgressStatusWrite,
        now: Timestamp,
    ) -> Result<WriteOutcome, WriteError> {
        let target = format!("Egress {} status", w.egress);
        for attempt in 1..=self.max_attempts {
            let mut obj = match self.egresses.get(&w.egress).await {
                Ok(o) => o,
                Err(e) if is_not_found(&e) => return Ok(WriteOutcome::Gone),
                Err(source) => return Err(WriteError::Api { target, source }),
            };
            let before = obj.data.get("status").cloned().unwrap_or(Value::Null);
            let after = merge_status(&before, w, now);
            if after == before {
                return Ok(WriteOutcome::AlreadyCurrent);
            }
            if let Value::Object(map) = &mut obj.data {
                map.insert("status".into(), after.clone());
            }
            match self
                .egresses
                .replace_status(&w.egress, &PostParams::default(), &obj)
                .await
            {
                Ok(written) => {
                    for (type_, reason, message) in self.events_for(&before, &after, w) {
                        self.event(&written, type_, reason, &message, now).await;
                    }
                    return Ok(WriteOutcome::Written);
                }
                Err(e) if is_conflict(&e) => backoff(attempt).await,
                Err(e) if is_not_found(&e) => return Ok(WriteOutcome::Gone),
                Err(source) => return Err(WriteError::Api { target, source }),
            }
        }
        Err(WriteError::Conflicts {
            target,
            attempts: self.max_attempts,
        })
    }

    async fn pool_usage(&self, pool: &str, usage: IpPoolUsage) -> Result<WriteOutcome, WriteError> {
        let patch = json!({"status": {"usage": {"total": usage.total, "used": usage.used}}});
        match self
            .pools
            .patch_status(pool, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => Ok(WriteOutcome::Written),
            Err(e) if is_not_found(&e) => Ok(WriteOutcome::Gone),
            Err(source) => Err(WriteError::Api {
                target: format!("ExternalIPPool {pool} status"),
                source,
            }),
        }
    }

    /// The Events a status change deserves: `(type, reason, message)`.
    fn events_for(
        &self,
        before: &Value,
        after: &Value,
        w: &EgressStatusWrite,
    ) -> Vec<(&'static str, &'static str, String)> {
        let mut out = Vec::new();
        let node_of = |v: &Value| {
            v.get("egressNode")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if let Some((node, Some(ip))) = &w.placement {
            if *node == self.node && node_of(before) != self.node && node_of(after) == self.node {
                out.push((
                    "Normal",
                    "IPAssigned",
                    format!("Assigned Egress {} with IP {ip} on Node {node}", w.egress),
                ));
            }
        }
        for c in &w.set {
            let reason = match c {
                EgressCondition::AssignmentFailed(_) => "AssignmentError",
                EgressCondition::AllocationFailed(_) => "AllocationError",
                _ => continue,
            };
            let had = condition(before, c.type_())
                .is_some_and(|o| o.get("reason").and_then(Value::as_str) == Some(c.reason()));
            if !had {
                out.push(("Warning", reason, c.message()));
            }
        }
        out
    }

    /// Creates one Event; failures are logged (an Event is best effort, as in client-go).
    async fn event(
        &self,
        about: &DynamicObject,
        type_: &str,
        reason: &str,
        message: &str,
        now: Timestamp,
    ) {
        let name = about.metadata.name.clone().unwrap_or_default();
        let unique = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": format!("{name}.{unique:x}"), "namespace": EVENT_NAMESPACE},
            "involvedObject": {
                "apiVersion": self.egress_resource.api_version,
                "kind": self.egress_resource.kind,
                "name": name,
                "uid": about.metadata.uid,
                "resourceVersion": about.metadata.resource_version,
            },
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": EVENT_COMPONENT, "host": self.node},
            "reportingComponent": EVENT_COMPONENT,
            "reportingInstance": self.node,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        });
        let obj: DynamicObject = match serde_json::from_value(event) {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!("cannot build event: {e}");
                return;
            }
        };
        if let Err(e) = self.events.create(&PostParams::default(), &obj).await {
            tracing::warn!(egress = %name, reason, "cannot record event: {e}");
        }
    }

    /// Applies the latest planned writes whenever they change, retrying failed ones every
    /// `retry`, until the sender is dropped.
    pub async fn run(self, mut writes: watch::Receiver<Vec<Write>>, retry: Duration) {
        loop {
            let current = writes.borrow_and_update().clone();
            let mut failed = false;
            for w in &current {
                if let Err(e) = self.apply(w, crate::agent::status::now()).await {
                    tracing::warn!("kubernetes status write: {e}");
                    failed = true;
                }
            }
            if failed {
                tokio::select! {
                    changed = writes.changed() => if changed.is_err() { return },
                    _ = tokio::time::sleep(retry) => {}
                }
            } else if writes.changed().await.is_err() {
                return;
            }
        }
    }
}

async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
}

fn condition<'a>(status: &'a Value, type_: &str) -> Option<&'a Value> {
    status
        .get("conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

/// `status` with this writer's fields applied: placement set or cleared, conditions of the
/// written types replaced in place (new ones appended), removed types dropped, everything else
/// (other writers' conditions, unknown fields) kept. A condition whose status is unchanged
/// keeps its `lastTransitionTime`; otherwise it gets `now`.
pub fn merge_status(status: &Value, w: &EgressStatusWrite, now: Timestamp) -> Value {
    let mut map = match status {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    if let Some((node, ip)) = &w.placement {
        if node.is_empty() {
            map.remove("egressNode");
        } else {
            map.insert("egressNode".into(), Value::String(node.clone()));
        }
        match ip {
            Some(ip) => map.insert("egressIP".into(), Value::String(ip.to_string())),
            None => map.remove("egressIP"),
        };
    }
    let mut conditions: Vec<Value> = map
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    conditions.retain(|c| {
        let t = c.get("type").and_then(Value::as_str).unwrap_or("");
        !w.remove.contains(&t)
    });
    for c in &w.set {
        let want = c.to_status();
        let pos = conditions
            .iter()
            .position(|o| o.get("type").and_then(Value::as_str) == Some(&want.type_));
        let old_time = pos.and_then(|i| conditions.get(i)).and_then(|o| {
            (o.get("status").and_then(Value::as_str) == Some(&want.status))
                .then(|| o.get("lastTransitionTime").cloned())
                .flatten()
        });
        let time = old_time.unwrap_or_else(|| json!(now));
        let value = json!({
            "type": want.type_,
            "status": want.status,
            "lastTransitionTime": time,
            "reason": want.reason,
            "message": want.message,
        });
        match pos.and_then(|i| conditions.get_mut(i)) {
            Some(slot) => *slot = value,
            None => conditions.push(value),
        }
    }
    if conditions.is_empty() {
        map.remove("conditions");
    } else {
        map.insert("conditions".into(), Value::Array(conditions));
    }
    if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    }
}
