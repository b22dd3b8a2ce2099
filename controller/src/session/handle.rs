//! The handle the rest of the controller uses to talk to one switch.

use super::core::{describe_error, BatchErrors, RequestError, SwitchInfo};
use super::Claim;
use ofproto::msg::{
    bundle_flags, error_type, BundleAdd, BundleControl, BundleCtrlType, ErrorMsg, Role, RoleMessage,
};
use ofproto::multipart::{
    FlowStats, FlowStatsRequest, GroupDesc, MeterConfig, MultipartReplyBody, MultipartRequest,
    MultipartRequestBody,
};
use ofproto::{Body, Message};
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

/// Why a bundle was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The switch refused to open a bundle: it has no bundle support.
    #[error("bundles unsupported ({})", describe_error(.0))]
    Unsupported(ErrorMsg),
    /// The bundle failed (and was discarded, so nothing was applied).
    #[error("bundle failed: {0}")]
    Failed(#[source] RequestError),
}

/// Why [`SwitchHandle::post`] did not queue its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The session's command queue is full: the switch is not keeping up.
    #[error("session busy")]
    Busy,
    /// The session ended.
    #[error("session closed")]
    Closed,
}

/// Sender side of a request's reply.
pub(super) type ReplyTx = oneshot::Sender<Result<Vec<Message>, RequestError>>;
/// Sender side of a batch's outcome.
pub(super) type BatchTx = oneshot::Sender<Result<BatchErrors, RequestError>>;

/// Commands from handles to the session task.
pub(super) enum Command {
    /// Send a request and deliver its reply (all multipart parts).
    Request { body: Body, tx: ReplyTx },
    /// Send messages followed by a barrier; deliver the errors they caused.
    Batch { bodies: Vec<Body>, tx: BatchTx },
    /// Send messages nobody waits for.
    Post { bodies: Vec<Body> },
}

struct Inner {
    dpid: u64,
    session_id: u64,
    /// The name its TLS certificate proves, if it connected over TLS.
    identity: Option<String>,
    timeout: Duration,
    cmd: mpsc::Sender<Command>,
    info: RwLock<SwitchInfo>,
    /// The role held, as `info.role`, for whoever waits for it to change.
    role: watch::Sender<Role>,
    next_bundle: AtomicU32,
    /// Cancelled to end the session (by [`SwitchHandle::close`] or the controller's shutdown).
    closer: CancellationToken,
    /// Why [`SwitchHandle::close`] ended it.
    close_reason: Mutex<Option<String>>,
}

/// A cheap, clonable handle to one switch session.
#[derive(Clone)]
pub struct SwitchHandle {
    inner: Arc<Inner>,
}

impl fmt::Debug for SwitchHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SwitchHandle(dpid={}, session={})",
            super::dpid_str(self.inner.dpid),
            self.inner.session_id
        )
    }
}

impl SwitchHandle {
    pub(super) fn new(
        session_id: u64,
        timeout: Duration,
        cmd: mpsc::Sender<Command>,
        info: SwitchInfo,
        identity: Option<String>,
        closer: CancellationToken,
    ) -> SwitchHandle {
        SwitchHandle {
            inner: Arc::new(Inner {
                dpid: info.features.datapath_id,
                session_id,
                identity,
                timeout,
                cmd,
                role: watch::channel(info.role).0,
                info: RwLock::new(info),
                next_bundle: AtomicU32::new(1),
                closer,
                close_reason: Mutex::new(None),
            }),
        }
    }

    /// Datapath id.
    pub fn dpid(&self) -> u64 {
        self.inner.dpid
    }

    /// Session id (unique per connection).
    pub fn session_id(&self) -> u64 {
        self.inner.session_id
    }

    /// The name the switch's TLS certificate proves (the first word of its subject's common
    /// name); `None` over plain TCP or a unix socket.
    pub fn identity(&self) -> Option<&str> {
        self.inner.identity.as_deref()
    }

    /// A copy of what is known about the switch.
    pub fn info(&self) -> SwitchInfo {
        self.inner.info.read().expect("info lock").clone()
    }

    pub(super) fn update_info(&self, f: impl FnOnce(&mut SwitchInfo)) {
        f(&mut self.inner.info.write().expect("info lock"));
    }

