//! Turns Kubernetes-style documents into typed objects, with errors that name the object
//! (`kind name`) and the field path (`spec.ipRanges[1].cidr`).
//!
//! The core works on `serde_json::Value` documents so it builds without a YAML parser; the YAML
//! front end ([`super::yaml`], feature `agent`) splits a file into documents and hands each one
//! here. Unknown kinds are reported per document and do not stop the others. `kind: List`
//! (what `kubectl get -o yaml` prints) is expanded into its `items`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::core::{Namespace, Node, Pod};
use super::egress::Egress;
use super::external_ip_pool::ExternalIPPool;
use crate::egress::pool::PoolRanges;

/// API versions accepted for the Antrea CRDs (v1alpha2 was Antrea ≤ v1.12's, same shape).
pub const ANTREA_API_VERSIONS: [&str; 2] = ["crd.antrea.io/v1beta1", "crd.antrea.io/v1alpha2"];

/// One typed object from a manifest. (Variants differ in size; objects are few and moved once,
/// so they are not boxed.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// core/v1 Pod.
    Pod(Pod),
    /// core/v1 Namespace.
    Namespace(Namespace),
    /// core/v1 Node.
    Node(Node),
    /// crd.antrea.io Egress.
    Egress(Egress),
    /// crd.antrea.io ExternalIPPool.
    ExternalIPPool(ExternalIPPool),
}

impl Object {
    /// The object's kind as written in manifests.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Pod(_) => "Pod",
            Object::Namespace(_) => "Namespace",
            Object::Node(_) => "Node",
            Object::Egress(_) => "Egress",
            Object::ExternalIPPool(_) => "ExternalIPPool",
        }
    }

    /// The object's name.
    pub fn name(&self) -> &str {
        match self {
            Object::Pod(o) => &o.metadata.name,
            Object::Namespace(o) => &o.metadata.name,
            Object::Node(o) => &o.metadata.name,
            Object::Egress(o) => &o.metadata.name,
            Object::ExternalIPPool(o) => &o.metadata.name,
        }
    }
}

