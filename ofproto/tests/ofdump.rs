//! The `ofdump` binary on real captures: every message decodes and round-trips; a corrupted
//! file is reported with a non-zero exit status.

use std::process::Command;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/ovs-ofctl-capture.bin"
);
const HEX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/flow-mod.hex");

fn ofdump(args: &[&str]) -> (i32, Vec<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_ofdump"))
        .args(args)
        .output()
        .expect("run ofdump");
    let lines = String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .map(str::to_owned)
        .collect();
    (out.status.code().expect("exit code"), lines)
}

#[test]
fn capture_roundtrips_identically() {
    let (code, lines) = ofdump(&["--roundtrip", CAPTURE]);
    assert_eq!(code, 0, "{lines:#?}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("478 messages, 478 roundtrip-identical, 0 failed")
    );
    assert_eq!(lines.len(), 479, "one line per message plus the summary");
    assert!(lines[..478]
        .iter()
        .all(|l| l.ends_with("[roundtrip identical]")));
    assert!(lines
        .iter()
        .any(|l| l.contains("OFPT_FLOW_MOD xid=0x6: ADD priority=100,in_port=1 actions=output:2")));
    assert!(lines.iter().any(|l| l.contains("OFPT_GROUP_MOD")));
    assert!(lines.iter().any(|l| l.contains("OFPT_METER_MOD")));
}

#[test]
fn without_roundtrip_nothing_is_compared() {
    let (code, lines) = ofdump(&[CAPTURE]);
    assert_eq!(code, 0);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("478 messages, 0 roundtrip-identical, 0 failed")
    );
}

#[test]
fn hex_input() {
    let (code, lines) = ofdump(&["--hex", "--roundtrip", HEX]);
    assert_eq!(code, 0, "{lines:#?}");
    assert!(lines[1].contains(
        "ADD priority=200,ip,nw_src=10.0.0.0/8,nw_dst=192.168.1.1 actions=dec_ttl,output:3"
    ));
    assert_eq!(lines[2], "2 messages, 2 roundtrip-identical, 0 failed");
}

#[test]
fn corrupted_file_fails() {
    let mut data = std::fs::read(CAPTURE).expect("capture");
    // The FLOW_MOD at offset 80: its match type (offset 48 in the message) becomes 0x0002.
    assert_eq!(data[80 + 1], 14, "message at 80 is a FLOW_MOD");
    data[80 + 49] = 2;
    // Cut the last message short.
    data.truncate(data.len() - 3);
    let dir = std::env::temp_dir().join(format!("ofdump-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.bin");
    std::fs::write(&path, &data).expect("write");
    let (code, lines) = ofdump(&["--roundtrip", path.to_str().expect("path")]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 1);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("@80: error: OFPT_FLOW_MOD: at offset 48")),
        "{lines:#?}"
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("do not form a complete message")));
    assert_eq!(
        lines.last().map(String::as_str),
        Some("477 messages, 476 roundtrip-identical, 2 failed")
    );
}

#[test]
fn usage_errors() {
    let (code, _) = ofdump(&[]);
    assert_eq!(code, 2);
    let (code, _) = ofdump(&["--bogus", CAPTURE]);
    assert_eq!(code, 2);
}