    /// A receiver of the role this controller holds on the switch.
    pub fn role(&self) -> watch::Receiver<Role> {
        self.inner.role.subscribe()
    }

    /// Asks the switch for the role of `claim`. The role held changes once the switch grants
    /// it; a refusal (a stale generation id: another controller claimed with a newer one)
    /// leaves it as it was.
    pub async fn claim(&self, claim: Claim) -> Result<(), RequestError> {
        if claim.role == self.info().role && claim.role == Role::Equal {
            return Ok(());
        }
        let reply = self
            .request(Body::RoleRequest(RoleMessage {
                role: claim.role,
                generation_id: claim.generation_id,
            }))
            .await?;
        match reply.into_iter().last().map(|m| m.body) {
            Some(Body::RoleReply(r)) if r.role == claim.role => {
                self.update_info(|i| i.role = claim.role);
                self.inner.role.send_replace(claim.role);
                Ok(())
            }
            other => Err(RequestError::Unexpected(format!(
                "{:?}",
                other.map(|b| b.msg_type())
            ))),
        }
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        self.inner.cmd.is_closed()
    }

    /// Ends the session (the first reason given is the one reported).
    pub fn close(&self, reason: &str) {
        self.inner
            .close_reason
            .lock()
            .expect("close reason lock")
            .get_or_insert_with(|| reason.to_string());
        self.inner.closer.cancel();
    }

    /// Why [`SwitchHandle::close`] was called, if it was.
    pub(super) fn close_reason(&self) -> Option<String> {
        self.inner
            .close_reason
            .lock()
            .expect("close reason lock")
            .clone()
    }

    /// Queues a command (waiting while the session's queue is full) and waits for its
    /// outcome, both within the request timeout.
    async fn call<T>(
        &self,
        cmd: impl FnOnce(oneshot::Sender<Result<T, RequestError>>) -> Command,
    ) -> Result<T, RequestError> {
        let (tx, rx) = oneshot::channel();
        let sent_and_answered = async {
            self.inner
                .cmd
                .send(cmd(tx))
                .await
                .map_err(|_| RequestError::Closed)?;
            rx.await.map_err(|_| RequestError::Closed)?
        };
        tokio::time::timeout(self.inner.timeout, sent_and_answered)
            .await
            .unwrap_or(Err(RequestError::Timeout))
    }

    /// Sends a request and returns its reply (every part of a multipart reply).
    pub async fn request(&self, body: Body) -> Result<Vec<Message>, RequestError> {
        self.call(|tx| Command::Request { body, tx }).await
    }

    /// Sends messages, then a barrier, and returns the errors the messages caused once the
    /// barrier is answered (so everything before it has been processed).
    pub async fn batch(&self, bodies: Vec<Body>) -> Result<BatchErrors, RequestError> {
        self.call(|tx| Command::Batch { bodies, tx }).await
    }

