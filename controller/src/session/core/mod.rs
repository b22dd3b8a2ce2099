//! The sans-I/O session core: one switch's OpenFlow 1.3 session as a synchronous state
//! machine, in the manner of quinn-proto. It is fed what the switch sent (decoded messages,
//! undecodable frames) and the time, and it is asked what to send
//! ([`Core::poll_transmit`]), what happened ([`Core::poll_event`]) and when it next needs
//! waking ([`Core::poll_timeout`]). It does no I/O and holds no channel or timer: the tokio
//! driver (`conn.rs`) does those, and the tests here feed it messages and fake instants.
//!
//! It owns the handshake (`handshake.rs`), xid allocation and the matching of replies to
//! requests (`requests.rs`), the echo keepalive (`keepalive.rs`) and the policing of a
//! misbehaving switch (`police.rs`).

mod end;
mod handshake;
mod info;
mod keepalive;
mod police;
mod requests;
#[cfg(test)]
mod tests;

pub use end::{End, HandshakeError};
pub use info::SwitchInfo;
pub use requests::{describe_error, BatchErrors, Completion, RequestError, RequestId};

use super::SessionConfig;
use handshake::{Handshake, Step};
use keepalive::{Due, Keepalive};
use ofproto::msg::{error_type, ErrorMsg, FlowRemoved, PacketIn, PortStatus};
use ofproto::{Body, DecodeError, DecodeErrorKind, Message, MsgType};
use police::{controller_only, RateLimit};
use requests::{Requests, Routed};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;
use tracing::{debug, warn};

/// What happened in a session.
#[derive(Debug)]
pub enum Event {
    /// The handshake completed.
    Connected(SwitchInfo),
    /// A port changed.
    PortStatus(PortStatus),
    /// A packet was sent to the controller.
    PacketIn(PacketIn),
    /// A flow expired or was deleted.
    FlowRemoved(FlowRemoved),
    /// A request or batch was answered, failed or timed out.
    Completed(RequestId, Completion),
    /// The session ended (the last event); every outstanding request was failed before it.
    Ended(End),
}

/// Messages waiting to be sent, and the xids they get.
pub(super) struct Outbox {
    last_xid: u32,
    queue: VecDeque<Message>,
}

impl Outbox {
    /// The next xid (never 0).
    fn next_xid(&mut self) -> u32 {
        self.last_xid = self.last_xid.wrapping_add(1).max(1);
        self.last_xid
    }

    /// Queues `body` with a new xid, which it returns.
    fn send(&mut self, body: Body) -> u32 {
        let xid = self.next_xid();
        self.queue.push_back(Message::new(xid, body));
        xid
    }

    /// Queues `body` with the xid of the message it answers.
    fn reply(&mut self, xid: u32, body: Body) {
        self.queue.push_back(Message::new(xid, body));
    }
}

/// A session after its handshake.
struct Ready {
    keepalive: Keepalive,
    limit: RateLimit,
    bad_messages: u32,
}

enum State {
    Handshake(Handshake),
    Ready(Ready),
    Ended,
}

/// One switch's session.
pub struct Core {
    cfg: Arc<SessionConfig>,
    out: Outbox,
    events: VecDeque<Event>,
    requests: Requests,
    state: State,
    handshake_deadline: Instant,
    /// The datapath id, for logs (0 until the handshake completes).
    dpid: u64,
}

