//! Ensuring and deleting ports: internal, patch, geneve/vxlan tunnel, plain system port.
//!
//! One port = one Port row + one Interface row of the same name (what `ovs-vsctl add-port`
//! creates). New ports are inserted Interface-then-Port with named UUIDs and added to
//! `Bridge.ports` by one `mutate … insert`; existing ports are updated in place (type, options,
//! ofport_request; `external_ids` keys merged on both Port and Interface). Any number of ports
//! go into one transaction ([`Vswitch::ensure_ports`]).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{count, merge_keys, Vswitch, VswitchError};
use crate::ovsdb::proto::{Atom, Condition, Datum, Mutation, Mutator, Operation, Row};

/// Tunnel encapsulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelKind {
    /// Geneve (UDP 6081).
    Geneve,
    /// VXLAN (UDP 4789).
    Vxlan,
}

/// What kind of port to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortKind {
    /// An OVS internal port (a tap/netdev owned by OVS).
    Internal,
    /// One end of a patch pair; `peer` is the other end's name.
    Patch {
        /// The peer port's name.
        peer: String,
    },
    /// A flow-based tunnel port: `remote_ip=flow`, `key=flow`, plus `extra` options
    /// (e.g. `local_ip`, `dst_port`).
    Tunnel {
        /// Geneve or VXLAN.
        kind: TunnelKind,
        /// Additional `options` entries.
        extra: BTreeMap<String, String>,
    },
    /// An existing kernel network device (e.g. the uplink NIC).
    System,
}

impl PortKind {
    /// `Interface.type`.
    pub fn interface_type(&self) -> &'static str {
        match self {
            PortKind::Internal => "internal",
            PortKind::Patch { .. } => "patch",
            PortKind::Tunnel {
                kind: TunnelKind::Geneve,
                ..
            } => "geneve",
            PortKind::Tunnel {
                kind: TunnelKind::Vxlan,
                ..
            } => "vxlan",
            PortKind::System => "",
        }
    }

    /// `Interface.options`.
    pub fn options(&self) -> BTreeMap<String, String> {
        match self {
            PortKind::Patch { peer } => BTreeMap::from([("peer".to_owned(), peer.clone())]),
            PortKind::Tunnel { extra, .. } => {
                let mut o = extra.clone();
                o.insert("remote_ip".into(), "flow".into());
                o.insert("key".into(), "flow".into());
                o
            }
            PortKind::Internal | PortKind::System => BTreeMap::new(),
        }
    }
}

/// The desired state of a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// Port and interface name.
    pub name: String,
    /// Kind.
    pub kind: PortKind,
    /// `Interface.ofport_request` (1..=65279); `None` clears it.
    pub ofport_request: Option<u16>,
    /// Keys to set in `external_ids` of the Port and the Interface.
    pub external_ids: BTreeMap<String, String>,
}

impl PortSpec {
    /// A port without ofport request or ids.
    pub fn new(name: &str, kind: PortKind) -> PortSpec {
        PortSpec {
            name: name.to_owned(),
            kind,
            ofport_request: None,
            external_ids: BTreeMap::new(),
        }
    }

    /// Sets `ofport_request`.
    pub fn with_ofport(mut self, ofport: u16) -> PortSpec {
        self.ofport_request = Some(ofport);
        self
    }

    /// Adds one `external_ids` entry.
    pub fn with_external_id(mut self, key: &str, value: &str) -> PortSpec {
        self.external_ids.insert(key.into(), value.into());
        self
    }

    fn interface_columns(&self) -> Row {
        let ofport_request = match self.ofport_request {
            Some(p) => Datum::from(i64::from(p)),
            None => Datum::empty_set(),
        };
        Row::from([
            ("type".to_owned(), self.kind.interface_type().into()),
            ("options".to_owned(), Datum::string_map(self.kind.options())),
            ("ofport_request".to_owned(), ofport_request),
        ])
    }
}

fn select_by_name(table: &str, name: &str, columns: &[&str]) -> Operation {
    Operation::Select {
        table: table.into(),
        conditions: vec![Condition::eq("name", name)],
        columns: Some(columns.iter().map(|c| (*c).to_owned()).collect()),
    }
}

impl Vswitch {
    /// Ensures one port on `bridge`; returns the Port's UUID.
    pub async fn ensure_port(&self, bridge: &str, spec: &PortSpec) -> Result<Uuid, VswitchError> {
        let uuids = self
            .ensure_ports(bridge, std::slice::from_ref(spec))
            .await?;
        uuids
            .first()
            .copied()
            .ok_or_else(|| VswitchError::Unexpected("no port uuid".into()))
    }

