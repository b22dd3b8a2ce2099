//! Fuzzes the OpenFlow 1.3 decoder: any input must decode or fail cleanly, and whatever decodes
//! must re-encode, decode again to the same value, and format as text without panicking.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ofproto::codec::OfCodec;
use ofproto::Message;
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    // The input as one message.
    check(data);
    // The input as a stream of frames.
    let mut codec = OfCodec;
    let mut buf = BytesMut::from(data);
    loop {
        match codec.decode(&mut buf) {
            Ok(Some(Ok(m))) => roundtrip(&m),
            Ok(Some(Err(_bad_frame))) => continue,
            Ok(None) | Err(_) => break,
        }
    }
});

fn check(data: &[u8]) {
    if let Ok(m) = Message::decode(data) {
        roundtrip(&m);
    }
}

fn roundtrip(m: &Message) {
    let bytes = m.to_bytes().expect("a decoded message re-encodes");
    let again = Message::decode(&bytes).expect("re-encoded bytes decode");
    assert_eq!(&again, m, "decode(encode(m)) != m");
    let _ = ofproto::text::format_message(m);
}
