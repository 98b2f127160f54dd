//! YAML front end of the loader (feature `agent`): a file with several `---`-separated
//! Kubernetes documents in, typed objects and per-document errors out.
//!
//! Choice: `serde_norway` stays an optional dependency behind `agent`. Each YAML document is
//! converted to a `serde_json::Value` and handed to [`super::load`], so the typed model and all
//! its validation build and test without any YAML parser (for embedders that get objects from
//! the Kubernetes API as JSON).

use serde::Deserialize;

use super::load::{load_into, LoadError, Loaded};

/// Loads every document of a YAML file. A syntax error stops at that document (the YAML stream
/// cannot be resynchronised), keeping the objects loaded before it.
pub fn load_yaml(text: &str) -> Loaded {
    let mut loaded = Loaded::default();
    for (i, doc) in serde_norway::Deserializer::from_str(text).enumerate() {
        let document = i + 1;
        match serde_json::Value::deserialize(doc) {
            Ok(value) => load_into(value, document, &mut loaded),
            Err(e) => {
                loaded.errors.push(LoadError::Syntax {
                    document,
                    message: e.to_string(),
                });
                break;
            }
        }
    }
    loaded
}
