//! Property tests: for generated canonical messages of every type, encoding then decoding gives
//! the same value, re-encoding the decoded value gives the same bytes, and the framing codec
//! splits a concatenation of messages back into the same messages however the bytes arrive.

mod strategies;

use bytes::BytesMut;
use ofproto::codec::{frames, split_frame, OfCodec};
use ofproto::Message;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::BTreeSet;
use strategies::*;
use tokio_util::codec::{Decoder, Encoder};

/// Properties (1) and (2) for one message.
fn check_roundtrip(m: &Message) -> Result<(), TestCaseError> {
    let wire = m
        .to_bytes()
        .map_err(|e| TestCaseError::fail(format!("encode failed: {e}")))?;
    prop_assert_eq!(
        wire.len(),
        u16::from_be_bytes([wire[2], wire[3]]) as usize,
        "header length"
    );
    let decoded = Message::decode(&wire)
        .map_err(|e| TestCaseError::fail(format!("decode failed: {e}\nbytes: {wire:02x?}")))?;
    prop_assert_eq!(&decoded, m, "decode(encode(m)) != m");
    let again = decoded.to_bytes().expect("a decoded message encodes");
    prop_assert_eq!(&again[..], &wire[..], "re-encoding changed the bytes");
    Ok(())
}

/// Feeds `wire` to the codec in chunks of the given sizes (cycled) and collects the messages.
fn decode_in_chunks(wire: &[u8], sizes: &[usize]) -> Result<Vec<Message>, TestCaseError> {
    let mut codec = OfCodec;
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut pos = 0;
    for size in sizes.iter().cycle() {
        if pos == wire.len() {
            break;
        }
        let n = (*size).min(wire.len() - pos);
        buf.extend_from_slice(&wire[pos..pos + n]);
        pos += n;
        while let Some(m) = codec
            .decode(&mut buf)
            .map_err(|e| TestCaseError::fail(format!("codec error: {e}")))?
        {
            out.push(m.map_err(|bad| TestCaseError::fail(format!("bad frame: {bad}")))?);
        }
    }
    prop_assert!(buf.is_empty(), "{} bytes left in the buffer", buf.len());
    prop_assert!(matches!(codec.decode_eof(&mut buf), Ok(None)));
    Ok(out)
}

proptest! {
    #![proptest_config(Config::with_cases(256))]

    /// (1) + (2) for every non-multipart, non-experimenter message type.
    #[test]
    fn roundtrip_core_messages(m in core_message()) {
        check_roundtrip(&m)?;
    }

    /// (1) + (2) for every multipart request body.
    #[test]
    fn roundtrip_multipart_requests(m in multipart_request_message()) {
        check_roundtrip(&m)?;
    }

    /// (1) + (2) for every multipart reply body.
    #[test]
    fn roundtrip_multipart_replies(m in multipart_reply_message()) {
        check_roundtrip(&m)?;
    }

    /// (1) + (2) for experimenter messages, bundle control and bundle add.
    #[test]
    fn roundtrip_experimenter_and_bundles(m in experimenter_message()) {
        check_roundtrip(&m)?;
    }

    /// (1) + (2) for flow mods with large matches and instruction lists (all OXM fields,
    /// masks, raw classes, every action and instruction type).
    #[test]
    fn roundtrip_flow_mod_building_blocks(
        xid in any::<u32>(),
        mut fm in flow_mod(),
        fields in vec(oxm(), 0..24),
        insts in instructions(8),
    ) {
        fm.r#match.fields = fields;
        fm.instructions = insts;
        check_roundtrip(&Message::new(xid, ofproto::Body::FlowMod(fm)))?;
    }

    /// (2) on its own, over every message type: encode(decode(encode(m))) == encode(m).
    #[test]
    fn reencode_gives_identical_bytes(m in any_message()) {
        let wire = m.to_bytes().expect("encodes");
        let decoded = Message::decode(&wire).expect("decodes");
        prop_assert_eq!(&decoded.to_bytes().expect("re-encodes")[..], &wire[..]);
    }

    /// (3) The codec splits a concatenation of messages back into the same messages, whether
    /// the bytes arrive at once or in chunks of random sizes; `frames` and `split_frame` agree.
    #[test]
    fn codec_splits_concatenated_messages(
        msgs in vec(any_message(), 1..6),
        sizes in vec(1usize..150, 1..24),
    ) {
        let mut wire = BytesMut::new();
        let mut lens = Vec::new();
        for m in &msgs {
            let before = wire.len();
            OfCodec.encode(m, &mut wire).expect("encodes");
            lens.push(wire.len() - before);
        }

        // Everything at once.
        prop_assert_eq!(&decode_in_chunks(&wire, &[wire.len()])?, &msgs);
        // One byte at a time.
        prop_assert_eq!(&decode_in_chunks(&wire, &[1])?, &msgs);
        // Random chunk sizes.
        prop_assert_eq!(&decode_in_chunks(&wire, &sizes)?, &msgs);

        // Raw framing.
        let split: Vec<usize> = frames(&wire).map(|f| f.expect("whole frames").len()).collect();
        prop_assert_eq!(&split, &lens);
        let mut buf = wire.clone();
        for len in &lens {
            let frame = split_frame(&mut buf).expect("valid header").expect("whole frame");
            prop_assert_eq!(frame.len(), *len);
        }
        prop_assert!(buf.is_empty());
    }
}

/// The strategies really do produce every message type and every multipart body.
#[test]
fn strategies_cover_every_variant() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = any_message();
    let mut seen = BTreeSet::new();
    for _ in 0..4000 {
        let m = strategy.new_tree(&mut runner).expect("generates").current();
        seen.insert(variant_name(&m));
    }
    let missing: Vec<&&str> = ALL_VARIANTS
        .iter()
        .filter(|v| !seen.contains(**v))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    let unexpected: Vec<&String> = seen
        .iter()
        .filter(|v| !ALL_VARIANTS.contains(&v.as_str()))
        .collect();
    assert!(unexpected.is_empty(), "unlisted variants: {unexpected:?}");
}
