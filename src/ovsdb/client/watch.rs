//! A monitor plus a local replica: turns update2 notifications into row events.
//!
//! Invariant: after every call to [`MonitorView::next`] the replica ([`MonitorView::view`])
//! equals the server's monitored rows as of the last message handled; after a reconnect the
//! replica is replaced by the new snapshot and the events are the difference, so a consumer
//! that applies events sees changes made while the client was disconnected.

use std::sync::Arc;

use super::{Client, ClientError, Monitor, MonitorMessage};
use crate::ovsdb::proto::{DatabaseSchema, DbView, MonitorVersion, RowEvent, TableMonitor};

/// A `monitor_cond` with a local view of the monitored rows.
#[derive(Debug)]
pub struct MonitorView {
    monitor: Monitor,
    schema: Arc<DatabaseSchema>,
    view: DbView,
    connected: bool,
}

impl MonitorView {
    /// Fetches the schema, starts the monitor and applies the initial contents; returns the
    /// view and one `Added` event per initial row.
    pub async fn open(
        client: &Client,
        db: &str,
        tables: Vec<TableMonitor>,
    ) -> Result<(MonitorView, Vec<RowEvent>), ClientError> {
        let schema = Arc::new(client.get_schema(db).await?);
        MonitorView::open_with_schema(client, db, schema, tables).await
    }

    /// Like [`MonitorView::open`] with a schema fetched earlier.
    pub async fn open_with_schema(
        client: &Client,
        db: &str,
        schema: Arc<DatabaseSchema>,
        tables: Vec<TableMonitor>,
    ) -> Result<(MonitorView, Vec<RowEvent>), ClientError> {
        let monitor = client.monitor(db, MonitorVersion::V2, tables).await?;
        let mut mv = MonitorView {
            monitor,
            schema,
            view: DbView::new(),
            connected: true,
        };
        let events = match mv.next().await {
            Some(r) => r?,
            None => return Err(ClientError::Closed),
        };
        Ok((mv, events))
    }

    /// The replica.
    pub fn view(&self) -> &DbView {
        &self.view
    }

    /// The schema used to apply diffs.
    pub fn schema(&self) -> &DatabaseSchema {
        &self.schema
    }

    /// False between a lost connection and the resync that follows it.
    pub fn is_synced(&self) -> bool {
        self.connected
    }

    /// Waits for the next monitor message and returns the row events it caused (possibly
    /// none, e.g. for a disconnect). `None` when the monitor ended.
    pub async fn next(&mut self) -> Option<Result<Vec<RowEvent>, ClientError>> {
        let msg = self.monitor.next().await?;
        Some(self.handle(msg))
    }

    fn handle(&mut self, msg: MonitorMessage) -> Result<Vec<RowEvent>, ClientError> {
        match msg {
            MonitorMessage::Initial { updates, .. } => {
                self.connected = true;
                Ok(self.view.resync(updates))
            }
            MonitorMessage::Update(updates) => Ok(self
                .view
                .apply(&self.schema, updates)
                .map_err(super::ProtocolError::from)?),
            MonitorMessage::Disconnected => {
                self.connected = false;
                Ok(Vec::new())
            }
        }
    }
}
