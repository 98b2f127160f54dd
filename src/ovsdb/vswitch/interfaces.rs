//! A live view of `Interface` rows with the CNI's `external_ids` and `ofport`.
//!
//! Antrea's CNI writes, per pod interface, `external_ids` `pod-name`, `pod-namespace`,
//! `ip-address` (comma-separated when dual-stack), `attached-mac` and `antrea-type`
//! (`container`, `gateway`, `tunnel`, ...). This watch monitors `Interface` columns `name`,
//! `type`, `ofport`, `external_ids`, `error` with `monitor_cond` and turns row events into typed
//! [`InterfaceEvent`]s. Invariant: after a reconnect the events describe exactly what changed
//! since the last state seen (see [`crate::ovsdb::client::MonitorView`]).

use std::collections::BTreeMap;
use std::net::IpAddr;

use uuid::Uuid;

use super::{Vswitch, VswitchError, DB};
use crate::ovsdb::client::{ClientError, MonitorView};
use crate::ovsdb::proto::{Datum, Row, RowEvent, TableMonitor};

/// The pod an interface belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PodRef {
    /// `external_ids:pod-namespace`.
    pub namespace: String,
    /// `external_ids:pod-name`.
    pub name: String,
}

/// One Interface row as the watch sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Row UUID.
    pub uuid: Uuid,
    /// Interface name.
    pub name: String,
    /// `type` (`""` for a system device, `internal`, `patch`, `geneve`, ...).
    pub kind: String,
    /// OpenFlow port number once ovs-vswitchd has set it (`-1`: setup failed).
    pub ofport: Option<i64>,
    /// `external_ids`.
    pub external_ids: BTreeMap<String, String>,
    /// `error`, set by ovs-vswitchd when setup failed.
    pub error: Option<String>,
}

impl InterfaceInfo {
    /// Builds the info from a monitored row.
    pub fn from_row(uuid: Uuid, row: &Row) -> InterfaceInfo {
        let text = |c: &str| row.get(c).and_then(Datum::as_str).map(str::to_owned);
        InterfaceInfo {
            uuid,
            name: text("name").unwrap_or_default(),
            kind: text("type").unwrap_or_default(),
            ofport: row.get("ofport").and_then(Datum::as_i64),
            external_ids: row
                .get("external_ids")
                .map(Datum::to_string_map)
                .unwrap_or_default(),
            error: text("error"),
        }
    }

    /// The pod, if `pod-name` and `pod-namespace` are set.
    pub fn pod(&self) -> Option<PodRef> {
        Some(PodRef {
            namespace: self.external_ids.get("pod-namespace")?.clone(),
            name: self.external_ids.get("pod-name")?.clone(),
        })
    }

    /// `ip-address`, split on commas; unparsable entries are skipped.
    pub fn ip_addresses(&self) -> Vec<IpAddr> {
        self.external_ids
            .get("ip-address")
            .map(|s| s.split(',').filter_map(|a| a.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// `attached-mac`.
    pub fn attached_mac(&self) -> Option<&str> {
        self.external_ids.get("attached-mac").map(String::as_str)
    }

    /// `antrea-type` (`container` for pod interfaces).
    pub fn antrea_type(&self) -> Option<&str> {
        self.external_ids.get("antrea-type").map(String::as_str)
    }

    /// The ofport if it is a usable port number.
    pub fn valid_ofport(&self) -> Option<u32> {
        self.ofport
            .filter(|p| *p > 0)
            .and_then(|p| u32::try_from(p).ok())
    }
}

/// A change in the set of interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceEvent {
    /// A new interface.
    Added(InterfaceInfo),
    /// Something watched changed (external_ids, ofport, type, error).
    Changed {
        /// Before.
        old: InterfaceInfo,
        /// After.
        new: InterfaceInfo,
    },
    /// The interface is gone.
    Removed(InterfaceInfo),
}

impl InterfaceEvent {
    /// The interface after the event (before it, for removals).
    pub fn interface(&self) -> &InterfaceInfo {
        match self {
            InterfaceEvent::Added(i) | InterfaceEvent::Removed(i) => i,
            InterfaceEvent::Changed { new, .. } => new,
        }
    }

    fn from_row_event(ev: RowEvent) -> InterfaceEvent {
        match ev {
            RowEvent::Added { uuid, row, .. } => {
                InterfaceEvent::Added(InterfaceInfo::from_row(uuid, &row))
            }
            RowEvent::Changed { uuid, old, new, .. } => InterfaceEvent::Changed {
                old: InterfaceInfo::from_row(uuid, &old),
                new: InterfaceInfo::from_row(uuid, &new),
            },
            RowEvent::Removed { uuid, row, .. } => {
                InterfaceEvent::Removed(InterfaceInfo::from_row(uuid, &row))
            }
        }
    }
}

/// The monitored columns.
pub const INTERFACE_COLUMNS: [&str; 5] = ["name", "type", "ofport", "external_ids", "error"];

/// A live view of all Interface rows.
#[derive(Debug)]
pub struct InterfaceWatch {
    view: MonitorView,
}

impl InterfaceWatch {
    /// Starts watching; returns the watch and an `Added` event per existing interface.
    pub async fn open(vs: &Vswitch) -> Result<(InterfaceWatch, Vec<InterfaceEvent>), VswitchError> {
        let schema = vs.schema().await?;
        let tables = vec![TableMonitor::new("Interface", &INTERFACE_COLUMNS)];
        let (view, events) = MonitorView::open_with_schema(vs.client(), DB, schema, tables).await?;
        let events = events
            .into_iter()
            .map(InterfaceEvent::from_row_event)
            .collect();
        Ok((InterfaceWatch { view }, events))
    }

    /// The next batch of events (one per changed row of one server message; may be empty, e.g.
    /// on a disconnect). `None` when the client is closed.
    pub async fn next(&mut self) -> Option<Result<Vec<InterfaceEvent>, ClientError>> {
        let r = self.view.next().await?;
        Some(r.map(|evs| {
            evs.into_iter()
                .map(InterfaceEvent::from_row_event)
                .collect()
        }))
    }

    /// False between a lost connection and the resync after it.
    pub fn is_synced(&self) -> bool {
        self.view.is_synced()
    }

    /// All interfaces known now, by name.
    pub fn interfaces(&self) -> BTreeMap<String, InterfaceInfo> {
        self.view
            .view()
            .table("Interface")
            .map(|(u, r)| {
                let i = InterfaceInfo::from_row(*u, r);
                (i.name.clone(), i)
            })
            .collect()
    }

    /// One interface by name.
    pub fn get(&self, name: &str) -> Option<InterfaceInfo> {
        self.view
            .view()
            .table("Interface")
            .find(|(_, r)| r.get("name").and_then(Datum::as_str) == Some(name))
            .map(|(u, r)| InterfaceInfo::from_row(*u, r))
    }
}
