//! The ONF bundle extension for OpenFlow 1.3 (experimenter `0x4F4E4600`), as Open vSwitch
//! implements it: OPEN, ADD (which opens implicitly), CLOSE, COMMIT and DISCARD.
//!
//! A commit applies the bundle's messages in order to a copy of the datapath and swaps it in
//! only if all succeeded. On failure nothing changes: the failing message's error is sent (with
//! its own xid), then the commit fails with `ONFERR_ET_FAILED` (2313) and the bundle is gone.
//! As in Open vSwitch, only FLOW_MOD, GROUP_MOD, PORT_MOD and PACKET_OUT may be bundled.

use crate::error::OfError;
use crate::protocol::{apply_mod, error_msg, notify, Session};
use crate::state::Shared;
use ofproto::msg::{BundleAdd, BundleControl, BundleCtrlType, Role};
use ofproto::{Body, Message};

/// A bundle being built on one connection.
#[derive(Debug, Clone)]
pub(crate) struct Bundle {
    flags: u16,
    closed: bool,
    messages: Vec<Message>,
}

fn refuse(s: &Shared, sess: &Session) -> Option<OfError> {
    if !s.opts.bundles {
        Some(OfError::BAD_EXPERIMENTER)
    } else if s.conns.get(&sess.id).is_some_and(|c| c.role == Role::Slave) {
        Some(OfError::IS_SLAVE)
    } else {
        None
    }
}

/// Handles a bundle control request.
pub(crate) fn control(
    s: &mut Shared,
    sess: &mut Session,
    xid: u32,
    bc: &BundleControl,
    frame: &[u8],
) {
    let id = sess.id;
    let fail = |s: &Shared, e: OfError| s.send(id, &error_msg(xid, e, frame));
    if let Some(e) = refuse(s, sess) {
        return fail(s, e);
    }
    let reply_type = match bc.typ {
        BundleCtrlType::OpenRequest => {
            if sess.bundles.contains_key(&bc.bundle_id) {
                return fail(s, OfError::BUNDLE_EXIST);
            }
            sess.bundles.insert(
                bc.bundle_id,
                Bundle {
                    flags: bc.flags,
                    closed: false,
                    messages: Vec::new(),
                },
            );
            BundleCtrlType::OpenReply
        }
        BundleCtrlType::CloseRequest => {
            let Some(b) = sess.bundles.get_mut(&bc.bundle_id) else {
                return fail(s, OfError::BUNDLE_BAD_ID);
            };
            if b.closed {
                return fail(s, OfError::BUNDLE_CLOSED);
            }
            if b.flags != bc.flags {
                return fail(s, OfError::BUNDLE_BAD_FLAGS);
            }
            b.closed = true;
            BundleCtrlType::CloseReply
        }
        BundleCtrlType::CommitRequest => {
            let Some(b) = sess.bundles.remove(&bc.bundle_id) else {
                return fail(s, OfError::BUNDLE_BAD_ID);
            };
            if b.flags != bc.flags {
                return fail(s, OfError::BUNDLE_BAD_FLAGS);
            }
            let mut trial = s.dp.clone();
            let mut notices = Vec::new();
            for m in &b.messages {
                match apply_mod(&mut trial, &m.body) {
                    Ok(n) => notices.extend(n),
                    Err(e) => {
                        let bytes = m.to_bytes().unwrap_or_default();
                        s.send(id, &error_msg(m.xid, e, &bytes));
                        return fail(s, OfError::BUNDLE_MSG_FAILED);
                    }
                }
            }
            s.dp = trial;
            notify(s, notices);
            BundleCtrlType::CommitReply
        }
        BundleCtrlType::DiscardRequest => {
            if sess.bundles.remove(&bc.bundle_id).is_none() {
                return fail(s, OfError::BUNDLE_BAD_ID);
            }
            BundleCtrlType::DiscardReply
        }
        _ => return fail(s, OfError::BUNDLE_BAD_TYPE),
    };
    let reply = BundleControl {
        bundle_id: bc.bundle_id,
        typ: reply_type,
        flags: bc.flags,
        properties: Vec::new(),
    };
    s.send(id, &Message::new(xid, Body::BundleControl(reply)));
}

/// Handles a bundle add message (no reply on success).
pub(crate) fn add(s: &mut Shared, sess: &mut Session, xid: u32, ba: &BundleAdd, frame: &[u8]) {
    let id = sess.id;
    let fail = |s: &Shared, e: OfError| s.send(id, &error_msg(xid, e, frame));
    if let Some(e) = refuse(s, sess) {
        return fail(s, e);
    }
    if !matches!(
        ba.message.body,
        Body::FlowMod(_) | Body::GroupMod(_) | Body::PortMod(_) | Body::PacketOut(_)
    ) {
        return fail(s, OfError::BUNDLE_MSG_UNSUP);
    }
    if ba.message.xid != xid {
        return fail(s, OfError::BUNDLE_MSG_BAD_XID);
    }
    let b = sess.bundles.entry(ba.bundle_id).or_insert_with(|| Bundle {
        flags: ba.flags,
        closed: false,
        messages: Vec::new(),
    });
    if b.closed {
        return fail(s, OfError::BUNDLE_CLOSED);
    }
    if b.flags != ba.flags {
        return fail(s, OfError::BUNDLE_BAD_FLAGS);
    }
    b.messages.push((*ba.message).clone());
}
