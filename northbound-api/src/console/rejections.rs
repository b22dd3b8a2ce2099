//! The requests the API refused, for the console's events: a middleware ([`record`]) keeps
//! the latest [`MAX`] answers with a 4xx or 5xx status (method, path, status; never a header
//! or a body).

use crate::console::{ConsoleEvent, EventKind};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// Refusals kept (and events the console shows).
pub const MAX: usize = 200;
/// Longest path kept, in characters.
const MAX_PATH: usize = 200;

/// The latest refused requests.
pub struct Rejections {
    events: Mutex<VecDeque<ConsoleEvent>>,
    count: watch::Sender<u64>,
}

impl Default for Rejections {
    fn default() -> Rejections {
        Rejections {
            events: Mutex::default(),
            count: watch::channel(0).0,
        }
    }
}

impl Rejections {
    /// The refusals kept, oldest first.
    pub fn events(&self) -> Vec<ConsoleEvent> {
        self.events
            .lock()
            .expect("rejections lock")
            .iter()
            .cloned()
            .collect()
    }

    /// A receiver that changes with every refusal.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.count.subscribe()
    }

    fn push(&self, event: ConsoleEvent) {
        let mut events = self.events.lock().expect("rejections lock");
        events.push_back(event);
        if events.len() > MAX {
            events.pop_front();
        }
        drop(events);
        self.count.send_modify(|n| *n += 1);
    }
}

/// The middleware: passes the request on and records the answer when it is a refusal.
pub async fn record(
    State(rejections): State<Arc<Rejections>>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path: String = req.uri().path().chars().take(MAX_PATH).collect();
    let response = next.run(req).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        let at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        rejections.push(ConsoleEvent {
            at_ms,
            kind: EventKind::Rejected,
            subject: format!("{method} {path}"),
            text: format!("answered {status}"),
        });
    }
    response
}
