//! Requests waiting for their replies, keyed by xid.

use super::handle::{BatchErrors, RequestError};
use ofproto::msg::ErrorMsg;
use ofproto::multipart::OFPMPF_MORE;
use ofproto::{Body, Message};
use std::collections::HashMap;
use tokio::sync::oneshot;

/// Sender side of a request's reply.
pub(super) type ReplyTx = oneshot::Sender<Result<Vec<Message>, RequestError>>;
/// Sender side of a batch's outcome.
pub(super) type BatchTx = oneshot::Sender<Result<BatchErrors, RequestError>>;

/// A batch of messages fenced by a barrier: errors whose xid falls in `first..=last` belong to
/// it; the barrier reply with xid `barrier` completes it.
struct Batch {
    first: u32,
    last: u32,
    errors: BatchErrors,
    tx: BatchTx,
}

/// The table of outstanding requests and batches of one session.
#[derive(Default)]
pub(super) struct Pending {
    replies: HashMap<u32, (Vec<Message>, ReplyTx)>,
    batches: HashMap<u32, Batch>,
}

/// What to do with an incoming message after routing.
pub(super) enum Routed {
    /// It completed or advanced a request.
    Consumed,
    /// Nobody waited for it.
    Unsolicited(Message),
}

impl Pending {
    /// Registers a request.
    pub fn add_request(&mut self, xid: u32, tx: ReplyTx) {
        self.replies.insert(xid, (Vec::new(), tx));
    }

    /// Registers a batch whose messages have xids `first..=last` and whose barrier has
    /// `barrier`.
    pub fn add_batch(&mut self, first: u32, last: u32, barrier: u32, tx: BatchTx) {
        self.batches.insert(
            barrier,
            Batch {
                first,
                last,
                errors: Vec::new(),
                tx,
            },
        );
    }

    /// Routes a message from the switch to whoever waits for it.
    pub fn route(&mut self, msg: Message) -> Routed {
        let xid = msg.xid;
        if let Body::Error(e) = &msg.body {
            if let Some((_, tx)) = self.replies.remove(&xid) {
                let _ = tx.send(Err(RequestError::Switch(e.clone())));
                return Routed::Consumed;
            }
            if let Some(b) = self.batch_containing(xid) {
                b.errors.push((xid, e.clone()));
                return Routed::Consumed;
            }
            return Routed::Unsolicited(msg);
        }
        if matches!(msg.body, Body::BarrierReply) {
            if let Some(b) = self.batches.remove(&xid) {
                let _ = b.tx.send(Ok(b.errors));
                return Routed::Consumed;
            }
        }
        let more = matches!(&msg.body, Body::MultipartReply(r) if r.flags & OFPMPF_MORE != 0);
        match self.replies.get_mut(&xid) {
            None => Routed::Unsolicited(msg),
            Some((parts, _)) if more => {
                parts.push(msg);
                Routed::Consumed
            }
            Some(_) => {
                if let Some((mut parts, tx)) = self.replies.remove(&xid) {
                    parts.push(msg);
                    let _ = tx.send(Ok(parts));
                }
                Routed::Consumed
            }
        }
    }

    fn batch_containing(&mut self, xid: u32) -> Option<&mut Batch> {
        self.batches.values_mut().find(|b| {
            if b.first <= b.last {
                (b.first..=b.last).contains(&xid)
            } else {
                xid >= b.first || xid <= b.last
            }
        })
    }

    /// Drops entries whose requester gave up (timed out).
    pub fn prune(&mut self) {
        self.replies.retain(|_, (_, tx)| !tx.is_closed());
        self.batches.retain(|_, b| !b.tx.is_closed());
    }

    /// Fails everything still waiting (the session ended).
    pub fn fail_all(&mut self) {
        for (_, (_, tx)) in self.replies.drain() {
            let _ = tx.send(Err(RequestError::Closed));
        }
        for (_, b) in self.batches.drain() {
            let _ = b.tx.send(Err(RequestError::Closed));
        }
    }
}

/// An error message that nobody asked for, for logging.
pub(super) fn describe_error(e: &ErrorMsg) -> String {
    match e {
        ErrorMsg::Standard { typ, code, .. } => ofproto::msg::error_name(*typ, *code)
            .unwrap_or_else(|| format!("type {typ} code {code}")),
        ErrorMsg::Experimenter {
            exp_type,
            experimenter,
            ..
        } => format!("experimenter {experimenter:#x} type {exp_type}"),
    }
}
