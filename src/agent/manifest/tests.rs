use std::fs;

use super::*;

const POOL: &str = "
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: pool-a}
spec:
  ipRanges: [{start: 10.105.18.100, end: 10.105.18.100}]
  nodeSelector: {}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: eg-a}
spec:
  appliedTo: {podSelector: {matchLabels: {app: a}}}
  externalIPPool: pool-a
";

const POD: &str = "
apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: web, labels: {app: a}}
spec: {nodeName: node1}
";

fn names(changes: &[Input]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            Input::Upsert(o) => format!("+{}", ObjectRef::of(o)),
            Input::Delete(r) => format!("-{r}"),
            other => format!("?{other:?}"),
        })
        .collect()
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn scan_diff_add_change_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(&d.join("a.yaml"), POOL);
    write(&d.join("sub/pods.yml"), POD);
    let mut m = ManifestDir::new(d, &[d.join("status")]);
    let r = m.rescan();
    assert_eq!(
        names(&r.changes),
        ["+Pod web/p1", "+ExternalIPPool pool-a", "+Egress eg-a"]
    );
    assert!(m.errors().is_empty(), "{:?}", m.errors());
    // Nothing changed: nothing reported.
    assert!(m.rescan().changes.is_empty());
    // Relabel the pod, remove the pool file.
    write(&d.join("sub/pods.yml"), &POD.replace("app: a", "app: b"));
    fs::remove_file(d.join("a.yaml")).unwrap();
    let r = m.rescan();
    assert_eq!(
        names(&r.changes),
        ["-ExternalIPPool pool-a", "-Egress eg-a", "+Pod web/p1"]
    );
}

#[test]
fn skipped_files_and_status_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(&d.join("status/node1.yaml"), POD);
    write(&d.join(".hidden.yaml"), POD);
    write(&d.join("x.yaml~"), POD);
    write(&d.join("x.yaml.tmp"), POD);
    write(&d.join("notes.txt"), "not yaml: [");
    let mut m = ManifestDir::new(d, &[d.join("status")]);
    assert!(m.rescan().changes.is_empty());
    assert!(m.errors().is_empty());
    assert!(!m.is_relevant(&d.join("status/node1.yaml")));
    assert!(!m.is_relevant(&d.join(".x.yaml")));
    assert!(m.is_relevant(&d.join("sub/x.yaml")));
}

#[test]
fn bad_documents_do_not_affect_others() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let bad_pool = "
apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: pool-bad}
spec:
  ipRanges: [{cidr: 10.105.18.0/33}]
";
    write(&d.join("a.yaml"), POOL);
    write(&d.join("b.yaml"), &format!("{bad_pool}\n---\n{POD}"));
    let mut m = ManifestDir::new(d, &[]);
    let r = m.rescan();
    assert_eq!(
        names(&r.changes),
        ["+Pod web/p1", "+ExternalIPPool pool-a", "+Egress eg-a"]
    );
    assert!(r.errors_changed);
    let errs = m.errors();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].origin, "b.yaml");
    assert_eq!(
        errs[0].object.as_ref().map(ToString::to_string).as_deref(),
        Some("ExternalIPPool pool-bad")
    );
    assert!(
        errs[0].message.contains("10.105.18.0/33"),
        "{}",
        errs[0].message
    );
    // A previously valid object that becomes invalid disappears, and is reported.
    write(
        &d.join("a.yaml"),
        &POOL.replace("end: 10.105.18.100", "end: 10.105.18.99"),
    );
    let r = m.rescan();
    assert_eq!(names(&r.changes), ["-ExternalIPPool pool-a"]);
    assert_eq!(m.errors().len(), 2);
    // Fixing it brings it back and clears the error.
    write(&d.join("a.yaml"), POOL);
    let r = m.rescan();
    assert_eq!(names(&r.changes), ["+ExternalIPPool pool-a"]);
    assert!(r.errors_changed);
    assert_eq!(m.errors().len(), 1);
}

#[test]
fn duplicates_first_file_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(&d.join("1.yaml"), POD);
    write(&d.join("2.yaml"), &POD.replace("app: a", "app: z"));
    let mut m = ManifestDir::new(d, &[]);
    let r = m.rescan();
    assert_eq!(names(&r.changes), ["+Pod web/p1"]);
    match &r.changes[0] {
        Input::Upsert(o) => match o.as_ref() {
            crate::egress::model::Object::Pod(p) => {
                assert_eq!(p.metadata.labels.get("app").map(String::as_str), Some("a"))
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(m.errors().len(), 1);
    assert_eq!(m.errors()[0].origin, "2.yaml");
    assert!(m.errors()[0].message.contains("already defined in 1.yaml"));
}

#[test]
fn missing_directory_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let mut m = ManifestDir::new(&tmp.path().join("nope"), &[]);
    let r = m.rescan();
    assert!(r.changes.is_empty());
    assert_eq!(m.errors().len(), 1);
    assert!(m.errors()[0]
        .message
        .contains("cannot read the manifest directory"));
}
