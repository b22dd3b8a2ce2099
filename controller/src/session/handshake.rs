//! The session handshake: HELLO version negotiation, FEATURES, SET_CONFIG, PORT_DESC and the
//! role request.

use super::conn::{Reader, Xids};
use super::handle::SwitchInfo;
use super::SessionConfig;
use futures_util::StreamExt;
use ofproto::msg::{error_type, ErrorMsg, Hello, Role, RoleMessage, SwitchConfig};
use ofproto::multipart::{
    Desc, MultipartReplyBody, MultipartRequest, MultipartRequestBody, OFPMPF_MORE,
};
use ofproto::{Body, Message, OFP_VERSION};
use std::collections::BTreeMap;
use tokio::sync::mpsc::UnboundedSender;

/// The text sent with HELLO_FAILED.
const INCOMPATIBLE: &str = "netmaster speaks OpenFlow 1.3 (wire version 0x04) only";

/// Whether a peer's HELLO allows OpenFlow 1.3.
pub(super) fn accepts_of13(version: u8, hello: &Hello) -> bool {
    match hello.supports(OFP_VERSION) {
        Some(b) => b,
        // Without a bitmap the peer supports everything up to its header version.
        None => version >= OFP_VERSION,
    }
}

/// Reads the handshake replies while answering echo requests and keeping unrelated
/// asynchronous messages for later.
pub(super) struct Handshake<'a> {
    pub reader: &'a mut Reader,
    pub out: &'a UnboundedSender<Vec<Message>>,
    pub xids: &'a mut Xids,
    /// Asynchronous messages (PORT_STATUS, PACKET_IN...) that arrived during the handshake.
    pub early: Vec<Message>,
}

impl Handshake<'_> {
    fn send(&mut self, body: Body) -> u32 {
        let xid = self.xids.next();
        let _ = self.out.send(vec![Message::new(xid, body)]);
        xid
    }

    async fn next(&mut self) -> Result<Message, String> {
        match self.reader.next().await {
            None => Err("connection closed during handshake".into()),
            Some(Ok(Err(bad))) => Err(format!("during handshake: {bad}")),
            Some(Err(e)) => Err(format!("during handshake: {e}")),
            Some(Ok(Ok(m))) => Ok(m),
        }
    }

    /// Waits for all parts of the reply to `xid`.
    async fn replies(&mut self, xid: u32) -> Result<Vec<Message>, String> {
        let mut parts = Vec::new();
        loop {
            let m = self.next().await?;
            if m.xid != xid {
                match m.body {
                    Body::EchoRequest(d) => {
                        let _ = self.out.send(vec![Message::new(m.xid, Body::EchoReply(d))]);
                    }
                    Body::EchoReply(_) | Body::Hello(_) => {}
                    _ => self.early.push(m),
                }
                continue;
            }
            if let Body::Error(e) = &m.body {
                return Err(format!(
                    "switch refused: {}",
                    super::pending::describe_error(e)
                ));
            }
            let more = matches!(&m.body, Body::MultipartReply(r) if r.flags & OFPMPF_MORE != 0);
            parts.push(m);
            if !more {
                return Ok(parts);
            }
        }
    }

    /// Runs the handshake.
    pub async fn run(&mut self, cfg: &SessionConfig, peer: &str) -> Result<SwitchInfo, String> {
        self.send(Body::Hello(Hello::of13()));
        let hello = self.next().await?;
        match &hello.body {
            Body::Hello(h) if accepts_of13(hello.version, h) => {}
            Body::Hello(_) => {
                let _ = self.out.send(vec![Message::new(
                    hello.xid,
                    Body::Error(ErrorMsg::Standard {
                        typ: error_type::HELLO_FAILED,
                        code: error_type::HELLO_INCOMPATIBLE,
                        data: INCOMPATIBLE.as_bytes().to_vec(),
                    }),
                )]);
                return Err(format!(
                    "version negotiation failed: peer HELLO version {:#04x} without 1.3",
                    hello.version
                ));
            }
            other => return Err(format!("expected HELLO, got {:?}", other.msg_type())),
        }
        let xid = self.send(Body::FeaturesRequest);
        let features = match self.replies(xid).await?.pop().map(|m| m.body) {
            Some(Body::FeaturesReply(f)) => f,
            other => return Err(format!("expected FEATURES_REPLY, got {other:?}")),
        };
        self.send(Body::SetConfig(SwitchConfig {
            flags: 0,
            miss_send_len: cfg.miss_send_len,
        }));
        let ports = self.port_desc().await?;
        // Which vendor extensions it speaks; a switch that refuses the request speaks none.
        let desc = self.desc().await.ok();
        if cfg.role != Role::Equal {
            self.role(cfg).await?;
        }
        Ok(SwitchInfo {
            features,
            ports,
            peer: peer.to_string(),
            role: cfg.role,
            desc,
        })
    }

    async fn desc(&mut self) -> Result<Desc, String> {
        let xid = self.send(Body::MultipartRequest(MultipartRequest::new(
            MultipartRequestBody::Desc,
        )));
        match self.replies(xid).await?.pop().map(|m| m.body) {
            Some(Body::MultipartReply(r)) => match r.body {
                MultipartReplyBody::Desc(d) => Ok(d),
                other => Err(format!("expected DESC reply, got {other:?}")),
            },
            other => Err(format!("expected DESC reply, got {other:?}")),
        }
    }

    async fn port_desc(&mut self) -> Result<BTreeMap<u32, ofproto::msg::Port>, String> {
        let xid = self.send(Body::MultipartRequest(MultipartRequest::new(
            MultipartRequestBody::PortDesc,
        )));
        let mut ports = BTreeMap::new();
        for m in self.replies(xid).await? {
            match m.body {
                Body::MultipartReply(r) => match r.body {
                    MultipartReplyBody::PortDesc(v) => {
                        ports.extend(v.into_iter().map(|p| (p.port_no, p)));
                    }
                    other => return Err(format!("expected PORT_DESC reply, got {other:?}")),
                },
                other => {
                    return Err(format!(
                        "expected PORT_DESC reply, got {:?}",
                        other.msg_type()
                    ))
                }
            }
        }
        Ok(ports)
    }

    async fn role(&mut self, cfg: &SessionConfig) -> Result<(), String> {
        let xid = self.send(Body::RoleRequest(RoleMessage {
            role: cfg.role,
            generation_id: cfg.generation_id,
        }));
        match self.replies(xid).await?.pop().map(|m| m.body) {
            Some(Body::RoleReply(r)) if r.role == cfg.role => Ok(()),
            other => Err(format!(
                "role request for {} answered with {other:?}",
                cfg.role.name()
            )),
        }
    }
}
