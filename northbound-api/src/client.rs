//! A blocking client of the REST API (see [`crate::rest`]), over plain HTTP/1.1.

use crate::agent::{HostDirectives, HostReport};
use crate::model::{Kind, Object};
use crate::oper::NetworkInspect;
use crate::service::{ApiError, Batch};
use crate::wire;
use northbound_model::path;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Why a request failed.
#[derive(Debug)]
pub enum ClientError {
    /// The server refused the request; `message` is its `error` text.
    Api(ApiError),
    /// The server could not be reached, or its answer was not what the API returns.
    Transport(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Api(e) => write!(f, "{e}"),
            ClientError::Transport(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for ClientError {}

/// A client of one netmaster.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client of the netmaster at `base` (e.g. `http://127.0.0.1:9999`).
    pub fn new(base: &str) -> Client {
        Client {
            base: base.trim_end_matches('/').to_string(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
        }
    }

    /// Every object of a kind.
    pub fn list(&self, kind: Kind) -> Result<Vec<Object>, ClientError> {
        let url = format!("{}{}", self.base, path::collection(kind));
        match self.send(self.agent.get(&url), None)? {
            Value::Array(items) => items
                .into_iter()
                .map(|v| wire::from_value(kind, v).map_err(|e| bad_answer(&url, e)))
                .collect(),
            other => Err(bad_answer(&url, format!("expected an array, got {other}"))),
        }
    }

    /// One object.
    pub fn get(&self, kind: Kind, key: &str) -> Result<Object, ClientError> {
        let url = self.object_url(kind, key);
        let value = self.send(self.agent.get(&url), None)?;
        wire::from_value(kind, value).map_err(|e| bad_answer(&url, e))
    }

    /// A network's intent and operational state (multicast memberships).
    pub fn inspect_network(&self, key: &str) -> Result<NetworkInspect, ClientError> {
        let url = format!("{}{}", self.base, path::inspect_network(key));
        let value = self.send(self.agent.get(&url), None)?;
        serde_json::from_value(value).map_err(|e| bad_answer(&url, e))
    }

    /// Creates or replaces an object; returns it as stored.
    pub fn put(&self, object: &Object) -> Result<Object, ClientError> {
        let url = self.object_url(object.kind(), &object.key());
        let body = wire::to_value(object).to_string();
        let value = self.send(self.agent.post(&url), Some(body))?;
        wire::from_value(object.kind(), value).map_err(|e| bad_answer(&url, e))
    }

    /// Deletes an object.
    pub fn delete(&self, kind: Kind, key: &str) -> Result<(), ClientError> {
        self.send(self.agent.delete(&self.object_url(kind, key)), None)?;
        Ok(())
    }

    /// Applies a batch all-or-nothing; returns the stored upserts.
    pub fn apply(&self, batch: &Batch) -> Result<Vec<Object>, ClientError> {
        let url = format!("{}{}", self.base, path::BATCH);
        let body = serde_json::to_string(batch).expect("a batch serializes to JSON");
        let value = self.send(self.agent.post(&url), Some(body))?;
        serde_json::from_value(value).map_err(|e| bad_answer(&url, e))
    }

    /// Replaces `host`'s report (`PUT /api/v1/agents/{host}/`), as its agent does.
    pub fn report_host(&self, host: &str, report: &HostReport) -> Result<(), ClientError> {
        let url = format!("{}{}", self.base, path::agent(host));
        let body = serde_json::to_string(report).expect("a host report serializes to JSON");
        self.send(self.agent.put(&url), Some(body))?;
        Ok(())
    }

    /// The latest report of every host that reported, by host name.
    pub fn host_reports(&self) -> Result<BTreeMap<String, HostReport>, ClientError> {
        let url = format!("{}{}", self.base, path::AGENTS);
        let value = self.send(self.agent.get(&url), None)?;
        serde_json::from_value(value).map_err(|e| bad_answer(&url, e))
    }

    /// What netmaster wants on `host`'s bridge; with `after`, waits (at most `wait`, a long
    /// poll) until the directives' version is past it.
    pub fn directives(
        &self,
        host: &str,
        after: Option<u64>,
        wait: Duration,
    ) -> Result<HostDirectives, ClientError> {
        let url = format!(
            "{}{}",
            self.base,
            path::directives(host, after, wait.as_secs())
        );
        let value = self.send(self.agent.get(&url), None)?;
        serde_json::from_value(value).map_err(|e| bad_answer(&url, e))
    }

    fn object_url(&self, kind: Kind, key: &str) -> String {
        format!("{}{}", self.base, path::object(kind, key))
    }

    /// Sends a request; the JSON answer (`null` for an empty one), or the server's error.
    fn send(&self, request: ureq::Request, body: Option<String>) -> Result<Value, ClientError> {
        let url = request.url().to_string();
        let result = match body {
            Some(body) => request
                .set("Content-Type", "application/json")
                .send_string(&body),
            None => request.call(),
        };
        match result {
            Ok(response) => {
                let text = response.into_string().map_err(|e| {
                    ClientError::Transport(format!("reading the answer of {url}: {e}"))
                })?;
                if text.trim().is_empty() {
                    return Ok(Value::Null);
                }
                serde_json::from_str(&text).map_err(|e| bad_answer(&url, e))
            }
            Err(ureq::Error::Status(status, response)) => {
                let text = response.into_string().unwrap_or_default();
                let message = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or(text);
                Err(ClientError::Api(ApiError { status, message }))
            }
            Err(e) => Err(ClientError::Transport(e.to_string())),
        }
    }
}

fn bad_answer(url: &str, e: impl fmt::Display) -> ClientError {
    ClientError::Transport(format!("unexpected answer from {url}: {e}"))
}
