//! The five API resources the Kubernetes source reads, and the conversion of an API object
//! (a kube [`DynamicObject`]) into the egress model's typed [`Object`].
//!
//! Conversion goes through the same loader as the manifest directory
//! ([`crate::egress::model::load_value`]), so an object read from the API is accepted or
//! rejected exactly as the same YAML in a file would be. Two API-isms are normalised first:
//! list items of built-in kinds carry no `apiVersion`/`kind` (the server omits them), so they are
//! set from the resource being watched; and `metadata.resourceVersion` is dropped, because it
//! changes on every write (kubelet heartbeats, our own status writes) while the controller only
//! cares about content — keeping it would turn every heartbeat into a recomputation.

use ::kube::api::{ApiResource, DynamicObject};
use serde_json::Value;

use crate::egress::model::{load_value, LoadError, Object};

use super::super::source::{Kind, ObjectRef};

/// The API group of Antrea's CRDs.
pub const ANTREA_GROUP: &str = "crd.antrea.io";
/// The version of Antrea's CRDs we watch (served by Antrea ≥ v1.13; the only one since v2.0).
pub const ANTREA_VERSION: &str = "v1beta1";

/// Every kind the source watches, in the order the first sync delivers them (namespaces and
/// nodes before pods and pools before Egresses, so the controller's first view is complete
/// object by object; the controller waits for the sync marker anyway).
pub const WATCHED: [Kind; 5] = [
    Kind::Namespace,
    Kind::Node,
    Kind::Pod,
    Kind::ExternalIPPool,
    Kind::Egress,
];

/// The API resource of `kind` (group, version, plural).
pub fn api_resource(kind: Kind) -> ApiResource {
    let (group, version, plural) = match kind {
        Kind::Namespace => ("", "v1", "namespaces"),
        Kind::Node => ("", "v1", "nodes"),
        Kind::Pod => ("", "v1", "pods"),
        Kind::ExternalIPPool => (ANTREA_GROUP, ANTREA_VERSION, "externalippools"),
        Kind::Egress => (ANTREA_GROUP, ANTREA_VERSION, "egresses"),
    };
    let api_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    ApiResource {
        group: group.to_string(),
        version: version.to_string(),
        api_version,
        kind: kind.as_str().to_string(),
        plural: plural.to_string(),
    }
}

/// The identity of an API object of `kind` (namespace only for Pods, as the model keys them).
pub fn object_ref(kind: Kind, obj: &DynamicObject) -> ObjectRef {
    ObjectRef {
        kind,
        namespace: match kind {
            Kind::Pod => obj.metadata.namespace.clone().unwrap_or_default(),
            _ => String::new(),
        },
        name: obj.metadata.name.clone().unwrap_or_default(),
    }
}

/// The API path of an object, for error messages (`/api/v1/namespaces/ns/pods/name`).
pub fn api_path(kind: Kind, r: &ObjectRef) -> String {
    let res = api_resource(kind);
    let prefix = if res.group.is_empty() {
        format!("/api/{}", res.version)
    } else {
        format!("/apis/{}/{}", res.group, res.version)
    };
    if r.namespace.is_empty() {
        format!("{prefix}/{}/{}", res.plural, r.name)
    } else {
        format!(
            "{prefix}/namespaces/{}/{}/{}",
            r.namespace, res.plural, r.name
        )
    }
}

/// The JSON document of an API object, with `apiVersion`/`kind` set from `kind` and the
/// volatile metadata removed (see the module docs).
pub fn to_document(kind: Kind, obj: &DynamicObject) -> Value {
    let res = api_resource(kind);
    let mut doc = serde_json::to_value(obj).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut doc {
        map.insert("apiVersion".into(), Value::String(res.api_version));
        map.insert("kind".into(), Value::String(res.kind));
        if let Some(Value::Object(meta)) = map.get_mut("metadata") {
            meta.remove("resourceVersion");
            meta.remove("managedFields");
        }
    }
    doc
}

/// Converts an API object of `kind` into the model, validated as the manifest loader does.
pub fn to_object(kind: Kind, obj: &DynamicObject) -> Result<Object, LoadError> {
    load_value(to_document(kind, obj), 1)
}
