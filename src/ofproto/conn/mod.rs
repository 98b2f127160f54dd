//! Connection to ovs-vswitchd: a sans-IO session ([`session`]), a stream framer ([`framer`]),
//! a thin tokio driver and the [`Switch`] handle library users hold.
//!
//! Layering: the session is plain data (bytes and a clock in; bytes, events and deadlines out)
//! and holds every protocol rule; the driver only moves bytes between a socket and the session
//! and turns events into answers for callers. Facts mirrored from OVS: `lib/vconn.c` (hello,
//! bundles as `vconn_bundle_transact` does them), `lib/rconn.c` (echo probes, backoff),
//! `utilities/ovs-ofctl.c` (how a bridge name becomes a socket path),
//! `ofproto/connmgr.c` (service connections get asynchronous messages only after a
//! `SET_CONFIG` with a non-zero `miss_send_len`).

mod driver;
pub mod error;
pub mod framer;
pub mod session;
pub mod switch;
pub mod target;
pub mod wire;

pub use error::{ConnError, ProtocolError, Stage, SwitchError};
pub use framer::{FrameError, OfFramer};
pub use session::{Event, MultipartMode, OpId, Reply, Session, SessionConfig};
pub use switch::{
    AsyncMessage, Bundle, ConnState, FlowPart, FlowStream, Lagged, Subscription, Switch,
    SwitchOptions,
};
pub use target::Target;
pub use wire::encode_bundle_add;
