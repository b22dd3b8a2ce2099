//! A netmaster process for tests that drive it through its REST API: the API on a free
//! loopback port, the OpenFlow listener on a unix socket, stderr discarded; killed on drop.

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

use northbound_api::model::Kind;
use northbound_client::client::{Client, ClientError};
use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running netmaster.
pub struct ApiNetmaster {
    child: Child,
    /// The base URL of its REST API.
    pub url: String,
}

impl ApiNetmaster {
    /// Starts netmaster with its OpenFlow listener on `sock` and `args` besides, and waits
    /// until its API answers and the socket exists; panics if it exits first.
    pub fn start<S: AsRef<OsStr>>(sock: &Path, args: &[S]) -> ApiNetmaster {
        ApiNetmaster::start_with_env(sock, args, &[])
    }

    /// The same, with environment variables `env` added.
    pub fn start_with_env<S: AsRef<OsStr>>(
        sock: &Path,
        args: &[S],
        env: &[(&str, &str)],
    ) -> ApiNetmaster {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_netmaster"))
            // The original's single-dash long options (Go's flag syntax), as its users type them.
            .args(["-no-tcp", "-of-unix"])
            .arg(sock)
            .arg(format!("-api-listen=127.0.0.1:{port}"))
            .args(args)
            .envs(env.iter().copied())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start netmaster");
        let mut nm = ApiNetmaster {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        // Up when the API answers at all (a 401 included: it may want a token).
        let answers = |url: &str| {
            matches!(
                Client::new(url).list(Kind::Tenant),
                Ok(_) | Err(ClientError::Api(_))
            )
        };
        while !answers(&nm.url) || !sock.exists() {
            if let Some(status) = nm.child.try_wait().expect("wait") {
                panic!("netmaster exited before it came up: {status}");
            }
            assert!(Instant::now() < deadline, "netmaster never came up");
            std::thread::sleep(Duration::from_millis(20));
        }
        nm
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

impl Drop for ApiNetmaster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request over plain HTTP/1.1 to the API at `base` (`http://ADDR`), with a JSON `body`
/// exactly as given (for bodies the typed client cannot send): the status and the body.
pub fn raw_request(base: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base.strip_prefix("http://").expect("an http:// base URL");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the API");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read the answer");
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}
