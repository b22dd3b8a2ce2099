//! The API served within limits, over real TCP: a client that sends its request head too
//! slowly, or keeps an idle connection, is disconnected after the header timeout; past the
//! connection cap a client is answered 503 at once, and served again once a slot frees.
//! (The time bounds asserted are the feature itself, with a wide margin: a 300 ms timeout must
//! close the connection well within 20 s, where a server without one holds it until the
//! client gives up after 30 s.)

mod common;

use common::{serve_on_loopback, FixedOper, MemAgents, MemService};
use northbound_api::auth::Access;
use northbound_api::rest::Services;
use northbound_api::serve::Limits;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Serves the API with `limits` on a loopback port in a thread of its own.
fn start(limits: Limits) -> SocketAddr {
    start_with(limits, Access::Open)
}

/// The same, authenticating with `access`.
fn start_with(limits: Limits, access: Access) -> SocketAddr {
    let services = Services {
        intent: Arc::new(MemService::default()),
        agents: Arc::new(MemAgents::default()),
        oper: Arc::new(FixedOper),
    };
    serve_on_loopback(services, access, limits, None)
}

const GET: &[u8] = b"GET /api/v1/tenants/ HTTP/1.1\r\nHost: x\r\n\r\n";

/// Reads until the server closes the connection (at most 30 s); what it sent and how long
/// that took.
fn until_closed(s: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never closed");
    }
    (String::from_utf8_lossy(&all).into_owned(), start.elapsed())
}

/// One request on a fresh connection: the status line.
fn status_of_one_request(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /api/v1/tenants/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (answer, _) = until_closed(&mut s);
    answer.lines().next().unwrap_or_default().to_string()
}

#[test]
fn slow_and_idle_clients_are_disconnected_after_the_header_timeout() {
    let addr = start(Limits {
        header_read_timeout: Duration::from_millis(300),
        max_connections: 16,
    });
    // Half a request head, then nothing.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /api/v1/tenants/ HTTP/1.1\r\nHo")
        .unwrap();
    let (answer, took) = until_closed(&mut slow);
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(took < Duration::from_secs(20), "held for {took:?}");
    // A request answered, then an idle keep-alive connection.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(GET).unwrap();
    let (answer, took) = until_closed(&mut idle);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(took < Duration::from_secs(20), "idle for {took:?}");
    // Clients that are quick enough are served.
    assert_eq!(status_of_one_request(addr), "HTTP/1.1 200 OK");
}

#[test]
fn an_address_that_keeps_failing_to_authenticate_gets_429() {
    let tokens = r#"{"tokens": [{"token": "admin-token-0123456789", "role": "admin"}]}"#;
    let access = Access::tokens(
        northbound_api::auth::TokenTable::parse(tokens).unwrap(),
        northbound_api::auth::attempts::MAX_FAILURES,
    );
    let addr = start_with(Limits::default(), access);
    let status = |token: &str| {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET /api/v1/tenants/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let (answer, _) = until_closed(&mut s);
        answer.lines().next().unwrap_or_default().to_string()
    };
    assert_eq!(status("admin-token-0123456789"), "HTTP/1.1 200 OK");
    let max = northbound_api::auth::attempts::MAX_FAILURES;
    for i in 0..max {
        assert_eq!(
            status(&format!("guess-{i:016}")),
            "HTTP/1.1 401 Unauthorized",
            "attempt {i}"
        );
    }
    assert_eq!(
        status("guess-x-0123456789"),
        "HTTP/1.1 429 Too Many Requests"
    );
    // Blocked is blocked: not even the right token is compared any more.
    assert_eq!(
        status("admin-token-0123456789"),
        "HTTP/1.1 429 Too Many Requests"
    );
}

#[test]
fn past_the_connection_cap_clients_get_503_until_a_slot_frees() {
    let addr = start(Limits {
        header_read_timeout: Duration::from_secs(60),
        max_connections: 3,
    });
    // Three clients hold every slot (each has sent half a head).
    let mut held: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /api/v1/tenants/ HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    // The server has accepted them all once a fourth is refused; then every new one is.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut s = TcpStream::connect(addr).unwrap();
        let (answer, took) = until_closed(&mut s);
        if answer.starts_with("HTTP/1.1 503") {
            assert!(answer.contains("too many connections"), "{answer}");
            assert!(took < Duration::from_secs(20), "{took:?}");
            break;
        }
        assert!(Instant::now() < deadline, "never refused: {answer}");
    }
    assert!(status_of_one_request(addr).starts_with("HTTP/1.1 503"));
    // One holder finishes its request: its slot is free again once it disconnects.
    let mut done = held.pop().unwrap();
    done.write_all(b"Host: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (answer, _) = until_closed(&mut done);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while status_of_one_request(addr) != "HTTP/1.1 200 OK" {
        assert!(Instant::now() < deadline, "the freed slot was never reused");
        std::thread::sleep(Duration::from_millis(20));
    }
}
