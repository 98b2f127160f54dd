//! Egress status as the API holds it and as the egress domain computes it, for comparisons.

use ovs_egress::agent::cluster::ClusterView;
use serde_json::Value;

use super::FakeApiServer;

/// The API version of Antrea's CRDs.
pub const EGRESS_API: &str = "crd.antrea.io/v1beta1";

/// (egressNode, egressIP, [(type, status, reason, message)]).
pub type ApiStatus = (
    String,
    Option<String>,
    Vec<(String, String, String, String)>,
);

/// The API status of an Egress as (egressNode, egressIP, [(type, status, reason, message)]).
pub fn api_status(server: &FakeApiServer, name: &str) -> ApiStatus {
    let e = server.get(EGRESS_API, "Egress", "", name).unwrap();
    let s = e.get("status").cloned().unwrap_or(Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let conds = s
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                text(c, "type"),
                text(c, "status"),
                text(c, "reason"),
                text(c, "message"),
            )
        })
        .collect();
    (
        text(&s, "egressNode"),
        s.get("egressIP")
            .and_then(Value::as_str)
            .map(str::to_string),
        conds,
    )
}

/// The status the domain computes (what the manifest directory agent reports).
pub fn expected_status(view: &ClusterView, name: &str) -> ApiStatus {
    let st = view.engine().plan().egresses[name].status();
    let mut conds: Vec<_> = st
        .conditions
        .into_iter()
        .map(|c| (c.type_, c.status, c.reason, c.message))
        .collect();
    conds.sort();
    (st.egress_node, st.egress_ip.map(|i| i.to_string()), conds)
}

/// `s` with its conditions sorted.
pub fn sorted(mut s: ApiStatus) -> ApiStatus {
    s.2.sort();
    s
}