    /// Ensures many ports on `bridge` in one transaction; returns their Port UUIDs in order.
    pub async fn ensure_ports(
        &self,
        bridge: &str,
        specs: &[PortSpec],
    ) -> Result<Vec<Uuid>, VswitchError> {
        // Read: the bridge's ports, and each named port (one read-only transaction).
        let mut reads = vec![select_by_name("Bridge", bridge, &["_uuid", "ports"])];
        reads.extend(
            specs
                .iter()
                .map(|s| select_by_name("Port", &s.name, &["_uuid"])),
        );
        let r = self.transact(&reads).await?;
        let brow = r
            .first()
            .and_then(|x| x.rows().first())
            .ok_or_else(|| VswitchError::BridgeNotFound(bridge.into()))?;
        let bridge_uuid = brow
            .get("_uuid")
            .and_then(Datum::as_uuid)
            .ok_or_else(|| VswitchError::Unexpected("Bridge row without _uuid".into()))?;
        let on_bridge: Vec<Uuid> = brow.get("ports").map(Datum::uuids).unwrap_or_default();

        let mut ops = Vec::new();
        let mut new_ports = Vec::new();
        // Where each spec's UUID comes from: known already, or an insert's result index.
        let mut sources = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let existing = r
                .get(i + 1)
                .and_then(|x| x.rows().first())
                .and_then(|row| row.get("_uuid"))
                .and_then(Datum::as_uuid);
            match existing {
                Some(port) if !on_bridge.contains(&port) => {
                    return Err(VswitchError::PortOnOtherBridge {
                        port: spec.name.clone(),
                        bridge: bridge.into(),
                    })
                }
                Some(port) => {
                    self.update_port_ops(spec, port, &mut ops);
                    sources.push(Err(port));
                }
                None => {
                    let (iname, pname) = (format!("i{i}"), format!("p{i}"));
                    let mut iface = spec.interface_columns();
                    iface.insert("name".into(), spec.name.as_str().into());
                    let ids = Datum::string_map(spec.external_ids.clone());
                    iface.insert("external_ids".into(), ids.clone());
                    ops.push(Operation::Insert {
                        table: "Interface".into(),
                        row: iface,
                        uuid_name: Some(iname.clone()),
                    });
                    sources.push(Ok(ops.len()));
                    ops.push(Operation::Insert {
                        table: "Port".into(),
                        row: Row::from([
                            ("name".to_owned(), spec.name.as_str().into()),
                            ("interfaces".to_owned(), Atom::NamedUuid(iname).into()),
                            ("external_ids".to_owned(), ids),
                        ]),
                        uuid_name: Some(pname.clone()),
                    });
                    new_ports.push(Atom::NamedUuid(pname));
                }
            }
        }
        let mutate_index = ops.len();
        if !new_ports.is_empty() {
            ops.push(Operation::Mutate {
                table: "Bridge".into(),
                conditions: vec![Condition::uuid(bridge_uuid)],
                mutations: vec![Mutation::new(
                    "ports",
                    Mutator::Insert,
                    Datum::Set(new_ports.into_iter().collect()),
                )],
            });
        }
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let results = self.transact(&ops).await?;
        if mutate_index < ops.len() && count(&results, mutate_index)? == 0 {
            return Err(VswitchError::BridgeNotFound(bridge.into()));
        }
        sources
            .into_iter()
            .map(|s| match s {
                Err(known) => Ok(known),
                Ok(index) => results
                    .get(index)
                    .and_then(|x| x.uuid())
                    .ok_or_else(|| VswitchError::Unexpected("insert Port without uuid".into())),
            })
            .collect()
    }

    fn update_port_ops(&self, spec: &PortSpec, port: Uuid, ops: &mut Vec<Operation>) {
        let by_name = vec![Condition::eq("name", spec.name.as_str())];
        ops.push(Operation::Update {
            table: "Interface".into(),
            conditions: by_name.clone(),
            row: spec.interface_columns(),
        });
        let mutations = merge_keys("external_ids", &spec.external_ids);
        if !mutations.is_empty() {
            ops.push(Operation::Mutate {
                table: "Interface".into(),
                conditions: by_name,
                mutations: mutations.clone(),
            });
            ops.push(Operation::Mutate {
                table: "Port".into(),
                conditions: vec![Condition::uuid(port)],
                mutations,
            });
        }
    }

    /// Ensures a patch pair `port_a` (on `bridge_a`) ⇄ `port_b` (on `bridge_b`).
    pub async fn ensure_patch_pair(
        &self,
        bridge_a: &str,
        port_a: &str,
        bridge_b: &str,
        port_b: &str,
    ) -> Result<(Uuid, Uuid), VswitchError> {
        let a = PortSpec::new(
            port_a,
            PortKind::Patch {
                peer: port_b.into(),
            },
        );
        let b = PortSpec::new(
            port_b,
            PortKind::Patch {
                peer: port_a.into(),
            },
        );
        let ua = self.ensure_port(bridge_a, &a).await?;
        let ub = self.ensure_port(bridge_b, &b).await?;
        Ok((ua, ub))
    }

    /// Removes port `name` from `bridge` (its rows are garbage-collected). Returns false if no
    /// such port exists; fails if it exists on another bridge.
    pub async fn delete_port(&self, bridge: &str, name: &str) -> Result<bool, VswitchError> {
        let r = self
            .transact(&[select_by_name("Port", name, &["_uuid"])])
            .await?;
        let Some(port) = r
            .first()
            .and_then(|x| x.rows().first())
            .and_then(|row| row.get("_uuid"))
            .and_then(Datum::as_uuid)
        else {
            return Ok(false);
        };
        let r = self
            .transact(&[Operation::Mutate {
                table: "Bridge".into(),
                conditions: vec![
                    Condition::eq("name", bridge),
                    Condition::new("ports", crate::ovsdb::proto::Function::Includes, port),
                ],
                mutations: vec![Mutation::new("ports", Mutator::Delete, port)],
            }])
            .await?;
        if count(&r, 0)? == 0 {
            return Err(VswitchError::PortOnOtherBridge {
                port: name.into(),
                bridge: bridge.into(),
            });
        }
        Ok(true)
    }
}
