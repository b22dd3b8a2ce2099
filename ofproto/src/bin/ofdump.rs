//! `ofdump [--hex] [--roundtrip] FILE...`: prints the OpenFlow 1.3 messages held in files.
//!
//! Each file holds concatenated raw messages, or with `--hex` the same as hexadecimal text
//! (white space and `#` comments ignored). One line is printed per message in the ovs-ofctl
//! style text form. With `--roundtrip` every decoded message is re-emitted and compared with
//! its original bytes. The last line is `N messages, N roundtrip-identical, N failed`; the exit
//! status is 1 if any message failed to decode or to round-trip.

use ofproto::codec::frames;
use ofproto::Message;
use std::process::ExitCode;

const USAGE: &str = "usage: ofdump [--hex] [--roundtrip] FILE...";

#[derive(Default)]
struct Totals {
    messages: usize,
    identical: usize,
    failed: usize,
}

fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.bytes())
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).map_err(|_| "non-ASCII input".to_string())?;
            u8::from_str_radix(s, 16).map_err(|_| format!("not a hex byte: {s:?}"))
        })
        .collect()
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

fn dump(name: &str, data: &[u8], roundtrip: bool, t: &mut Totals) {
    let mut offset = 0;
    for frame in frames(data) {
        let frame = match frame {
            Ok(f) => f,
            Err(left) => {
                t.failed += 1;
                println!("{name}@{offset}: error: {left} bytes do not form a complete message");
                return;
            }
        };
        t.messages += 1;
        match Message::decode(frame) {
            Err(e) => {
                t.failed += 1;
                println!("{name}@{offset}: error: {e}");
            }
            Ok(m) => {
                let mut line = format!("{name}@{offset}: {}", ofproto::text::format_message(&m));
                if roundtrip {
                    match m.to_bytes() {
                        Ok(b) if b[..] == frame[..] => {
                            t.identical += 1;
                            line.push_str(" [roundtrip identical]");
                        }
                        Ok(b) => {
                            t.failed += 1;
                            let at = first_difference(&b, frame);
                            line.push_str(&format!(" [roundtrip DIFFERS at byte {at}]"));
                        }
                        Err(e) => {
                            t.failed += 1;
                            line.push_str(&format!(" [roundtrip encode error: {e}]"));
                        }
                    }
                }
                println!("{line}");
            }
        }
        offset += frame.len();
    }
}

fn main() -> ExitCode {
    let mut hex = false;
    let mut roundtrip = false;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--hex" => hex = true,
            "--roundtrip" => roundtrip = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') => {
                eprintln!("ofdump: unknown option {s}\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut t = Totals::default();
    for f in &files {
        let raw = match std::fs::read(f) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("ofdump: {f}: {e}");
                return ExitCode::from(2);
            }
        };
        let data = if hex {
            match parse_hex(&String::from_utf8_lossy(&raw)) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("ofdump: {f}: {e}");
                    return ExitCode::from(2);
                }
            }
        } else {
            raw
        };
        dump(f, &data, roundtrip, &mut t);
    }
    println!(
        "{} messages, {} roundtrip-identical, {} failed",
        t.messages, t.identical, t.failed
    );
    if t.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
