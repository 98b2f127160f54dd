//! Ensuring a bridge: datapath type, OpenFlow versions, fail mode, pinned datapath id, ids.
//!
//! A new bridge is created the way `ovs-vsctl add-br` does (`cmd_add_br`): Interface
//! `{name, type: internal}` + Port `{name, interfaces}` + Bridge `{name, ports}`, all in one
//! transaction, the Bridge added to `Open_vSwitch.bridges` with `mutate … insert`. A `wait`
//! guards "still absent" so two concurrent creators cannot both insert (the loser retries and
//! updates instead).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{count, merge_keys, Vswitch, VswitchError};
use crate::ovsdb::client::ClientError;
use crate::ovsdb::proto::{Atom, Condition, Datum, Mutation, Mutator, Operation, Row, Until};

/// `Bridge.fail_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailMode {
    /// Without a controller, flows stay as installed (what this project uses).
    Secure,
    /// Without a controller, the bridge acts as a learning switch.
    Standalone,
}

impl FailMode {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            FailMode::Secure => "secure",
            FailMode::Standalone => "standalone",
        }
    }
}

/// The desired state of a bridge. `external_ids` / `other_config` keys are merged into the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeSpec {
    /// Bridge name (also the name of its local port).
    pub name: String,
    /// `netdev` (userspace), `system` (kernel) or empty (default).
    pub datapath_type: String,
    /// Enabled OpenFlow versions, e.g. `OpenFlow13`, `OpenFlow15`; empty = OVS default.
    pub protocols: Vec<String>,
    /// `None` clears `fail_mode` (OVS default: standalone).
    pub fail_mode: Option<FailMode>,
    /// Pinned datapath id (`other_config:datapath-id`, 16 hex digits).
    pub datapath_id: Option<u64>,
    /// Keys to set in `external_ids`.
    pub external_ids: BTreeMap<String, String>,
    /// Keys to set in `other_config` (e.g. `hwaddr`).
    pub other_config: BTreeMap<String, String>,
}

impl BridgeSpec {
    /// A bridge with OVS defaults.
    pub fn new(name: &str) -> BridgeSpec {
        BridgeSpec {
            name: name.to_owned(),
            datapath_type: String::new(),
            protocols: Vec::new(),
            fail_mode: None,
            datapath_id: None,
            external_ids: BTreeMap::new(),
            other_config: BTreeMap::new(),
        }
    }

    fn all_other_config(&self) -> BTreeMap<String, String> {
        let mut oc = self.other_config.clone();
        if let Some(dpid) = self.datapath_id {
            oc.insert("datapath-id".into(), format!("{dpid:016x}"));
        }
        oc
    }

    /// The columns written on create and on update.
    fn settable_columns(&self) -> Row {
        let fail_mode = match self.fail_mode {
            Some(m) => Datum::from(m.as_str()),
            None => Datum::empty_set(),
        };
        Row::from([
            (
                "datapath_type".to_owned(),
                Datum::from(self.datapath_type.as_str()),
            ),
            (
                "protocols".to_owned(),
                Datum::set(self.protocols.iter().cloned()),
            ),
            ("fail_mode".to_owned(), fail_mode),
        ])
    }
}

fn is_timed_out_wait(e: &VswitchError) -> bool {
    matches!(e, VswitchError::Client(ClientError::Operation { op: "wait", error, .. })
        if error.error == "timed out")
}

impl Vswitch {
    /// The UUID of the bridge named `name`, if any.
    pub async fn bridge_uuid(&self, name: &str) -> Result<Option<Uuid>, VswitchError> {
        let r = self
            .transact(&[Operation::Select {
                table: "Bridge".into(),
                conditions: vec![Condition::eq("name", name)],
                columns: Some(vec!["_uuid".into()]),
            }])
            .await?;
        Ok(r.first()
            .and_then(|r| r.rows().first())
            .and_then(|row| row.get("_uuid"))
            .and_then(Datum::as_uuid))
    }

