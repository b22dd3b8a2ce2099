//! The tokio-util framing codec: partial frames, bad header lengths, bad frames that leave the
//! stream in sync, back-to-back frames, the encoder, and `codec::frames`.

use bytes::BytesMut;
use ofproto::codec::{frames, split_frame, BadFrame, CodecError, OfCodec};
use ofproto::msg::{FlowMod, SwitchConfig};
use ofproto::{Action, Body, EncodeError, Instruction, Match, Message, OxmField, Reason};
use tokio_util::codec::{Decoder, Encoder};

fn samples() -> Vec<Message> {
    vec![
        Message::new(1, Body::Hello(ofproto::msg::Hello::of13())),
        Message::new(2, Body::EchoRequest(b"ping".to_vec())),
        Message::new(
            3,
            Body::FlowMod(FlowMod::add(
                0,
                10,
                Match::new().with(OxmField::InPort(1)),
                vec![Instruction::ApplyActions(vec![Action::output(2)])],
            )),
        ),
        Message::new(4, Body::BarrierRequest),
        Message::new(
            5,
            Body::SetConfig(SwitchConfig {
                flags: 0,
                miss_send_len: 0xffff,
            }),
        ),
    ]
}

fn wire(m: &Message) -> Vec<u8> {
    m.to_bytes().expect("encodes").to_vec()
}

/// A complete frame whose body is bad: a FLOW_MOD with command 9 (offset 25).
fn bad_frame() -> Vec<u8> {
    let mut b = wire(&samples()[2]);
    b[25] = 9;
    b
}

/// The message of a decode step that must succeed with a complete, valid frame (or none).
fn msg(r: Result<Option<Result<Message, BadFrame>>, CodecError>) -> Option<Message> {
    r.expect("no stream error")
        .map(|m| m.expect("a valid message"))
}

#[test]
fn partial_frames_return_none_and_keep_the_bytes() {
    for m in samples() {
        let w = wire(&m);
        for k in 0..w.len() {
            let mut buf = BytesMut::from(&w[..k]);
            assert!(
                matches!(OfCodec.decode(&mut buf), Ok(None)),
                "prefix of {k}"
            );
            assert_eq!(&buf[..], &w[..k], "the bytes are kept");
            // Adding the rest completes the frame.
            buf.extend_from_slice(&w[k..]);
            assert_eq!(msg(OfCodec.decode(&mut buf)), Some(m.clone()));
            assert!(buf.is_empty());
        }
    }
}

#[test]
fn partial_frame_reserves_room_for_the_whole_frame() {
    let w = wire(&Message::new(9, Body::EchoRequest(vec![7; 4000])));
    let mut buf = BytesMut::from(&w[..8]);
    assert!(matches!(split_frame(&mut buf), Ok(None)));
    assert!(buf.capacity() >= w.len(), "capacity {}", buf.capacity());
    assert_eq!(buf.len(), 8);
}

#[test]
fn header_length_below_8_is_rejected() {
    for len in 0u16..8 {
        let mut b = wire(&Message::new(1, Body::BarrierRequest));
        b[2..4].copy_from_slice(&len.to_be_bytes());
        b.extend(wire(&samples()[0]));
        let mut buf = BytesMut::from(&b[..]);
        match OfCodec.decode(&mut buf) {
            Err(CodecError::BadLength(l)) => assert_eq!(l, len as usize),
            other => panic!("length {len}: {other:?}"),
        }
        // Nothing is consumed: the stream cannot be resynchronised.
        assert_eq!(buf.len(), b.len());
        assert!(matches!(
            split_frame(&mut buf),
            Err(CodecError::BadLength(l)) if l == len as usize
        ));
        let text = CodecError::BadLength(len as usize).to_string();
        assert_eq!(text, format!("OpenFlow header length {len} is below 8"));
    }
    // Fewer than 8 bytes: not judged yet.
    let mut buf = BytesMut::from(&[4u8, 0, 0, 4][..]);
    assert!(matches!(OfCodec.decode(&mut buf), Ok(None)));
}

