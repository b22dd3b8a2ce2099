//! The session handshake: HELLO version negotiation, FEATURES, SET_CONFIG, PORT_DESC, DESC and
//! the role request, as a state machine fed one message at a time.

use super::end::HandshakeError;
use super::info::SwitchInfo;
use super::Outbox;
use crate::session::{Claim, SessionConfig};
use ofproto::msg::{
    error_type, ErrorMsg, FeaturesReply, Hello, Port, Role, RoleMessage, SwitchConfig,
};
use ofproto::multipart::{
    Desc, MultipartReplyBody, MultipartRequest, MultipartRequestBody, OFPMPF_MORE,
};
use ofproto::{Body, Message, OFP_VERSION};
use std::collections::BTreeMap;

/// The text sent with HELLO_FAILED.
const INCOMPATIBLE: &str = "netmaster speaks OpenFlow 1.3 (wire version 0x04) only";

/// Whether a peer's HELLO allows OpenFlow 1.3.
fn accepts_of13(version: u8, hello: &Hello) -> bool {
    match hello.supports(OFP_VERSION) {
        Some(b) => b,
        // Without a bitmap the peer supports everything up to its header version.
        None => version >= OFP_VERSION,
    }
}

/// A request of the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Features,
    PortDesc,
    Desc,
    Role,
}

/// What the handshake waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The switch's HELLO.
    Hello,
    /// The reply to a request sent with `xid`.
    Reply { request: Request, xid: u32 },
}

/// What a message did to the handshake.
pub(super) enum Step {
    /// It goes on.
    Continue,
    /// It completed.
    Done(SwitchInfo),
    /// It failed; the session ends.
    Failed(HandshakeError),
}

/// A handshake in progress.
pub(super) struct Handshake {
    stage: Stage,
    peer: String,
    /// The parts received so far of the multipart reply waited for.
    parts: Vec<Message>,
    features: Option<FeaturesReply>,
    ports: BTreeMap<u32, Port>,
    desc: Option<Desc>,
    /// The role asked for, with its generation id (the claim current when it was sent).
    claim: Claim,
    /// Asynchronous messages (PORT_STATUS, PACKET_IN...) that arrived during the handshake,
    /// handled once it completes.
    pub early: Vec<Message>,
}

impl Handshake {
    /// Starts a handshake: sends HELLO.
    pub fn start(peer: String, out: &mut Outbox) -> Handshake {
        out.send(Body::Hello(Hello::of13()));
        Handshake {
            stage: Stage::Hello,
            peer,
            parts: Vec::new(),
            features: None,
            ports: BTreeMap::new(),
            desc: None,
            claim: Claim::EQUAL,
            early: Vec::new(),
        }
    }

    /// Feeds a message from the switch.
    pub fn handle(&mut self, m: Message, cfg: &SessionConfig, out: &mut Outbox) -> Step {
        let (request, waiting) = match self.stage {
            Stage::Hello => return self.hello(m, out),
            Stage::Reply { request, xid } => (request, xid),
        };
        if m.xid != waiting {
            match m.body {
                Body::EchoRequest(d) => out.reply(m.xid, Body::EchoReply(d)),
                Body::EchoReply(_) | Body::Hello(_) => {}
                _ => self.early.push(m),
            }
            return Step::Continue;
        }
        let reply = match m.body {
            Body::Error(e) => Err(e),
            Body::MultipartReply(ref r) if r.flags & OFPMPF_MORE != 0 => {
                self.parts.push(m);
                return Step::Continue;
            }
            _ => {
                self.parts.push(m);
                Ok(std::mem::take(&mut self.parts))
            }
        };
        match self.advance(request, reply, cfg, out) {
            Ok(Some(info)) => Step::Done(info),
            Ok(None) => Step::Continue,
            Err(e) => Step::Failed(e),
        }
    }