    /// Creates the bridge or brings an existing one to `spec`; returns its UUID.
    pub async fn ensure_bridge(&self, spec: &BridgeSpec) -> Result<Uuid, VswitchError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = match self.bridge_uuid(&spec.name).await? {
                Some(uuid) => self.update_bridge(uuid, spec).await.map(|_| uuid),
                None => self.create_bridge(spec).await,
            };
            match result {
                Err(e) if attempt < 5 && is_timed_out_wait(&e) => continue,
                other => return other,
            }
        }
    }

    async fn create_bridge(&self, spec: &BridgeSpec) -> Result<Uuid, VswitchError> {
        let name = spec.name.as_str();
        let mut bridge = spec.settable_columns();
        bridge.insert("name".into(), name.into());
        bridge.insert("ports".into(), Atom::NamedUuid("port".into()).into());
        bridge.insert(
            "external_ids".into(),
            Datum::string_map(spec.external_ids.clone()),
        );
        bridge.insert(
            "other_config".into(),
            Datum::string_map(spec.all_other_config()),
        );
        let ops = [
            Operation::Wait {
                table: "Bridge".into(),
                conditions: vec![Condition::eq("name", name)],
                columns: vec!["name".into()],
                until: Until::Eq,
                rows: vec![],
                timeout_ms: Some(0),
            },
            Operation::Insert {
                table: "Interface".into(),
                row: Row::from([
                    ("name".to_owned(), name.into()),
                    ("type".to_owned(), "internal".into()),
                ]),
                uuid_name: Some("iface".into()),
            },
            Operation::Insert {
                table: "Port".into(),
                row: Row::from([
                    ("name".to_owned(), name.into()),
                    (
                        "interfaces".to_owned(),
                        Atom::NamedUuid("iface".into()).into(),
                    ),
                ]),
                uuid_name: Some("port".into()),
            },
            Operation::Insert {
                table: "Bridge".into(),
                row: bridge,
                uuid_name: Some("bridge".into()),
            },
            Operation::Mutate {
                table: "Open_vSwitch".into(),
                conditions: vec![],
                mutations: vec![Mutation::new(
                    "bridges",
                    Mutator::Insert,
                    Atom::NamedUuid("bridge".into()),
                )],
            },
        ];
        let r = self.transact(&ops).await?;
        if count(&r, 4)? == 0 {
            return Err(VswitchError::NotInitialized);
        }
        r.get(3)
            .and_then(|x| x.uuid())
            .ok_or_else(|| VswitchError::Unexpected("insert Bridge returned no uuid".into()))
    }

    async fn update_bridge(&self, uuid: Uuid, spec: &BridgeSpec) -> Result<(), VswitchError> {
        let mut mutations = merge_keys("external_ids", &spec.external_ids);
        mutations.extend(merge_keys("other_config", &spec.all_other_config()));
        let mut ops = vec![Operation::Update {
            table: "Bridge".into(),
            conditions: vec![Condition::uuid(uuid)],
            row: spec.settable_columns(),
        }];
        if !mutations.is_empty() {
            ops.push(Operation::Mutate {
                table: "Bridge".into(),
                conditions: vec![Condition::uuid(uuid)],
                mutations,
            });
        }
        let r = self.transact(&ops).await?;
        if count(&r, 0)? == 0 {
            return Err(VswitchError::BridgeNotFound(spec.name.clone()));
        }
        Ok(())
    }

    /// Deletes a bridge (and, by garbage collection, its ports and interfaces). Returns false
    /// if there was none.
    pub async fn delete_bridge(&self, name: &str) -> Result<bool, VswitchError> {
        let Some(uuid) = self.bridge_uuid(name).await? else {
            return Ok(false);
        };
        let r = self
            .transact(&[Operation::Mutate {
                table: "Open_vSwitch".into(),
                conditions: vec![],
                mutations: vec![Mutation::new("bridges", Mutator::Delete, uuid)],
            }])
            .await?;
        Ok(count(&r, 0)? > 0)
    }
}