#[test]
fn bad_complete_frame_is_reported_and_the_stream_stays_in_sync() {
    let good = samples();
    let bad = bad_frame();
    let mut stream = wire(&good[0]);
    stream.extend(&bad);
    stream.extend(wire(&good[1]));
    // A frame with an unsupported version, then one with an unknown type.
    let mut v1 = wire(&good[3]);
    v1[0] = 1;
    stream.extend(&v1);
    let mut unknown = wire(&good[3]);
    unknown[1] = 99;
    stream.extend(&unknown);
    stream.extend(wire(&good[4]));

    let mut buf = BytesMut::from(&stream[..]);
    let mut codec = OfCodec;
    assert_eq!(msg(codec.decode(&mut buf)), Some(good[0].clone()));
    match codec.decode(&mut buf) {
        Ok(Some(Err(BadFrame { error, frame }))) => {
            assert_eq!(&frame[..], &bad[..]);
            assert_eq!(error.msg_type, Some(14));
            assert_eq!(error.offset, 25);
            assert!(matches!(error.reason, Reason::BadValue { value: 9, .. }));
            let text = BadFrame {
                error: error.clone(),
                frame: frame.clone(),
            }
            .to_string();
            assert!(text.starts_with("OFPT_FLOW_MOD: at offset 25"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(msg(codec.decode(&mut buf)), Some(good[1].clone()));
    match codec.decode(&mut buf) {
        Ok(Some(Err(BadFrame { error, frame }))) => {
            assert_eq!(&frame[..], &v1[..]);
            assert_eq!(error.reason, Reason::BadVersion(1));
        }
        other => panic!("{other:?}"),
    }
    match codec.decode(&mut buf) {
        Ok(Some(Err(BadFrame { error, frame }))) => {
            assert_eq!(&frame[..], &unknown[..]);
            assert_eq!((error.msg_type, error.offset), (Some(99), 1));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(msg(codec.decode(&mut buf)), Some(good[4].clone()));
    assert!(matches!(codec.decode(&mut buf), Ok(None)));
    assert!(buf.is_empty());
}

#[test]
fn back_to_back_frames_decode_in_order() {
    let msgs = samples();
    let stream: Vec<u8> = msgs.iter().flat_map(wire).collect();
    let mut buf = BytesMut::from(&stream[..]);
    let mut got = Vec::new();
    while let Some(m) = msg(OfCodec.decode(&mut buf)) {
        got.push(m);
    }
    assert_eq!(got, msgs);
    assert!(buf.is_empty());
    assert!(matches!(OfCodec.decode_eof(&mut buf), Ok(None)));

    // The same, two bytes at a time.
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for pair in stream.chunks(2) {
        buf.extend_from_slice(pair);
        while let Some(m) = msg(OfCodec.decode(&mut buf)) {
            got.push(m);
        }
    }
    assert_eq!(got, msgs);
}

#[test]
fn eof_inside_a_frame_is_an_error() {
    let w = wire(&samples()[2]);
    let mut buf = BytesMut::from(&w[..20]);
    assert!(matches!(
        OfCodec.decode_eof(&mut buf),
        Err(CodecError::Io(_))
    ));
}

#[test]
fn encoder_writes_exactly_to_bytes() {
    let mut dst = BytesMut::from(&b"prefix"[..]);
    let mut want = b"prefix".to_vec();
    for m in samples() {
        OfCodec.encode(&m, &mut dst).expect("encodes by reference");
        want.extend(wire(&m));
        OfCodec
            .encode(m.clone(), &mut dst)
            .expect("encodes by value");
        want.extend(wire(&m));
    }
    assert_eq!(&dst[..], &want[..]);
}

#[test]
fn encoder_error_leaves_the_buffer_as_it_was() {
    let huge = Message::new(1, Body::EchoRequest(vec![0; 70_000]));
    let mut dst = BytesMut::from(&b"keep"[..]);
    match OfCodec.encode(&huge, &mut dst) {
        Err(CodecError::Encode(EncodeError::TooLong { what, len })) => {
            assert_eq!(what, "message");
            assert_eq!(len, 70_008);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(&dst[..], b"keep");
    assert!(huge.to_bytes().is_err());
}

#[test]
fn frames_splits_concatenated_data() {
    let msgs = samples();
    let parts: Vec<Vec<u8>> = msgs.iter().map(wire).collect();
    let stream: Vec<u8> = parts.concat();
    let got: Vec<&[u8]> = frames(&stream).map(|f| f.expect("whole")).collect();
    assert_eq!(got.len(), parts.len());
    for (g, p) in got.iter().zip(&parts) {
        assert_eq!(*g, &p[..]);
    }

    // An incomplete tail is reported with the number of bytes left.
    let cut = &stream[..stream.len() - 3];
    let got: Vec<Result<&[u8], usize>> = frames(cut).collect();
    assert_eq!(got.len(), parts.len());
    assert!(got[..parts.len() - 1].iter().all(Result::is_ok));
    assert_eq!(got[parts.len() - 1], Err(parts[parts.len() - 1].len() - 3));

    // Fewer than 4 bytes left, and a header length below 8, are the same kind of error.
    assert_eq!(frames(&[4, 0]).collect::<Vec<_>>(), vec![Err(2)]);
    let mut bad = parts[0].clone();
    bad.extend([4, 0, 0, 2, 0, 0, 0, 0]);
    let got: Vec<_> = frames(&bad).collect();
    assert_eq!(got, vec![Ok(&parts[0][..]), Err(8)]);

    // Nothing in, nothing out.
    assert_eq!(frames(&[]).count(), 0);
}