    /// Queues messages that nobody waits for, without waiting: when the session's queue is
    /// full they are not sent ([`PostError::Busy`]). For replies to packet-ins, which must
    /// never hold up the event loop; an error the switch answers with is logged.
    pub fn post(&self, bodies: Vec<Body>) -> Result<(), PostError> {
        self.inner
            .cmd
            .try_send(Command::Post { bodies })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => PostError::Busy,
                mpsc::error::TrySendError::Closed(_) => PostError::Closed,
            })
    }

    /// A multipart request; returns the bodies of all reply parts.
    pub async fn multipart(
        &self,
        body: MultipartRequestBody,
    ) -> Result<Vec<MultipartReplyBody>, RequestError> {
        let replies = self
            .request(Body::MultipartRequest(MultipartRequest::new(body)))
            .await?;
        replies
            .into_iter()
            .map(|m| match m.body {
                Body::MultipartReply(r) => Ok(r.body),
                other => Err(RequestError::Unexpected(format!("{:?}", other.msg_type()))),
            })
            .collect()
    }

    /// A multipart request whose reply parts all carry one kind of record: `pick` takes the
    /// records out of a part (`None` for a part of another kind, an error).
    async fn gather<T>(
        &self,
        body: MultipartRequestBody,
        pick: fn(MultipartReplyBody) -> Result<Vec<T>, MultipartReplyBody>,
    ) -> Result<Vec<T>, RequestError> {
        let mut out = Vec::new();
        for part in self.multipart(body).await? {
            out.extend(pick(part).map_err(|other| RequestError::Unexpected(format!("{other:?}")))?);
        }
        Ok(out)
    }

    /// Every flow of every table.
    pub async fn flow_stats(&self) -> Result<Vec<FlowStats>, RequestError> {
        self.gather(
            MultipartRequestBody::Flow(FlowStatsRequest::all()),
            |b| match b {
                MultipartReplyBody::Flow(v) => Ok(v),
                other => Err(other),
            },
        )
        .await
    }

    /// Every group.
    pub async fn group_desc(&self) -> Result<Vec<GroupDesc>, RequestError> {
        self.gather(MultipartRequestBody::GroupDesc, |b| match b {
            MultipartReplyBody::GroupDesc(v) => Ok(v),
            other => Err(other),
        })
        .await
    }

    /// Every meter's configuration.
    pub async fn meter_config(&self) -> Result<Vec<MeterConfig>, RequestError> {
        self.gather(
            MultipartRequestBody::MeterConfig(ofproto::msg::meter_id::ALL),
            |b| match b {
                MultipartReplyBody::MeterConfig(v) => Ok(v),
                other => Err(other),
            },
        )
        .await
    }

    /// Applies messages atomically with an ONF bundle (open, add each, commit).
    ///
    /// An error on an add or on the commit discards the bundle: nothing was applied.
    pub async fn bundle(&self, bodies: Vec<Body>) -> Result<(), BundleError> {
        let bundle_id = self.inner.next_bundle.fetch_add(1, Ordering::Relaxed);
        let flags = bundle_flags::ATOMIC | bundle_flags::ORDERED;
        let ctrl = |typ| {
            Body::BundleControl(BundleControl {
                bundle_id,
                typ,
                flags,
                properties: Vec::new(),
            })
        };
        match self
            .expect_ctrl(ctrl(BundleCtrlType::OpenRequest), BundleCtrlType::OpenReply)
            .await
        {
            Err(RequestError::Switch(e)) if means_unsupported(&e) => {
                return Err(BundleError::Unsupported(e))
            }
            other => other.map_err(BundleError::Failed)?,
        }
        let adds = bodies
            .into_iter()
            .map(|b| {
                Body::BundleAdd(BundleAdd {
                    bundle_id,
                    flags,
                    message: Box::new(Message::new(0, b)),
                    trailer: Vec::new(),
                })
            })
            .collect();
        let errors = self.batch(adds).await.map_err(BundleError::Failed)?;
        if let Some((_, e)) = errors.into_iter().next() {
            let _ = self
                .expect_ctrl(
                    ctrl(BundleCtrlType::DiscardRequest),
                    BundleCtrlType::DiscardReply,
                )
                .await;
            return Err(BundleError::Failed(RequestError::Switch(e)));
        }
        self.expect_ctrl(
            ctrl(BundleCtrlType::CommitRequest),
            BundleCtrlType::CommitReply,
        )
        .await
        .map_err(BundleError::Failed)
    }

    async fn expect_ctrl(&self, req: Body, want: BundleCtrlType) -> Result<(), RequestError> {
        let replies = self.request(req).await?;
        match replies.first().map(|m| &m.body) {
            Some(Body::BundleControl(c)) if c.typ == want => Ok(()),
            other => Err(RequestError::Unexpected(format!("{other:?}"))),
        }
    }
}

/// Whether an error answering a bundle open means "this switch has no bundles" (an unknown
/// message type or experimenter), as opposed to a refusal such as `OFPBRC_IS_SLAVE`.
fn means_unsupported(e: &ErrorMsg) -> bool {
    const BAD_TYPE: u16 = 1;
    const BAD_EXPERIMENTER: u16 = 3;
    const BAD_EXP_TYPE: u16 = 4;
    matches!(
        e,
        ErrorMsg::Standard {
            typ: error_type::BAD_REQUEST,
            code: BAD_TYPE | BAD_EXPERIMENTER | BAD_EXP_TYPE,
            ..
        }
    )
}
