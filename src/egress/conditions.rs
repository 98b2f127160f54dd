//! Typed Egress conditions, mapping to Antrea's `status.conditions` (`IPAllocated` written by
//! antrea-controller, `IPAssigned` written by agents; types, reasons and messages as in
//! `pkg/apis/crd/v1beta1/types.go` and `pkg/controller/egress/controller.go`).

use crate::egress::election::ElectionError;
use crate::egress::model::StatusCondition;
use crate::egress::pool::AllocationError;

/// A condition of an Egress, with the typed cause for failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EgressCondition {
    /// `IPAllocated=True, reason Allocated`: the Egress has an IP from its pool.
    Allocated,
    /// `IPAllocated=False, reason AllocationError`: pool missing, exhausted, malformed, IP outside
    /// the pool or already taken, or an unsupported spec.
    AllocationFailed(AllocationError),
    /// `IPAssigned=True, reason Assigned`: a node owns the IP.
    Assigned,
    /// `IPAssigned=False, reason AssignmentError`: no eligible node.
    AssignmentFailed(ElectionError),
}

impl EgressCondition {
    /// `IPAllocated` or `IPAssigned`.
    pub fn type_(&self) -> &'static str {
        match self {
            EgressCondition::Allocated | EgressCondition::AllocationFailed(_) => "IPAllocated",
            EgressCondition::Assigned | EgressCondition::AssignmentFailed(_) => "IPAssigned",
        }
    }

    /// Whether the condition holds.
    pub fn is_true(&self) -> bool {
        matches!(self, EgressCondition::Allocated | EgressCondition::Assigned)
    }

    /// Antrea's reason string.
    pub fn reason(&self) -> &'static str {
        match self {
            EgressCondition::Allocated => "Allocated",
            EgressCondition::AllocationFailed(_) => "AllocationError",
            EgressCondition::Assigned => "Assigned",
            EgressCondition::AssignmentFailed(_) => "AssignmentError",
        }
    }

    /// Antrea's message text.
    pub fn message(&self) -> String {
        match self {
            EgressCondition::Allocated => "EgressIP is successfully allocated".into(),
            EgressCondition::AllocationFailed(e) => {
                format!("Cannot allocate EgressIP from ExternalIPPool: {e}")
            }
            EgressCondition::Assigned => "EgressIP is successfully assigned to EgressNode".into(),
            EgressCondition::AssignmentFailed(e) => {
                format!("Failed to assign the IP to EgressNode: {e}")
            }
        }
    }

    /// The API form (without `lastTransitionTime`: the writer, which has a clock, sets it).
    pub fn to_status(&self) -> StatusCondition {
        StatusCondition {
            type_: self.type_().to_string(),
            status: if self.is_true() { "True" } else { "False" }.to_string(),
            last_transition_time: None,
            reason: self.reason().to_string(),
            message: self.message(),
        }
    }
}
