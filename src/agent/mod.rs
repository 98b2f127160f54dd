//! The ovs-egress agent runtime.
