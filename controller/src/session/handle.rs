//! The handle the rest of the controller uses to talk to one switch.

use super::pending::{BatchTx, ReplyTx};
use ofproto::msg::{
    bundle_flags, error_type, BundleAdd, BundleControl, BundleCtrlType, ErrorMsg, FeaturesReply,
    Port, Role,
};
use ofproto::multipart::{
    Desc, FlowStats, FlowStatsRequest, GroupDesc, MeterConfig, MultipartReplyBody,
    MultipartRequest, MultipartRequestBody,
};
use ofproto::{Body, Message};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Errors answering a batch: (xid, error) for each message the switch rejected.
pub type BatchErrors = Vec<(u32, ErrorMsg)>;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The session ended.
    Closed,
    /// No reply in time.
    Timeout,
    /// The switch answered with an OFPT_ERROR.
    Switch(ErrorMsg),
    /// The switch answered with something else than expected.
    Unexpected(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Closed => write!(f, "session closed"),
            RequestError::Timeout => write!(f, "request timed out"),
            RequestError::Switch(e) => {
                write!(f, "switch error {}", super::pending::describe_error(e))
            }
            RequestError::Unexpected(s) => write!(f, "unexpected reply: {s}"),
        }
    }
}

impl std::error::Error for RequestError {}

/// Why a bundle was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// The switch refused to open a bundle: it has no bundle support.
    Unsupported(ErrorMsg),
    /// The bundle failed (and was discarded, so nothing was applied).
    Failed(RequestError),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Unsupported(e) => write!(
                f,
                "bundles unsupported ({})",
                super::pending::describe_error(e)
            ),
            BundleError::Failed(e) => write!(f, "bundle failed: {e}"),
        }
    }
}

impl std::error::Error for BundleError {}

/// What the handshake learned about a switch, kept up to date by PORT_STATUS.
#[derive(Debug, Clone)]
pub struct SwitchInfo {
    /// FEATURES_REPLY.
    pub features: FeaturesReply,
    /// Ports by number.
    pub ports: BTreeMap<u32, Port>,
    /// Peer address, for logs.
    pub peer: String,
    /// The role this controller holds on the switch (a slave must not write).
    pub role: Role,
    /// Its OFPMP_DESC reply (`None` if it refused the request).
    pub desc: Option<Desc>,
}

impl SwitchInfo {
    /// Whether the switch speaks Open vSwitch's Nicira extensions (conntrack, register moves,
    /// `tun_dst`): it says it is made by Nicira, as every Open vSwitch does (`mfr_desc`
    /// "Nicira, Inc.", `hw_desc` "Open vSwitch").
    pub fn speaks_nicira(&self) -> bool {
        self.desc
            .as_ref()
            .is_some_and(|d| d.mfr_desc == "Nicira, Inc." || d.hw_desc == "Open vSwitch")
    }
}

/// Commands from handles to the session task.
pub(super) enum Command {
    /// Send a request and deliver its reply (all multipart parts).
    Request { body: Body, tx: ReplyTx },
    /// Send messages followed by a barrier; deliver the errors they caused.
    Batch { bodies: Vec<Body>, tx: BatchTx },
    /// End the session.
    Close { reason: String },
}

struct Inner {
    dpid: u64,
    session_id: u64,
    timeout: Duration,
    cmd: mpsc::UnboundedSender<Command>,
    info: RwLock<SwitchInfo>,
    next_bundle: AtomicU32,
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
        dpid: u64,
        session_id: u64,
        timeout: Duration,
        cmd: mpsc::UnboundedSender<Command>,
        info: SwitchInfo,
    ) -> SwitchHandle {
        SwitchHandle {
            inner: Arc::new(Inner {
                dpid,
                session_id,
                timeout,
                cmd,
                info: RwLock::new(info),
                next_bundle: AtomicU32::new(1),
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

    /// A copy of what is known about the switch.
    pub fn info(&self) -> SwitchInfo {
        self.inner.info.read().expect("info lock").clone()
    }

    pub(super) fn update_info(&self, f: impl FnOnce(&mut SwitchInfo)) {
        f(&mut self.inner.info.write().expect("info lock"));
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        self.inner.cmd.is_closed()
    }

    /// Ends the session.
    pub fn close(&self, reason: &str) {
        let _ = self.inner.cmd.send(Command::Close {
            reason: reason.to_string(),
        });
    }

    async fn wait<T>(
        &self,
        rx: oneshot::Receiver<Result<T, RequestError>>,
    ) -> Result<T, RequestError> {
        match tokio::time::timeout(self.inner.timeout, rx).await {
            Err(_) => Err(RequestError::Timeout),
            Ok(Err(_)) => Err(RequestError::Closed),
            Ok(Ok(r)) => r,
        }
    }

    /// Sends a request and returns its reply (every part of a multipart reply).
    pub async fn request(&self, body: Body) -> Result<Vec<Message>, RequestError> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .cmd
            .send(Command::Request { body, tx })
            .map_err(|_| RequestError::Closed)?;
        self.wait(rx).await
    }

    /// Sends messages, then a barrier, and returns the errors the messages caused once the
    /// barrier is answered (so everything before it has been processed).
    pub async fn batch(&self, bodies: Vec<Body>) -> Result<BatchErrors, RequestError> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .cmd
            .send(Command::Batch { bodies, tx })
            .map_err(|_| RequestError::Closed)?;
        self.wait(rx).await
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
