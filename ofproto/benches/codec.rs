//! Parse and emit throughput of representative messages.
//!
//! * a FLOW_MOD with a 5-field match and 3 actions,
//! * a PACKET_IN carrying a 64-byte frame,
//! * a flow-stats reply of 1,000 entries (split into multipart messages below 64 KiB, as a
//!   switch sends it).

use bytes::BytesMut;
use criterion::{black_box, Criterion, Throughput};
use ofproto::msg::{FlowMod, PacketIn, OFP_NO_BUFFER};
use ofproto::multipart::{FlowStats, MultipartReply, MultipartReplyBody, OFPMPF_MORE};
use ofproto::{Action, Body, Instruction, Masked, Match, Message, OxmField};
use std::net::Ipv4Addr;

fn five_field_match(i: u32) -> Match {
    Match::new()
        .with(OxmField::InPort(1 + i % 48))
        .with(OxmField::EthType(0x0800))
        .with(OxmField::Ipv4Src(Masked::new(
            Ipv4Addr::new(10, 0, (i >> 8) as u8, i as u8),
            Ipv4Addr::new(255, 255, 255, 255),
        )))
        .with(OxmField::IpProto(6))
        .with(OxmField::TcpDst(80))
}

fn flow_mod() -> Message {
    let fm = FlowMod::add(
        0,
        100,
        five_field_match(7),
        vec![Instruction::ApplyActions(vec![
            Action::SetField(OxmField::TunnelId(Masked::exact(100))),
            Action::PushVlan(0x8100),
            Action::output(2),
        ])],
    );
    Message::new(1, Body::FlowMod(fm))
}

fn packet_in() -> Message {
    let frame: Vec<u8> = (0..64u8).collect();
    Message::new(
        2,
        Body::PacketIn(PacketIn {
            buffer_id: OFP_NO_BUFFER,
            total_len: 64,
            reason: 0,
            table_id: 0,
            cookie: 0,
            r#match: Match::new().with(OxmField::InPort(3)),
            data: frame,
        }),
    )
}

fn flow_stats(i: u32) -> FlowStats {
    FlowStats {
        table_id: (i % 4) as u8,
        duration_sec: i,
        duration_nsec: 0,
        priority: 100,
        idle_timeout: 0,
        hard_timeout: 0,
        flags: 0,
        cookie: 0x1000 + i as u64,
        packet_count: i as u64 * 3,
        byte_count: i as u64 * 300,
        r#match: five_field_match(i),
        instructions: vec![Instruction::ApplyActions(vec![Action::output(i % 48)])],
    }
}

/// 1,000 flow entries split into multipart replies below the 64 KiB message limit.
fn flow_stats_reply() -> Vec<Message> {
    let entries: Vec<FlowStats> = (0..1000).map(flow_stats).collect();
    let chunks: Vec<&[FlowStats]> = entries.chunks(400).collect();
    let n = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(k, c)| {
            let mut r = MultipartReply::new(MultipartReplyBody::Flow(c.to_vec()));
            if k + 1 < n {
                r.flags = OFPMPF_MORE;
            }
            Message::new(3, Body::MultipartReply(r))
        })
        .collect()
}

fn bench_messages(c: &mut Criterion, name: &str, msgs: Vec<Message>) {
    let wire: Vec<Vec<u8>> = msgs
        .iter()
        .map(|m| m.to_bytes().expect("encodes").to_vec())
        .collect();
    let bytes: usize = wire.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(1));
    g.bench_function(format!("parse ({bytes} bytes)"), |b| {
        b.iter(|| {
            for w in &wire {
                black_box(Message::decode(black_box(w)).expect("decodes"));
            }
        })
    });
    let mut buf = BytesMut::with_capacity(bytes);
    g.bench_function(format!("emit ({bytes} bytes)"), |b| {
        b.iter(|| {
            buf.clear();
            for m in &msgs {
                m.encode(&mut buf).expect("encodes");
            }
            black_box(&buf);
        })
    });
    g.finish();
}

fn codec(c: &mut Criterion) {
    bench_messages(c, "flow_mod_5_fields_3_actions", vec![flow_mod()]);
    bench_messages(c, "packet_in_64_byte_frame", vec![packet_in()]);
    bench_messages(c, "flow_stats_reply_1000_entries", flow_stats_reply());
}

// What `criterion_group!`/`criterion_main!` expand to, without the undocumented public
// function the first one generates (the workspace warns about missing docs).
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    codec(&mut criterion);
    criterion.final_summary();
}
