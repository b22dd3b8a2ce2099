//! The session driver: one tokio task per switch that moves bytes and time into the
//! [`Core`] and its output out again. It reads frames and feeds them to the core, writes what
//! the core sends, sleeps until the core's next timeout, executes handle commands and forwards
//! the core's events. It never decides anything about the protocol.
//!
//! Backpressure: handle commands come through a bounded queue that is not read while more than
//! [`HIGH_WATER`] bytes wait to be written; events go out through the controller's bounded
//! channel, and while [`EVENT_BACKLOG`] of them wait for room, the switch is not read (TCP
//! then slows it down). Reading and writing run in the same task but never wait on each
//! other, so a switch that reads slowly still has its replies read.

use super::core::{Completion, Core, End, Event, RequestId};
use super::handle::{BatchTx, Command, ReplyTx, SwitchHandle};
use super::sampled::Sampled;
use super::{dpid_str, SessionConfig, SessionEvent};
use crate::transport::BoxedStream;
use bytes::BytesMut;
use futures_util::StreamExt;
use ofproto::codec::{BadFrame, CodecError, OfCodec};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt, WriteHalf};
use tokio::sync::mpsc;
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Failed handshakes logged: at most one line per second.
static HANDSHAKE_FAILURES: Sampled = Sampled::new(Duration::from_secs(1));

/// How long the switch may read nothing of what waits for it before it counts as stalled.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a closing session tries to deliver its last messages (HELLO_FAILED, an error).
const FLUSH_ON_CLOSE: Duration = Duration::from_secs(1);
/// Handle commands that may wait for the session.
const COMMAND_CAPACITY: usize = 64;
/// Bytes waiting to be written above which no more handle commands are taken.
const HIGH_WATER: usize = 1 << 20;
/// Events waiting for room in the event channel above which the switch is not read.
const EVENT_BACKLOG: usize = 64;

/// The writing side: encoded messages waiting for the switch.
struct Output {
    wr: WriteHalf<BoxedStream>,
    buf: BytesMut,
    /// When the switch last took bytes (or the buffer last became non-empty).
    progress: Instant,
}

impl Output {
    /// Encodes what the core wants sent.
    fn take_from(&mut self, core: &mut Core) {
        while let Some(m) = core.poll_transmit() {
            if self.buf.is_empty() {
                self.progress = Instant::now();
            }
            if let Err(e) = m.encode(&mut self.buf) {
                warn!(error = %e, msg = ?m.msg_type(), "message not sent");
            }
        }
    }

    /// Writes some of the buffer; flushes the transport once it is empty. Cancel-safe.
    async fn write(&mut self) -> std::io::Result<()> {
        let n = self.wr.write_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        self.progress = Instant::now();
        if self.buf.is_empty() {
            self.wr.flush().await?;
        }
        Ok(())
    }

    /// Writes everything left, for at most `limit`.
    async fn drain(&mut self, limit: Duration) {
        let all = async {
            while !self.buf.is_empty() {
                self.write().await?;
            }
            self.wr.shutdown().await
        };
        let _ = tokio::time::timeout(limit, all).await;
    }
}

/// Who waits for which request.
#[derive(Default)]
struct Waiters {
    replies: HashMap<RequestId, ReplyTx>,
    batches: HashMap<RequestId, BatchTx>,
}

impl Waiters {
    fn complete(&mut self, id: RequestId, c: Completion) {
        // A requester that gave up (timed out) is gone: its answer is dropped.
        match c {
            Completion::Reply(r) => {
                if let Some(tx) = self.replies.remove(&id) {
                    let _ = tx.send(r);
                }
            }
            Completion::Batch(r) => {
                if let Some(tx) = self.batches.remove(&id) {
                    let _ = tx.send(r);
                }
            }
        }
    }
}

/// One session's driver state.
struct Driver {
    core: Core,
    session_id: u64,
    peer: String,
    identity: Option<String>,
    cfg: Arc<SessionConfig>,
    /// Ends the session: [`SwitchHandle::close`] or the controller's shutdown.
    closer: CancellationToken,
    shutdown: CancellationToken,
    /// Given to the handle when the handshake completes.
    cmd_tx: Option<mpsc::Sender<Command>>,
    handle: Option<SwitchHandle>,
    waiters: Waiters,
    /// Events waiting for room in the event channel.
    backlog: VecDeque<SessionEvent>,
    end: Option<End>,
}

impl Driver {
    /// Takes the core's events: answers requesters, builds the handle, queues session events.
    fn take_events(&mut self) {
        while let Some(ev) = self.core.poll_event() {
            match ev {
                Event::Completed(id, c) => self.waiters.complete(id, c),
                Event::Connected(info) => {
                    let cmd = self.cmd_tx.take().expect("one handshake per session");
                    let dpid = info.features.datapath_id;
                    info!(dpid = %dpid_str(dpid), peer = %self.peer, session_id = self.session_id, ports = info.ports.len(), role = info.role.name(), "switch connected");
                    let h = SwitchHandle::new(
                        self.session_id,
                        self.cfg.request_timeout,
                        cmd,
                        info,
                        self.identity.clone(),
                        self.closer.clone(),
                    );
                    self.backlog.push_back(SessionEvent::Connected(h.clone()));
                    self.handle = Some(h);
                }
                Event::PortStatus(status) => {
                    if let Some(h) = &self.handle {
                        h.update_info(|info| info.apply_port_status(&status));
                        let dpid = h.dpid();
                        self.backlog
                            .push_back(SessionEvent::PortStatus { dpid, status });
                    }
                }
                Event::PacketIn(packet_in) => {
                    if let Some(h) = &self.handle {
                        self.backlog.push_back(SessionEvent::PacketIn {
                            dpid: h.dpid(),
                            session_id: h.session_id(),
                            packet_in,
                        });
                    }
                }
                Event::FlowRemoved(removed) => {
                    if let Some(h) = &self.handle {
                        let dpid = h.dpid();
                        self.backlog
                            .push_back(SessionEvent::FlowRemoved { dpid, removed });
                    }
                }
                Event::Ended(end) => self.end = Some(end),
            }
        }
    }

