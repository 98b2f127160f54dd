//! Bookkeeping of operations in flight: which xids belong to which operation, and what each
//! operation is waiting for.
//!
//! An operation owns single xids (a request, a barrier, bundle control messages: kept in a
//! hash map) and runs of consecutive xids (the messages of a batch, the adds of a bundle: kept
//! as `(first xid, first index, count)` so a 100,000-message bundle costs a few words).

use super::super::error::{Stage, SwitchError};
use crate::ofproto::codec::message::MultipartReply;

/// Identifies one operation of a [`super::Session`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub(crate) u64);

/// What a single xid stands for inside its operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The request of a request operation.
    Request,
    /// The barrier that ends a batch.
    BatchBarrier,
    /// Bundle control messages and the barrier that precedes the commit.
    BundleOpen,
    BundleClose,
    BundleBarrier,
    BundleCommit,
    BundleDiscard,
}

/// Consecutive xids carrying consecutive message indexes.
#[derive(Clone, Debug, Default)]
pub(crate) struct XidRuns {
    runs: Vec<(u32, usize, u32)>,
}

impl XidRuns {
    /// Records that message `index` went out with `xid`.
    pub fn push(&mut self, xid: u32, index: usize) {
        if let Some((first, first_index, count)) = self.runs.last_mut() {
            if first.wrapping_add(*count) == xid && *first_index + *count as usize == index {
                *count += 1;
                return;
            }
        }
        self.runs.push((xid, index, 1));
    }

    /// The message index that went out with `xid`.
    pub fn index_of(&self, xid: u32) -> Option<usize> {
        self.runs.iter().find_map(|&(first, first_index, count)| {
            let off = xid.wrapping_sub(first);
            (off < count).then_some(first_index + off as usize)
        })
    }
}

/// How a multipart reply is handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MultipartMode {
    /// Glue the parts together and report the whole reply when the last part arrives.
    Collect,
    /// Report each part as it arrives ([`super::Event::Part`]), then completion.
    Stream,
}

/// Where a bundle is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BundlePhase {
    /// Open request sent; adds accepted.
    Adding,
    /// Close and barrier sent; waiting for the barrier reply to decide commit or discard.
    Closing,
    /// Commit sent.
    Committing,
    /// Discard sent; `requested` if the caller asked for it (then it is a success).
    Discarding { requested: bool },
}

/// A bundle in flight.
#[derive(Debug)]
pub(crate) struct BundleOp {
    pub id: u32,
    pub flags: u16,
    pub adds: XidRuns,
    pub n_added: usize,
    pub phase: BundlePhase,
    /// The switch refused the open: the bundle does not exist, so it is not discarded.
    pub open_failed: bool,
}

/// The state of one operation.
#[derive(Debug)]
pub(crate) enum OpKind {
    /// One request, one reply (or a multipart reply).
    Request {
        mode: MultipartMode,
        collected: Option<MultipartReply>,
        what: &'static str,
    },
    /// Messages followed by a barrier.
    Batch { msgs: XidRuns },
    /// A bundle transaction.
    Bundle(BundleOp),
}

/// One operation in flight.
#[derive(Debug)]
pub(crate) struct Op {
    pub kind: OpKind,
    /// Errors the switch sent for this operation's messages, in arrival order.
    pub errors: Vec<SwitchError>,
    /// Abandoned by the caller: finish quietly.
    pub silent: bool,
    /// The single xids this operation registered (removed from the session's map when it ends).
    pub xids: Vec<u32>,
}

impl Op {
    pub fn new(kind: OpKind) -> Op {
        Op {
            kind,
            errors: Vec::new(),
            silent: false,
            xids: Vec::new(),
        }
    }

    /// The batch or bundle message index for `xid`, with the stage to report.
    pub fn index_of(&self, xid: u32) -> Option<(Stage, usize)> {
        match &self.kind {
            OpKind::Batch { msgs } => msgs.index_of(xid).map(|i| (Stage::Batch, i)),
            OpKind::Bundle(b) => b.adds.index_of(xid).map(|i| {
                // OVS reports a message that failed to apply at commit time with the add's xid.
                let stage = if b.phase == BundlePhase::Committing {
                    Stage::BundleCommit
                } else {
                    Stage::BundleAdd
                };
                (stage, i)
            }),
            OpKind::Request { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_map_xids_to_indexes() {
        let mut r = XidRuns::default();
        for (i, xid) in (u32::MAX - 2..=u32::MAX).chain(0..3).enumerate() {
            r.push(xid, i);
        }
        r.push(10, 6);
        assert_eq!(r.runs.len(), 2);
        assert_eq!(r.index_of(u32::MAX - 2), Some(0));
        assert_eq!(r.index_of(1), Some(4));
        assert_eq!(r.index_of(10), Some(6));
        assert_eq!(r.index_of(3), None);
        assert_eq!(r.index_of(9), None);
    }
}
