//! The manifest directory source: Kubernetes-style YAML files (Pod, Namespace, Node, Egress,
//! ExternalIPPool; several documents per file; Antrea manifests unchanged), turned into
//! [`Input`]s for the controller.
//!
//! Semantics (the same for every agent reading the directory, so all of them compute the same
//! owners from the same files):
//! - the directory's current contents are the truth: an object exists while a valid document
//!   for it exists; a document that stops being valid removes its object (no "last good version",
//!   which would differ between agents started at different times);
//! - files are read recursively in path order (`*.yaml`, `*.yml`, `*.json`; hidden files, editor
//!   leftovers and the status directory are skipped); when two documents define the same object,
//!   the first in path order wins and the other is reported;
//! - a bad document is reported ([`SourceError`]) and does not affect any other document.
//!   Write files atomically (write a temporary file, then rename it) so a reader never sees half a
//!   file; changes are debounced ([`watch`]) as a second line of defence.
//!
//! [`ManifestDir::rescan`] reads the directory and returns the difference to the previous scan as
//! upserts and deletes; unchanged files are not parsed again (content hash).

pub mod watch;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use crate::egress::model::{load_yaml, LoadError, Object};

use super::source::{Input, Kind, ObjectRef, SourceError};

/// The source name used in [`Input::SourceErrors`].
pub const SOURCE: &str = "manifests";

/// One parsed file, cached by content hash.
#[derive(Debug, Clone)]
struct ParsedFile {
    hash: u32,
    len: usize,
    objects: Vec<Object>,
    errors: Vec<LoadError>,
}

/// The state of the manifest directory as last read.
#[derive(Debug)]
pub struct ManifestDir {
    dir: PathBuf,
    exclude: Vec<PathBuf>,
    files: HashMap<PathBuf, ParsedFile>,
    objects: BTreeMap<ObjectRef, Object>,
    errors: Vec<SourceError>,
}

/// What one rescan changed.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Upserts and deletes, deletes first.
    pub changes: Vec<Input>,
    /// Whether the error list differs from the previous scan's.
    pub errors_changed: bool,
}

impl ManifestDir {
    /// A source for `dir`, skipping the directories in `exclude` (the status directory).
    pub fn new(dir: &Path, exclude: &[PathBuf]) -> ManifestDir {
        ManifestDir {
            dir: dir.to_path_buf(),
            exclude: exclude.to_vec(),
            files: HashMap::new(),
            objects: BTreeMap::new(),
            errors: Vec::new(),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The objects of the last scan.
    pub fn objects(&self) -> &BTreeMap<ObjectRef, Object> {
        &self.objects
    }

    /// The problems of the last scan.
    pub fn errors(&self) -> &[SourceError] {
        &self.errors
    }

    /// Whether `path` is something a scan reads (for filtering file-system events).
    pub fn is_relevant(&self, path: &Path) -> bool {
        if self.exclude.iter().any(|e| path.starts_with(e)) {
            return false;
        }
        match path.strip_prefix(&self.dir) {
            Ok(rel) => !rel.components().any(|c| is_hidden(c.as_os_str())),
            Err(_) => false,
        }
    }

    /// Reads the directory and returns what changed since the previous scan.
    pub fn rescan(&mut self) -> ScanResult {
        let mut errors = Vec::new();
        let mut paths = Vec::new();
        if let Err(e) = self.list(&self.dir.clone(), &mut paths) {
            errors.push(SourceError {
                origin: self.dir.display().to_string(),
                object: None,
                message: format!("cannot read the manifest directory: {e}"),
            });
        }
        paths.sort();
        let mut files = HashMap::with_capacity(paths.len());
        for path in paths {
            let rel = self.relative(&path);
            let text = match fs::read_to_string(&path) {
                Ok(t) => t,
                // Removed between listing and reading: it is simply gone.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    errors.push(SourceError {
                        origin: rel,
                        object: None,
                        message: format!("cannot read: {e}"),
                    });
                    continue;
                }
            };
            let hash = crc32fast::hash(text.as_bytes());
            let parsed = match self.files.remove(&path) {
                Some(p) if p.hash == hash && p.len == text.len() => p,
                _ => {
                    let loaded = load_yaml(&text);
                    ParsedFile {
                        hash,
                        len: text.len(),
                        objects: loaded.objects,
                        errors: loaded.errors,
                    }
                }
            };
            files.insert(path, parsed);
        }
        self.files = files;

        let mut objects: BTreeMap<ObjectRef, Object> = BTreeMap::new();
        let mut origin_of: BTreeMap<ObjectRef, String> = BTreeMap::new();
        let mut sorted: Vec<(&PathBuf, &ParsedFile)> = self.files.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (path, parsed) in sorted {
            let rel = self.relative(path);
            for e in &parsed.errors {
                errors.push(SourceError {
                    origin: rel.clone(),
                    object: load_error_object(e),
                    message: e.to_string(),
                });
            }
            for o in &parsed.objects {
                let r = ObjectRef::of(o);
                if let Some(first) = origin_of.get(&r) {
                    errors.push(SourceError {
                        origin: rel.clone(),
                        object: Some(r.clone()),
                        message: format!("{r} is already defined in {first}; this one is ignored"),
                    });
                    continue;
                }
                origin_of.insert(r.clone(), rel.clone());
                objects.insert(r, o.clone());
            }
        }
        errors.sort();

        let mut changes = Vec::new();
        for r in self.objects.keys() {
            if !objects.contains_key(r) {
                changes.push(Input::Delete(r.clone()));
            }
        }
        for (r, o) in &objects {
            if self.objects.get(r) != Some(o) {
                changes.push(Input::Upsert(Box::new(o.clone())));
            }
        }
        self.objects = objects;
        let errors_changed = errors != self.errors;
        self.errors = errors;
        ScanResult {
            changes,
            errors_changed,
        }
    }

    /// The current errors as an input.
    pub fn errors_input(&self) -> Input {
        Input::SourceErrors {
            source: SOURCE,
            errors: self.errors.clone(),
        }
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.dir)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    fn list(&self, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            if is_hidden(&entry.file_name()) || self.exclude.iter().any(|e| &path == e) {
                continue;
            }
            let ty = entry.file_type()?;
            if ty.is_dir() {
                // A subdirectory that vanishes while we read it is simply gone.
                let _ = self.list(&path, out);
            } else if is_manifest_name(&path) {
                out.push(path);
            }
        }
        Ok(())
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    let n = name.to_string_lossy();
    n.starts_with('.') || n.ends_with('~') || n.ends_with(".swp") || n.ends_with(".tmp")
}

fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// The object a load error concerns, when the error names one.
fn load_error_object(e: &LoadError) -> Option<ObjectRef> {
    let (kind, name) = match e {
        LoadError::ApiVersion { kind, name, .. } | LoadError::Field { kind, name, .. } => {
            (kind.as_str(), name.as_str())
        }
        _ => return None,
    };
    let kind = match kind {
        "Namespace" => Kind::Namespace,
        "Node" => Kind::Node,
        "Pod" => Kind::Pod,
        "ExternalIPPool" => Kind::ExternalIPPool,
        "Egress" => Kind::Egress,
        _ => return None,
    };
    Some(ObjectRef {
        kind,
        namespace: String::new(),
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests;