    fn command(&mut self, cmd: Command) {
        let now = Instant::now();
        match cmd {
            Command::Request { body, tx } => {
                let id = self.core.request(body, now);
                self.waiters.replies.insert(id, tx);
            }
            Command::Batch { bodies, tx } => {
                let id = self.core.batch(bodies, now);
                self.waiters.batches.insert(id, tx);
            }
            Command::Post { bodies } => self.core.post(bodies),
        }
    }

    fn frame(&mut self, frame: Option<Result<Result<ofproto::Message, BadFrame>, CodecError>>) {
        let now = Instant::now();
        match frame {
            None => self.core.close(End::ClosedBySwitch),
            Some(Ok(Ok(m))) => self.core.handle_message(m, now),
            Some(Ok(Err(BadFrame { error, frame }))) => {
                self.core.handle_bad_frame(&error, &frame, now)
            }
            Some(Err(CodecError::BadLength(len))) => self.core.handle_bad_header_length(len),
            Some(Err(e)) => self.core.close(End::ReadFailed(e)),
        }
    }

    /// Why the closer was cancelled.
    fn closed(&self) -> End {
        if self.shutdown.is_cancelled() {
            return End::Shutdown;
        }
        let reason = self.handle.as_ref().and_then(SwitchHandle::close_reason);
        End::Closed(reason.unwrap_or_else(|| "closed".into()))
    }

    /// Delivers the waiting events, giving up when the controller shuts down.
    async fn deliver_backlog(&mut self, events: &mpsc::Sender<SessionEvent>) {
        while let Some(ev) = self.backlog.pop_front() {
            tokio::select! {
                sent = events.send(ev) => if sent.is_err() { return },
                _ = self.shutdown.cancelled() => return,
            }
        }
    }
}

/// Runs one session until it ends.
pub(super) async fn drive(
    stream: BoxedStream,
    peer: String,
    identity: Option<String>,
    session_id: u64,
    cfg: Arc<SessionConfig>,
    events: mpsc::Sender<SessionEvent>,
    shutdown: CancellationToken,
) {
    let (rd, wr) = tokio::io::split(stream);
    let mut reader = FramedRead::new(rd, OfCodec);
    let mut out = Output {
        wr,
        buf: BytesMut::new(),
        progress: Instant::now(),
    };
    let (cmd_tx, mut cmd_rx) = mpsc::channel(COMMAND_CAPACITY);
    let mut d = Driver {
        core: Core::new(cfg.clone(), peer.clone(), Instant::now()),
        session_id,
        peer,
        identity,
        cfg,
        closer: shutdown.child_token(),
        shutdown,
        cmd_tx: Some(cmd_tx),
        handle: None,
        waiters: Waiters::default(),
        backlog: VecDeque::new(),
        end: None,
    };
    loop {
        out.take_from(&mut d.core);
        d.take_events();
        if d.end.is_some() {
            break;
        }
        let wake = d.core.poll_timeout().map(tokio::time::Instant::from_std);
        let stall = tokio::time::Instant::from_std(out.progress + WRITE_TIMEOUT);
        let take_commands = d.handle.is_some() && out.buf.len() < HIGH_WATER;
        tokio::select! {
            _ = d.closer.cancelled() => {
                let end = d.closed();
                d.core.close(end);
            }
            frame = reader.next(), if d.backlog.len() < EVENT_BACKLOG => d.frame(frame),
            Some(cmd) = cmd_rx.recv(), if take_commands => d.command(cmd),
            written = out.write(), if !out.buf.is_empty() => {
                if let Err(e) = written {
                    d.core.close(End::WriteFailed(e));
                }
            }
            permit = events.reserve(), if !d.backlog.is_empty() => match permit {
                Ok(permit) => permit.send(d.backlog.pop_front().expect("not empty")),
                // Nobody listens any more (the controller stopped): drop the events.
                Err(_) => d.backlog.clear(),
            },
            _ = tokio::time::sleep_until(wake.unwrap_or(stall)), if wake.is_some() => {
                d.core.handle_timeout(Instant::now());
            }
            _ = tokio::time::sleep_until(stall), if !out.buf.is_empty() => {
                d.core.close(End::Stalled);
            }
        }
    }
    // Handles see the session closed from now on; commands still queued fail as closed.
    drop(cmd_rx);
    out.drain(FLUSH_ON_CLOSE).await;
    drop(reader);
    let end = d.end.take().expect("the loop ends with the session");
    match &d.handle {
        Some(h) => {
            let dpid = h.dpid();
            info!(dpid = %dpid_str(dpid), session_id, reason = %end, "switch disconnected");
            d.backlog.push_back(SessionEvent::Disconnected {
                dpid,
                session_id,
                reason: end.to_string(),
            });
        }
        // A flood of failed handshakes is one line per second, with the count left out.
        None => {
            if let Some(suppressed) = HANDSHAKE_FAILURES.sample(Instant::now()) {
                warn!(peer = %d.peer, reason = %end, suppressed, "handshake failed");
            }
        }
    }
    d.deliver_backlog(&events).await;
}
