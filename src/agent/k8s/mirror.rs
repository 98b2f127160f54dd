//! What the controller has been told about one watched kind, and the changes to tell it next.
//!
//! A kube watcher delivers `Init`, `InitApply`… `InitDone` on every (re)list — at start, after a
//! `410 Gone`, after a watch could not be resumed — and `Apply`/`Delete` while watching. A
//! relist reports the objects that exist, not the ones deleted while the watch was down, so
//! [`KindMirror`] buffers the listed objects and, at `InitDone`, diffs them against what the
//! controller already has: deletes for the missing, upserts for the changed, nothing for the
//! rest. Nothing reaches the controller between `Init` and `InitDone`, so a relist never
//! presents a half-listed cluster.
//!
//! Objects the model rejects (an Egress with a bad field) are reported as [`SourceError`]s and
//! treated as absent, as the manifest directory does: an object that becomes invalid is
//! deleted from the controller's view. Upserts whose content did not change (only
//! `resourceVersion` moved) are dropped.
//!
//! Sans-IO: no client, no clock; [`super::source`] drives it from the watcher streams.

use std::collections::BTreeMap;

use ::kube::api::DynamicObject;

use crate::egress::model::Object;

use super::super::source::{Input, Kind, ObjectRef, SourceError};
use super::resources::{api_path, object_ref, to_object};

/// The mirror of one kind.
#[derive(Debug)]
pub struct KindMirror {
    kind: Kind,
    known: BTreeMap<ObjectRef, Object>,
    errors: BTreeMap<ObjectRef, SourceError>,
    listing: Option<Listing>,
    synced: bool,
}

#[derive(Debug, Default)]
struct Listing {
    objects: BTreeMap<ObjectRef, Object>,
    errors: BTreeMap<ObjectRef, SourceError>,
}

/// What one watcher event changed.
#[derive(Debug, Default)]
pub struct MirrorOutput {
    /// Upserts and deletes for the controller, in order.
    pub changes: Vec<Input>,
    /// Whether this kind's error list changed.
    pub errors_changed: bool,
    /// Whether this event completed the first full list of this kind.
    pub first_sync: bool,
}

impl KindMirror {
    /// An empty mirror of `kind`.
    pub fn new(kind: Kind) -> KindMirror {
        KindMirror {
            kind,
            known: BTreeMap::new(),
            errors: BTreeMap::new(),
            listing: None,
            synced: false,
        }
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// What the controller currently has, by identity.
    pub fn known(&self) -> &BTreeMap<ObjectRef, Object> {
        &self.known
    }

    /// The objects currently rejected.
    pub fn errors(&self) -> impl Iterator<Item = &SourceError> {
        self.errors.values()
    }

    /// Whether the first full list has been delivered.
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// A (re)list starts.
    pub fn init(&mut self) {
        self.listing = Some(Listing::default());
    }

    /// One listed object.
    pub fn init_apply(&mut self, obj: &DynamicObject) {
        let r = object_ref(self.kind, obj);
        let converted = to_object(self.kind, obj).map_err(|e| self.error(&r, e.to_string()));
        let listing = self.listing.get_or_insert_with(Listing::default);
        match converted {
            Ok(o) => {
                listing.objects.insert(r, o);
            }
            Err(error) => {
                listing.errors.insert(r, error);
            }
        }
    }

    /// The list is complete: diff it against what the controller has.
    pub fn init_done(&mut self) -> MirrorOutput {
        let listing = self.listing.take().unwrap_or_default();
        let mut out = MirrorOutput::default();
        for r in self.known.keys() {
            if !listing.objects.contains_key(r) {
                out.changes.push(Input::Delete(r.clone()));
            }
        }
        for (r, o) in &listing.objects {
            if self.known.get(r) != Some(o) {
                out.changes.push(Input::Upsert(Box::new(o.clone())));
            }
        }
        self.known = listing.objects;
        out.errors_changed = self.errors != listing.errors;
        self.errors = listing.errors;
        out.first_sync = !self.synced;
        self.synced = true;
        out
    }

    /// An object was added or modified while watching.
    pub fn apply(&mut self, obj: &DynamicObject) -> MirrorOutput {
        let r = object_ref(self.kind, obj);
        let mut out = MirrorOutput::default();
        match to_object(self.kind, obj) {
            Ok(o) => {
                out.errors_changed = self.errors.remove(&r).is_some();
                if self.known.get(&r) != Some(&o) {
                    self.known.insert(r, o.clone());
                    out.changes.push(Input::Upsert(Box::new(o)));
                }
            }
            Err(e) => {
                let error = self.error(&r, e.to_string());
                out.errors_changed = self.errors.get(&r) != Some(&error);
                self.errors.insert(r.clone(), error);
                if self.known.remove(&r).is_some() {
                    out.changes.push(Input::Delete(r));
                }
            }
        }
        out
    }

    /// An object was deleted while watching.
    pub fn delete(&mut self, obj: &DynamicObject) -> MirrorOutput {
        let r = object_ref(self.kind, obj);
        let mut out = MirrorOutput {
            errors_changed: self.errors.remove(&r).is_some(),
            ..MirrorOutput::default()
        };
        if self.known.remove(&r).is_some() {
            out.changes.push(Input::Delete(r));
        }
        out
    }

    fn error(&self, r: &ObjectRef, message: String) -> SourceError {
        SourceError {
            origin: api_path(self.kind, r),
            object: Some(r.clone()),
            message,
        }
    }
}
