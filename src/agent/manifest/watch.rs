//! Runs a [`ManifestDir`] as a task: an initial scan, then a rescan shortly after every
//! relevant inotify event (the `notify` crate; events are debounced so a burst of writes is one
//! rescan), and a periodic full rescan as a safety net (missed or overflowed events, a
//! directory created after the agent started, network file systems without inotify).

use std::path::PathBuf;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};

use super::{ManifestDir, SOURCE};
use crate::agent::source::Input;

/// How long after the last file-system event the directory is rescanned.
pub const DEBOUNCE: Duration = Duration::from_millis(80);

/// Why the watcher could not start (the periodic rescan keeps working without it).
fn start_watcher(
    dir: &std::path::Path,
    events: mpsc::UnboundedSender<Vec<PathBuf>>,
) -> notify::Result<RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        // An error (e.g. an inotify queue overflow) is answered with a full rescan: an empty
        // path list means "something happened somewhere".
        let paths = res.map(|ev| ev.paths).unwrap_or_default();
        let _ = events.send(paths);
    })?;
    watcher.watch(dir, RecursiveMode::Recursive)?;
    Ok(watcher)
}

/// Scans `dir` once, sends the result and [`Input::SourceSynced`], then keeps `out` up to date
/// until `out` is closed.
pub async fn run(mut dir: ManifestDir, rescan_every: Duration, out: mpsc::UnboundedSender<Input>) {
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<Vec<PathBuf>>();
    let mut watcher: Option<RecommendedWatcher> = None;
    let mut first = true;
    let mut next_rescan = Instant::now();
    let mut pending: Option<Instant> = None;
    loop {
        let due = pending.map_or(next_rescan, |p| p.min(next_rescan));
        tokio::select! {
            _ = sleep_until(due) => {
                if watcher.is_none() {
                    match start_watcher(dir.dir(), ev_tx.clone()) {
                        Ok(w) => watcher = Some(w),
                        Err(e) => tracing::warn!(
                            dir = %dir.dir().display(),
                            "cannot watch the manifest directory ({e}); rescanning every {rescan_every:?}"
                        ),
                    }
                }
                let result = dir.rescan();
                let mut inputs = result.changes;
                if result.errors_changed || first {
                    for e in dir.errors() {
                        tracing::warn!(origin = %e.origin, "invalid manifest: {}", e.message);
                    }
                    inputs.push(dir.errors_input());
                }
                if first {
                    inputs.push(Input::SourceSynced(SOURCE));
                    first = false;
                }
                for input in inputs {
                    if out.send(input).is_err() {
                        return;
                    }
                }
                pending = None;
                next_rescan = Instant::now() + rescan_every;
            }
            paths = ev_rx.recv() => {
                let Some(paths) = paths else { continue };
                if paths.is_empty() || paths.iter().any(|p| dir.is_relevant(p)) {
                    pending = Some(Instant::now() + DEBOUNCE);
                }
            }
            _ = out.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::source::ObjectRef;

    const POD: &str =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p1, namespace: web, labels: {app: a}}\n";

    async fn next(rx: &mut mpsc::UnboundedReceiver<Input>) -> Input {
        tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("no input within 30 s")
            .expect("channel closed")
    }

    #[tokio::test]
    async fn initial_scan_then_inotify_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_path_buf();
        std::fs::write(d.join("a.yaml"), POD).unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        // A long rescan period: changes must arrive through inotify.
        let task = tokio::spawn(run(
            ManifestDir::new(&d, &[d.join("status")]),
            Duration::from_secs(3600),
            tx,
        ));
        assert!(matches!(next(&mut rx).await, Input::Upsert(_)));
        assert!(matches!(next(&mut rx).await, Input::SourceErrors { .. }));
        assert!(matches!(next(&mut rx).await, Input::SourceSynced(SOURCE)));
        // A relabel, written atomically.
        std::fs::write(d.join(".a.yaml.tmp"), POD.replace("app: a", "app: b")).unwrap();
        std::fs::rename(d.join(".a.yaml.tmp"), d.join("a.yaml")).unwrap();
        match next(&mut rx).await {
            Input::Upsert(o) => assert_eq!(ObjectRef::of(&o).name, "p1"),
            other => panic!("{other:?}"),
        }
        // Writes in the status directory are not manifest changes; a removal is.
        std::fs::create_dir_all(d.join("status")).unwrap();
        std::fs::write(d.join("status/node1.yaml"), POD).unwrap();
        std::fs::remove_file(d.join("a.yaml")).unwrap();
        match next(&mut rx).await {
            Input::Delete(r) => assert_eq!(r.name, "p1"),
            other => panic!("{other:?}"),
        }
        drop(rx);
        task.abort();
    }
}
