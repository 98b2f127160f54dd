//! Waiting for ovs-vswitchd: `next_cfg` / `cur_cfg`, and an interface's `ofport`.
//!
//! Mirrors `utilities/ovs-vsctl.c` (`do_vsctl`: `ovsdb_idl_txn_increment(next_cfg)`, then wait
//! until `cur_cfg >= next_cfg`) and `post_db_reload_do_checks` (an `ofport` of -1 means the
//! interface failed; `Interface.error` says why). Waiting uses a `monitor_cond` on the one
//! column, never polling.

use std::time::Duration;

use tokio::time::Instant;

use super::{Vswitch, VswitchError, DB};
use crate::ovsdb::client::MonitorView;
use crate::ovsdb::proto::{Condition, Datum, Mutation, Mutator, Operation, Row, TableMonitor};

impl Vswitch {
    /// Increments `Open_vSwitch.next_cfg` and returns the new value.
    pub async fn bump_next_cfg(&self) -> Result<i64, VswitchError> {
        let r = self
            .transact(&[
                Operation::Mutate {
                    table: "Open_vSwitch".into(),
                    conditions: vec![],
                    mutations: vec![Mutation::new("next_cfg", Mutator::Add, 1i64)],
                },
                Operation::Select {
                    table: "Open_vSwitch".into(),
                    conditions: vec![],
                    columns: Some(vec!["next_cfg".into()]),
                },
            ])
            .await?;
        r.get(1)
            .and_then(|x| x.rows().first())
            .and_then(|row| row.get("next_cfg"))
            .and_then(Datum::as_i64)
            .ok_or(VswitchError::NotInitialized)
    }

    /// Waits until `Open_vSwitch.cur_cfg >= cfg` (ovs-vswitchd has applied that configuration).
    pub async fn wait_cur_cfg(&self, cfg: i64, timeout: Duration) -> Result<(), VswitchError> {
        let tables = vec![TableMonitor::new("Open_vSwitch", &["cur_cfg"])];
        self.wait_until(tables, timeout, &format!("cur_cfg >= {cfg}"), |rows| {
            Ok(rows
                .first()
                .and_then(|r| r.get("cur_cfg"))
                .and_then(Datum::as_i64)
                .is_some_and(|c| c >= cfg))
        })
        .await
    }

    /// Bumps `next_cfg` and waits for ovs-vswitchd to catch up, like `ovs-vsctl` without
    /// `--no-wait`; returns the configuration number reached.
    pub async fn sync(&self, timeout: Duration) -> Result<i64, VswitchError> {
        let cfg = self.bump_next_cfg().await?;
        self.wait_cur_cfg(cfg, timeout).await?;
        Ok(cfg)
    }

    /// Waits until interface `name` has an ofport; fails if ovs-vswitchd reports -1.
    pub async fn wait_ofport(&self, name: &str, timeout: Duration) -> Result<u32, VswitchError> {
        let tables = vec![TableMonitor::new("Interface", &["ofport", "error"])
            .with_conditions(vec![Condition::eq("name", name)])];
        let mut port = 0u32;
        self.wait_until(tables, timeout, &format!("ofport of {name}"), |rows| {
            let Some(row) = rows.first() else {
                return Ok(false);
            };
            match row.get("ofport").and_then(Datum::as_i64) {
                Some(-1) => Err(VswitchError::Interface {
                    name: name.into(),
                    error: row
                        .get("error")
                        .and_then(Datum::as_str)
                        .unwrap_or("ofport is -1")
                        .to_owned(),
                }),
                Some(p) if p > 0 => {
                    port = u32::try_from(p).unwrap_or(0);
                    Ok(port > 0)
                }
                _ => Ok(false),
            }
        })
        .await?;
        Ok(port)
    }

    /// Monitors `tables` (one table) until `done` holds for its rows, or `timeout`.
    async fn wait_until(
        &self,
        tables: Vec<TableMonitor>,
        timeout: Duration,
        what: &str,
        mut done: impl FnMut(&[Row]) -> Result<bool, VswitchError>,
    ) -> Result<(), VswitchError> {
        let deadline = Instant::now() + timeout;
        let table = tables.first().map(|t| t.table.clone()).unwrap_or_default();
        let schema = self.schema().await?;
        let (mut mv, _) = MonitorView::open_with_schema(self.client(), DB, schema, tables).await?;
        loop {
            let rows: Vec<Row> = mv.view().table(&table).map(|(_, r)| r.clone()).collect();
            if done(&rows)? {
                return Ok(());
            }
            match tokio::time::timeout_at(deadline, mv.next()).await {
                Err(_) => return Err(VswitchError::Timeout(timeout, what.into())),
                Ok(None) => return Err(crate::ovsdb::client::ClientError::Closed.into()),
                Ok(Some(r)) => {
                    r?;
                }
            }
        }
    }
}