/// Why a document could not be turned into an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The text is not valid YAML/JSON (message includes the position).
    Syntax {
        /// 1-based document number in the file.
        document: usize,
        /// Parser message.
        message: String,
    },
    /// A document that is not a mapping with a `kind`.
    NotAnObject {
        /// 1-based document number in the file.
        document: usize,
    },
    /// A kind this domain does not load (Service, Deployment…); the other documents still load.
    UnknownKind {
        /// 1-based document number in the file.
        document: usize,
        /// The kind as written.
        kind: String,
        /// `metadata.name`, if any.
        name: String,
    },
    /// A known kind with an `apiVersion` we do not accept.
    ApiVersion {
        /// Kind.
        kind: String,
        /// Name.
        name: String,
        /// The apiVersion as written.
        api_version: String,
    },
    /// A field that is unknown, missing, of the wrong type or with an invalid value.
    Field {
        /// Kind.
        kind: String,
        /// Name (`<unnamed>` if the document has none).
        name: String,
        /// Field path, e.g. `spec.egressIP` (empty for the whole object).
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Syntax { document, message } => {
                write!(f, "document {document}: {message}")
            }
            LoadError::NotAnObject { document } => {
                write!(f, "document {document}: not a Kubernetes object (no kind)")
            }
            LoadError::UnknownKind {
                document,
                kind,
                name,
            } => write!(
                f,
                "document {document}: {kind} {name}: unknown kind {kind:?} (expected Pod, \
                 Namespace, Node, Egress or ExternalIPPool)"
            ),
            LoadError::ApiVersion {
                kind,
                name,
                api_version,
            } => write!(
                f,
                "{kind} {name}: apiVersion {api_version:?} is not supported"
            ),
            LoadError::Field {
                kind,
                name,
                path,
                message,
            } if path.is_empty() => write!(f, "{kind} {name}: {message}"),
            LoadError::Field {
                kind,
                name,
                path,
                message,
            } => write!(f, "{kind} {name}: {path}: {message}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Objects and per-document errors of one load; errors do not prevent the other objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Successfully loaded objects, in document order.
    pub objects: Vec<Object>,
    /// One entry per rejected document.
    pub errors: Vec<LoadError>,
}

/// Loads documents (already parsed into JSON values), expanding `kind: List`. `Null`
/// documents (an empty document between two `---`) are skipped.
pub fn load_values(documents: impl IntoIterator<Item = Value>) -> Loaded {
    let mut loaded = Loaded::default();
    for (i, doc) in documents.into_iter().enumerate() {
        load_into(doc, i + 1, &mut loaded);
    }
    loaded
}

/// Loads one document (1-based number `document`) into `loaded`.
pub fn load_into(doc: Value, document: usize, loaded: &mut Loaded) {
    match doc {
        Value::Null => {}
        Value::Object(ref map) if map.get("kind").and_then(Value::as_str) == Some("List") => {
            if let Some(Value::Array(items)) = map.get("items") {
                for item in items.clone() {
                    load_into(item, document, loaded);
                }
            }
        }
        doc => match load_value(doc, document) {
            Ok(obj) => loaded.objects.push(obj),
            Err(e) => loaded.errors.push(e),
        },
    }
}

/// Loads and validates one document.
pub fn load_value(doc: Value, document: usize) -> Result<Object, LoadError> {
    let Some(kind) = doc.get("kind").and_then(Value::as_str).map(str::to_string) else {
        return Err(LoadError::NotAnObject { document });
    };
    let name = doc
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>")
        .to_string();
    let api_version = doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let core = api_version == "v1";
    let antrea = ANTREA_API_VERSIONS.contains(&api_version.as_str());
    let version_ok = match kind.as_str() {
        "Pod" | "Namespace" | "Node" => core,
        "Egress" | "ExternalIPPool" => antrea,
        _ => {
            return Err(LoadError::UnknownKind {
                document,
                kind,
                name,
            })
        }
    };
    if !version_ok {
        return Err(LoadError::ApiVersion {
            kind,
            name,
            api_version,
        });
    }
    let obj = match kind.as_str() {
        "Pod" => Object::Pod(typed(doc, &kind, &name)?),
        "Namespace" => Object::Namespace(typed(doc, &kind, &name)?),
        "Node" => Object::Node(typed(doc, &kind, &name)?),
        "Egress" => Object::Egress(typed(doc, &kind, &name)?),
        _ => Object::ExternalIPPool(typed(doc, &kind, &name)?),
    };
    validate(&obj)?;
    Ok(obj)
}

fn typed<T: DeserializeOwned>(doc: Value, kind: &str, name: &str) -> Result<T, LoadError> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e.path().to_string();
        LoadError::Field {
            kind: kind.to_string(),
            name: name.to_string(),
            path: if path == "." { String::new() } else { path },
            message: e.into_inner().to_string(),
        }
    })
}

/// Checks rules that span several fields (the CRD's `oneOf`, range overlap, subnet family).
/// Called by the loader; call it too for objects built another way (e.g. from the API).
pub fn validate(obj: &Object) -> Result<(), LoadError> {
    let err = |path: &str, message: String| LoadError::Field {
        kind: obj.kind().to_string(),
        name: obj.name().to_string(),
        path: path.to_string(),
        message,
    };
    if obj.name().is_empty() {
        return Err(err("metadata.name", "must not be empty".into()));
    }
    match obj {
        Object::Egress(e) => {
            let single = e.spec.egress_ip.is_some() || e.spec.external_ip_pool.is_some();
            let multi = !e.spec.egress_ips.is_empty() || !e.spec.external_ip_pools.is_empty();
            if !single && !multi {
                return Err(err(
                    "spec",
                    "one of egressIP or externalIPPool is required".into(),
                ));
            }
            if single && multi {
                return Err(err(
                    "spec",
                    "egressIP/externalIPPool and egressIPs/externalIPPools are mutually exclusive"
                        .into(),
                ));
            }
            Ok(())
        }
        Object::ExternalIPPool(p) => {
            if let Err(e) = PoolRanges::new(&p.spec.ip_ranges) {
                return Err(err(&e.path(), e.to_string()));
            }
            if let Some(s) = &p.spec.subnet_info {
                let max = if s.gateway.is_ipv4() { 32 } else { 127 };
                if s.prefix_length > max {
                    return Err(err(
                        "spec.subnetInfo.prefixLength",
                        format!(
                            "{} is too long for gateway {} (at most {max})",
                            s.prefix_length, s.gateway
                        ),
                    ));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
