//! The OVSDB side as a task: a live `Interface` watch that turns pod rows into
//! [`Input::PortUp`] / [`Input::PortDown`] ([`super::ports`]) and asks for a repair of the
//! bridges when an infrastructure interface disappears or changes, or when the OVSDB connection
//! comes back (the database may have been replaced).

use std::time::Duration;

use tokio::sync::mpsc;

use crate::ovsdb::vswitch::{InterfaceEvent, InterfaceWatch, Vswitch};

use super::ports::{inputs_for, SOURCE};
use super::source::Input;

/// Whether an event concerns one of `infra` (by interface name) in a way that may need repair.
fn touches_infra(event: &InterfaceEvent, infra: &[String]) -> bool {
    let named = |n: &str| infra.iter().any(|i| i == n);
    match event {
        InterfaceEvent::Removed(i) => named(&i.name),
        InterfaceEvent::Added(_) => false,
        InterfaceEvent::Changed { old, new } => {
            named(&new.name) && (old.ofport != new.ofport || old.kind != new.kind)
        }
    }
}

/// Runs until `out` is closed. `repair` receives a unit whenever the bridges should be checked.
pub async fn run(
    vs: Vswitch,
    infra: Vec<String>,
    out: mpsc::UnboundedSender<Input>,
    repair: mpsc::UnboundedSender<()>,
) {
    let mut first = true;
    loop {
        let (mut watch, initial) = match InterfaceWatch::open(&vs).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("OVSDB interface watch failed ({e}); retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
                    _ = out.closed() => return,
                }
            }
        };
        let mut inputs: Vec<Input> = initial.iter().flat_map(inputs_for).collect();
        if first {
            inputs.push(Input::SourceSynced(SOURCE));
            first = false;
        } else {
            let _ = repair.send(());
        }
        for i in inputs {
            if out.send(i).is_err() {
                return;
            }
        }
        let mut synced = true;
        loop {
            let batch = tokio::select! {
                b = watch.next() => b,
                _ = out.closed() => return,
            };
            let Some(batch) = batch else {
                // The client is closed: open a new watch (the client reconnects by itself).
                break;
            };
            let events = match batch {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!("OVSDB interface watch: {e}");
                    continue;
                }
            };
            if watch.is_synced() && !synced {
                // Back after a disconnect: the events are the difference; check the bridges.
                let _ = repair.send(());
            }
            synced = watch.is_synced();
            if events.iter().any(|e| touches_infra(e, &infra)) {
                let _ = repair.send(());
            }
            for e in &events {
                for i in inputs_for(e) {
                    if out.send(i).is_err() {
                        return;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