    fn hello(&mut self, m: Message, out: &mut Outbox) -> Step {
        match &m.body {
            Body::Hello(h) if accepts_of13(m.version, h) => {
                self.wait(Request::Features, out.send(Body::FeaturesRequest));
                Step::Continue
            }
            Body::Hello(_) => {
                out.reply(
                    m.xid,
                    Body::Error(ErrorMsg::Standard {
                        typ: error_type::HELLO_FAILED,
                        code: error_type::HELLO_INCOMPATIBLE,
                        data: INCOMPATIBLE.as_bytes().to_vec(),
                    }),
                );
                Step::Failed(HandshakeError::Incompatible { version: m.version })
            }
            other => Step::Failed(HandshakeError::NotHello(other.msg_type())),
        }
    }

    /// Moves to the next stage with the (complete) reply to the current one; the switch's
    /// information once the last stage is answered.
    fn advance(
        &mut self,
        request: Request,
        reply: Result<Vec<Message>, ErrorMsg>,
        cfg: &SessionConfig,
        out: &mut Outbox,
    ) -> Result<Option<SwitchInfo>, HandshakeError> {
        let multipart = |body| Body::MultipartRequest(MultipartRequest::new(body));
        let refused = HandshakeError::Refused;
        match request {
            Request::Features => {
                match last(reply.map_err(refused)?) {
                    Body::FeaturesReply(f) => self.features = Some(f),
                    other => return Err(unexpected("FEATURES_REPLY", &other)),
                }
                out.send(Body::SetConfig(SwitchConfig {
                    flags: 0,
                    miss_send_len: cfg.miss_send_len,
                }));
                self.wait(
                    Request::PortDesc,
                    out.send(multipart(MultipartRequestBody::PortDesc)),
                );
            }
            Request::PortDesc => {
                for m in reply.map_err(refused)? {
                    match m.body {
                        Body::MultipartReply(r) => match r.body {
                            MultipartReplyBody::PortDesc(v) => {
                                self.ports.extend(v.into_iter().map(|p| (p.port_no, p)));
                            }
                            other => {
                                return Err(HandshakeError::Unexpected {
                                    expected: "PORT_DESC reply",
                                    got: format!("{other:?}"),
                                })
                            }
                        },
                        other => return Err(unexpected("PORT_DESC reply", &other)),
                    }
                }
                self.wait(
                    Request::Desc,
                    out.send(multipart(MultipartRequestBody::Desc)),
                );
            }
            Request::Desc => {
                // Which vendor extensions it speaks; a switch that refuses the request speaks
                // none.
                self.desc = match reply.map(last) {
                    Ok(Body::MultipartReply(r)) => match r.body {
                        MultipartReplyBody::Desc(d) => Some(d),
                        _ => None,
                    },
                    _ => None,
                };
                self.claim = *cfg.claim.borrow();
                if self.claim.role == Role::Equal {
                    return Ok(Some(self.info()));
                }
                let xid = out.send(Body::RoleRequest(RoleMessage {
                    role: self.claim.role,
                    generation_id: self.claim.generation_id,
                }));
                self.wait(Request::Role, xid);
            }
            Request::Role => match last(reply.map_err(refused)?) {
                Body::RoleReply(r) if r.role == self.claim.role => return Ok(Some(self.info())),
                other => {
                    return Err(HandshakeError::Role {
                        wanted: self.claim.role,
                        got: format!("{:?}", other.msg_type()),
                    })
                }
            },
        }
        Ok(None)
    }

    fn wait(&mut self, request: Request, xid: u32) {
        self.stage = Stage::Reply { request, xid };
    }

    fn info(&mut self) -> SwitchInfo {
        SwitchInfo {
            features: self.features.take().expect("FEATURES_REPLY came first"),
            ports: std::mem::take(&mut self.ports),
            peer: std::mem::take(&mut self.peer),
            role: self.claim.role,
            desc: self.desc.take(),
        }
    }
}

/// The body of the last part of a reply (a complete reply has at least one part).
fn last(parts: Vec<Message>) -> Body {
    parts.into_iter().last().expect("a reply has a part").body
}

fn unexpected(expected: &'static str, got: &Body) -> HandshakeError {
    HandshakeError::Unexpected {
        expected,
        got: format!("{:?}", got.msg_type()),
    }
}
