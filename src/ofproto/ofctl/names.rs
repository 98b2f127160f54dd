//! Port and table names for `--names`, read from the switch as ovs-ofctl does
//! (`get_port_map`: a port-description request; `get_table_map`: a table-features request,
//! unnamed tables left out).

use crate::ofproto::codec::{PortNames, PortNo};
use crate::ofproto::conn::{ConnError, Switch};
use crate::ofproto::text::TableNames;

/// The name maps of one switch.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Port numbers and names.
    pub ports: PortNames,
    /// Table ids and names.
    pub tables: TableNames,
}

/// Reads the switch's port and table names.
pub async fn fetch_names(sw: &Switch) -> Result<Names, ConnError> {
    let mut ports = PortNames::new();
    for p in sw.port_desc().await? {
        if let Some(no) = PortNo::from_ofp11(p.port_no) {
            ports.insert(no, &p.name.to_string_lossy());
        }
    }
    let tables = sw.table_names().await?;
    Ok(Names { ports, tables })
}