impl Core {
    /// A session whose connection opened at `now`; it starts by sending HELLO.
    pub fn new(cfg: Arc<SessionConfig>, peer: String, now: Instant) -> Core {
        let mut out = Outbox {
            last_xid: 0,
            queue: VecDeque::new(),
        };
        let handshake = Handshake::start(peer, &mut out);
        Core {
            handshake_deadline: now + cfg.handshake_timeout,
            cfg,
            out,
            events: VecDeque::new(),
            requests: Requests::default(),
            state: State::Handshake(handshake),
            dpid: 0,
        }
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Message> {
        self.out.queue.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Core::handle_timeout`] must be called next (`None` once the session ended).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Handshake(_) => Some(self.handshake_deadline),
            State::Ready(r) => {
                let keepalive = r.keepalive.deadline();
                Some(
                    self.requests
                        .next_deadline()
                        .map_or(keepalive, |d| d.min(keepalive)),
                )
            }
            State::Ended => None,
        }
    }

    /// Whether the session ended (its last event may still wait to be polled).
    pub fn is_ended(&self) -> bool {
        matches!(self.state, State::Ended)
    }

    /// Time passed: expires the handshake and requests, sends echo requests, finds a dead
    /// switch.
    pub fn handle_timeout(&mut self, now: Instant) {
        match &mut self.state {
            State::Ended => {}
            State::Handshake(_) => {
                if now >= self.handshake_deadline {
                    self.end(HandshakeError::TimedOut.into());
                }
            }
            State::Ready(r) => {
                let due = r.keepalive.poll(now);
                for (id, c) in self.requests.expire(now) {
                    self.events.push_back(Event::Completed(id, c));
                }
                match due {
                    Due::Nothing => {}
                    Due::Echo => {
                        self.out.send(Body::EchoRequest(Vec::new()));
                    }
                    Due::Dead(silent) => self.end(End::DeadPeer { silent }),
                }
            }
        }
    }

    /// A message from the switch, received at `now`.
    pub fn handle_message(&mut self, m: Message, now: Instant) {
        match &mut self.state {
            State::Ended => {}
            State::Handshake(hs) => match hs.handle(m, &self.cfg, &mut self.out) {
                Step::Continue => {}
                Step::Done(info) => {
                    let early = std::mem::take(&mut hs.early);
                    self.connect(info, early, now);
                }
                Step::Failed(e) => self.end(e.into()),
            },
            State::Ready(r) => {
                r.keepalive.received(now);
                if !r.limit.take(now) {
                    let limit = self.cfg.max_msgs_per_sec;
                    self.end(End::Flooding { limit });
                    return;
                }
                self.dispatch(m);
            }
        }
    }

    /// A complete frame from the switch that did not decode, received at `now`: it is
    /// answered with the OFPT_ERROR its error kind calls for; too many end the session.
    pub fn handle_bad_frame(&mut self, error: &DecodeError, frame: &[u8], now: Instant) {
        match &mut self.state {
            State::Ended => {}
            State::Handshake(_) => self.end(HandshakeError::BadMessage(error.clone()).into()),
            State::Ready(r) => {
                r.keepalive.received(now);
                let xid = frame
                    .get(4..8)
                    .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                self.out.reply(xid, Body::Error(error.error_reply(frame)));
                r.bad_messages += 1;
                warn!(dpid = %super::dpid_str(self.dpid), %error, "undecodable message from switch");
                if r.bad_messages > self.cfg.max_bad_messages {
                    let count = r.bad_messages;
                    self.end(End::Garbage { count });
                }
            }
        }
    }

    /// A header whose length field is below 8: the stream cannot go on. The switch is told
    /// why (OFPBRC_BAD_LEN) and the session ends.
    pub fn handle_bad_header_length(&mut self, len: usize) {
        match self.state {
            State::Ended => {}
            State::Handshake(_) => self.end(HandshakeError::HeaderTooShort(len).into()),
            State::Ready(_) => {
                let (typ, code) = DecodeErrorKind::BadLen.error_code();
                self.out
                    .reply(0, Body::Error(ErrorMsg::new(typ, code, &[])));
                self.end(End::HeaderTooShort { len });
            }
        }
    }

    /// Sends a request; its reply (every part of a multipart reply, or the error answering it)
    /// completes the returned id, or the request times out after `request_timeout`.
    pub fn request(&mut self, body: Body, now: Instant) -> RequestId {
        let xid = self.out.send(body);
        let id = self
            .requests
            .add_request(xid, now + self.cfg.request_timeout);
        self.fail_if_ended();
        id
    }

    /// Sends messages followed by a barrier; the barrier reply completes the returned id with
    /// the errors the messages caused.
    pub fn batch(&mut self, bodies: Vec<Body>, now: Instant) -> RequestId {
        let mut first = None;
        let mut last = 0;
        for mut body in bodies {
            let xid = self.out.next_xid();
            if let Body::BundleAdd(add) = &mut body {
                // Open vSwitch requires the embedded message to carry the outer xid.
                add.message.xid = xid;
            }
            first.get_or_insert(xid);
            last = xid;
            self.out.reply(xid, body);
        }
        let barrier = self.out.send(Body::BarrierRequest);
        let (first, last) = first.map_or((barrier, barrier), |first| (first, last));
        let id = self
            .requests
            .add_batch(first, last, barrier, now + self.cfg.request_timeout);
        self.fail_if_ended();
        id
    }

    /// Sends messages nobody waits for (an error they cause is logged).
    pub fn post(&mut self, bodies: Vec<Body>) {
        for body in bodies {
            self.out.send(body);
        }
    }

    /// Ends the session for a reason found outside the core (the connection closed, a handle
    /// closed it, the controller shuts down). Does nothing once it has ended.
    pub fn close(&mut self, end: End) {
        if !self.is_ended() {
            self.end(end);
        }
    }

    /// A request made after the end fails at once.
    fn fail_if_ended(&mut self) {
        if self.is_ended() {
            for (id, c) in self.requests.fail_all() {
                self.events.push_back(Event::Completed(id, c));
            }
        }
    }

    fn end(&mut self, end: End) {
        self.state = State::Ended;
        for (id, c) in self.requests.fail_all() {
            self.events.push_back(Event::Completed(id, c));
        }
        self.events.push_back(Event::Ended(end));
    }

    /// The handshake completed at `now`; `early` arrived during it.
    fn connect(&mut self, info: SwitchInfo, early: Vec<Message>, now: Instant) {
        self.dpid = info.features.datapath_id;
        self.state = State::Ready(Ready {
            keepalive: Keepalive::new(self.cfg.echo_interval, self.cfg.dead_after, now),
            limit: RateLimit::new(self.cfg.max_msgs_per_sec, now),
            bad_messages: 0,
        });
        self.events.push_back(Event::Connected(info));
        for m in early {
            self.dispatch(m);
        }
    }

    /// Handles a message once the handshake is done.
    fn dispatch(&mut self, m: Message) {
        match m.body {
            Body::EchoRequest(d) => self.out.reply(m.xid, Body::EchoReply(d)),
            Body::Hello(_) => {}
            Body::PortStatus(status) => self.events.push_back(Event::PortStatus(status)),
            Body::PacketIn(p) => self.events.push_back(Event::PacketIn(p)),
            Body::FlowRemoved(r) => self.events.push_back(Event::FlowRemoved(r)),
            body => {
                let t = body.msg_type();
                match self.requests.route(Message { body, ..m }) {
                    Routed::Completed(id, c) => self.events.push_back(Event::Completed(id, c)),
                    Routed::Consumed => {}
                    Routed::Unsolicited(m) => self.unsolicited(m, t),
                }
            }
        }
    }

    fn unsolicited(&mut self, m: Message, t: MsgType) {
        let dpid = super::dpid_str(self.dpid);
        match &m.body {
            Body::Error(e) => {
                warn!(%dpid, xid = m.xid, error = %describe_error(e), "switch reported an error")
            }
            _ if controller_only(t) => {
                let bytes = m.to_bytes().map(|b| b.to_vec()).unwrap_or_default();
                let error = ErrorMsg::new(
                    error_type::BAD_REQUEST,
                    error_type::BAD_REQUEST_BAD_TYPE,
                    &bytes,
                );
                self.out.reply(m.xid, Body::Error(error));
            }
            _ => debug!(%dpid, xid = m.xid, msg = ?t, "unsolicited message ignored"),
        }
    }
}
