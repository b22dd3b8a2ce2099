//! Requests waiting for their replies, keyed by xid: a request is answered by its reply (every
//! part of a multipart reply) or by an error with its xid; a batch collects the errors whose
//! xids fall in its range until its barrier is answered. Each has a deadline.

use ofproto::msg::ErrorMsg;
use ofproto::multipart::OFPMPF_MORE;
use ofproto::{Body, Message};
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// Errors answering a batch: (xid, error) for each message the switch rejected.
pub type BatchErrors = Vec<(u32, ErrorMsg)>;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The session ended.
    #[error("session closed")]
    Closed,
    /// No reply in time.
    #[error("request timed out")]
    Timeout,
    /// The switch answered with an OFPT_ERROR.
    #[error("switch error {}", describe_error(.0))]
    Switch(ErrorMsg),
    /// The switch answered with something else than expected.
    #[error("unexpected reply: {0}")]
    Unexpected(String),
}

/// Names one request or batch of a session (unlike xids, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub(in crate::session) u64);

/// How a request or batch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// A request's reply: every part of it, in order.
    Reply(Result<Vec<Message>, RequestError>),
    /// A batch's outcome: the errors its messages caused.
    Batch(Result<BatchErrors, RequestError>),
}

/// A request waiting for its reply.
struct Request {
    id: RequestId,
    parts: Vec<Message>,
}

/// A batch of messages fenced by a barrier: errors whose xid falls in `first..=last` belong to
/// it; the barrier reply completes it.
struct Batch {
    id: RequestId,
    first: u32,
    last: u32,
    errors: BatchErrors,
}

/// What routing an incoming message did.
pub(super) enum Routed {
    /// It completed a request or batch.
    Completed(RequestId, Completion),
    /// It advanced a request or batch (a multipart part, an error inside a batch).
    Consumed,
    /// Nobody waited for it.
    Unsolicited(Message),
}

/// The table of outstanding requests and batches of one session.
#[derive(Default)]
pub(super) struct Requests {
    next_id: u64,
    /// By the xid of the request.
    replies: HashMap<u32, Request>,
    /// By the xid of the barrier.
    batches: HashMap<u32, Batch>,
    /// (deadline, xid) in the order requests were made: all share one timeout, so the front
    /// expires first. Entries already answered are skipped.
    deadlines: VecDeque<(Instant, u32)>,
}

impl Requests {
    fn new_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    /// Registers a request sent with `xid`.
    pub fn add_request(&mut self, xid: u32, deadline: Instant) -> RequestId {
        let id = self.new_id();
        self.replies.insert(
            xid,
            Request {
                id,
                parts: Vec::new(),
            },
        );
        self.deadlines.push_back((deadline, xid));
        id
    }

    /// Registers a batch whose messages have xids `first..=last` and whose barrier has
    /// `barrier`.
    pub fn add_batch(
        &mut self,
        first: u32,
        last: u32,
        barrier: u32,
        deadline: Instant,
    ) -> RequestId {
        let id = self.new_id();
        self.batches.insert(
            barrier,
            Batch {
                id,
                first,
                last,
                errors: Vec::new(),
            },
        );
        self.deadlines.push_back((deadline, barrier));
        id
    }

    /// Routes a message from the switch to whoever waits for it.
    pub fn route(&mut self, msg: Message) -> Routed {
        let xid = msg.xid;
        if let Body::Error(e) = &msg.body {
            if let Some(r) = self.replies.remove(&xid) {
                self.forget_answered();
                return Routed::Completed(
                    r.id,
                    Completion::Reply(Err(RequestError::Switch(e.clone()))),
                );
            }
            if let Some(b) = self.batch_containing(xid) {
                b.errors.push((xid, e.clone()));
                return Routed::Consumed;
            }
            return Routed::Unsolicited(msg);
        }
        if matches!(msg.body, Body::BarrierReply) {
            if let Some(b) = self.batches.remove(&xid) {
                self.forget_answered();
                return Routed::Completed(b.id, Completion::Batch(Ok(b.errors)));
            }
        }
        let more = matches!(&msg.body, Body::MultipartReply(r) if r.flags & OFPMPF_MORE != 0);
        match self.replies.get_mut(&xid) {
            None => Routed::Unsolicited(msg),
            Some(r) if more => {
                r.parts.push(msg);
                Routed::Consumed
            }
            Some(_) => {
                let mut r = self.replies.remove(&xid).expect("present");
                self.forget_answered();
                r.parts.push(msg);
                Routed::Completed(r.id, Completion::Reply(Ok(r.parts)))
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

    fn pending(&self, xid: u32) -> bool {
        self.replies.contains_key(&xid) || self.batches.contains_key(&xid)
    }

    /// Drops deadlines at the front whose request was already answered.
    fn forget_answered(&mut self) {
        while let Some(&(_, xid)) = self.deadlines.front() {
            if self.pending(xid) {
                break;
            }
            self.deadlines.pop_front();
        }
    }

    /// When the oldest outstanding request times out.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.front().map(|(t, _)| *t)
    }

    /// Fails every request whose deadline has passed.
    pub fn expire(&mut self, now: Instant) -> Vec<(RequestId, Completion)> {
        let mut done = Vec::new();
        while let Some(&(deadline, xid)) = self.deadlines.front() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_front();
            done.extend(self.fail(xid, RequestError::Timeout));
        }
        self.forget_answered();
        done
    }

    fn fail(&mut self, xid: u32, e: RequestError) -> Option<(RequestId, Completion)> {
        if let Some(r) = self.replies.remove(&xid) {
            return Some((r.id, Completion::Reply(Err(e))));
        }
        self.batches
            .remove(&xid)
            .map(|b| (b.id, Completion::Batch(Err(e))))
    }

    /// Fails everything still waiting (the session ended).
    pub fn fail_all(&mut self) -> Vec<(RequestId, Completion)> {
        let xids: Vec<u32> = self.deadlines.drain(..).map(|(_, xid)| xid).collect();
        xids.into_iter()
            .filter_map(|xid| self.fail(xid, RequestError::Closed))
            .collect()
    }
}

/// An error message, for logs.
pub fn describe_error(e: &ErrorMsg) -> String {
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
