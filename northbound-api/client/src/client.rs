//! A blocking client of netmaster's REST API (`/api/v1`), over plain HTTP/1.1.

use northbound_model::agent::{HostDirectives, HostReport};
use northbound_model::audit::Audit;
use northbound_model::batch::Batch;
use northbound_model::console::ConsoleState;
use northbound_model::error::ApiError;
use northbound_model::flows::{SwitchFlows, SwitchSelector};
use northbound_model::info::{NetmasterInfo, VersionInfo};
use northbound_model::model::{Endpoint, Kind, Object};
use northbound_model::oper::Inspect;
use northbound_model::path;
use northbound_model::tls::{trusting, CaError};
use northbound_model::token::BearerToken;
use northbound_model::trace::{TraceReport, TraceRequest};
use northbound_model::wire::{self, BodyError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server refused the request; `message` is its `error` text.
    #[error("{0}")]
    Api(ApiError),
    /// The server could not be reached, or the connection broke.
    #[error("{url}: {source}")]
    Transport {
        /// The request's URL.
        url: String,
        /// What went wrong.
        #[source]
        source: Box<ureq::Transport>,
    },
    /// The answer could not be read.
    #[error("reading the answer of {url}: {source}")]
    Read {
        /// The request's URL.
        url: String,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The answer was not what the API returns.
    #[error("unexpected answer from {url}: {reason}")]
    BadAnswer {
        /// The request's URL.
        url: String,
        /// What was wrong with it.
        reason: BadAnswer,
    },
}

/// What was wrong with an answer.
#[derive(Debug, thiserror::Error)]
pub enum BadAnswer {
    /// Not JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// JSON, but not of the expected shape.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// A list was expected.
    #[error("expected an array, got {0}")]
    NotAnArray(Value),
}

/// A client of one netmaster.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    token: Option<BearerToken>,
}

impl Client {
    /// A client of the netmaster at `base` (e.g. `http://127.0.0.1:9999`).
    pub fn new(base: &str) -> Client {
        Client {
            base: base.trim_end_matches('/').to_string(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .redirects(0)
                .build(),
            token: None,
        }
    }

    /// The same client, trusting only the CA certificate in `ca` for an `https://` netmaster.
    pub fn with_ca_cert(mut self, ca: &Path) -> Result<Client, CaError> {
        let config = trusting(ca)?;
        self.agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .redirects(0)
            .tls_config(Arc::new(config))
            .build();
        Ok(self)
    }

    /// The same client, presenting `token` (`Authorization: Bearer TOKEN`) with every request.
    pub fn with_token(mut self, token: Option<BearerToken>) -> Client {
        self.token = token;
        self
    }

    /// Every object of a kind.
    pub fn list(&self, kind: Kind) -> Result<Vec<Object>, ClientError> {
        let url = format!("{}{}", self.base, path::collection(kind));
        match self.send(self.agent.get(&url), None)? {
            Value::Array(items) => items
                .into_iter()
                .map(|v| wire::from_value(kind, v).map_err(|e| bad_answer(&url, e)))
                .collect(),
            other => Err(bad_answer(&url, BadAnswer::NotAnArray(other))),
        }
    }

    /// One object.
    pub fn get(&self, kind: Kind, key: &str) -> Result<Object, ClientError> {
        let url = self.object_url(kind, key);
        let value = self.send(self.agent.get(&url), None)?;
        wire::from_value(kind, value).map_err(|e| bad_answer(&url, e))
    }

    /// Every endpoint, in key order.
    pub fn endpoints(&self) -> Result<Vec<Endpoint>, ClientError> {
        Ok(self
            .list(Kind::Endpoint)?
            .into_iter()
            .filter_map(|o| match o {
                Object::Endpoint(e) => Some(e),
                _ => None,
            })
            .collect())
    }

    /// An object's intent and operational state (Contiv's inspect).
    pub fn inspect(&self, kind: Kind, key: &str) -> Result<Inspect, ClientError> {
        self.get_json(&path::inspect(kind, key))
    }

    /// The build of netmaster that answers (`GET /version`).
    pub fn version(&self) -> Result<VersionInfo, ClientError> {
        self.get_json(path::VERSION)
    }

    /// netmaster and the agents it hears from (`GET /info`).
    pub fn info(&self) -> Result<NetmasterInfo, ClientError> {
        self.get_json(path::INFO)
    }

    /// The answer of a `GET` of `path`, decoded.
    fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let value = self.send(self.agent.get(&url), None)?;
        wire::decode_value(value).map_err(|e| bad_answer(&url, e))
    }

    /// The sync state of every switch.
    pub fn audit(&self) -> Result<Audit, ClientError> {
        let url = format!("{}{}", self.base, path::AUDIT);
        let value = self.send(self.agent.get(&url), None)?;
        wire::decode_value(value).map_err(|e| bad_answer(&url, e))
    }

    /// The flows switch `switch` holds now, each with its owner; only `owner`'s when given.
    pub fn flows(
        &self,
        switch: &SwitchSelector,
        owner: Option<&str>,
    ) -> Result<SwitchFlows, ClientError> {
        let url = format!("{}{}", self.base, path::flows(switch, owner));
        let value = self.send(self.agent.get(&url), None)?;
        wire::decode_value(value).map_err(|e| bad_answer(&url, e))
    }

    /// A packet traced through the compiled pipeline.
    pub fn trace(&self, request: &TraceRequest) -> Result<TraceReport, ClientError> {
        let url = format!("{}{}", self.base, path::TRACE);
        let body = serde_json::to_string(request).expect("a trace request serializes to JSON");
        let value = self.send(self.agent.post(&url), Some(body))?;
        wire::decode_value(value).map_err(|e| bad_answer(&url, e))
    }

    /// What the web console draws: hosts, links, tenants with their rules' hit counters,
    /// events.
    pub fn console_state(&self) -> Result<ConsoleState, ClientError> {
        let url = format!("{}{}", self.base, path::CONSOLE_STATE);
        let value = self.send(self.agent.get(&url), None)?;
        wire::decode_value(value).map_err(|e| bad_answer(&url, e))
    }

    /// The OpenAPI document of the API (JSON).
    pub fn openapi(&self) -> Result<Value, ClientError> {
        let url = format!("{}{}", self.base, path::OPENAPI);
        self.send(self.agent.get(&url), None)
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
        wire::decode_value(value).map_err(|e| bad_answer(&url, e))
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
        wire::decode_value(value).map_err(|e| bad_answer(&url, e))
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
        wire::decode_value(value).map_err(|e| bad_answer(&url, e))
    }

    fn object_url(&self, kind: Kind, key: &str) -> String {
        format!("{}{}", self.base, path::object(kind, key))
    }

    /// Sends a request; the JSON answer (`null` for an empty one), or the server's error. A
    /// follower replica's `307` to the leader is followed once, with the same method, body
    /// and token (a library's redirect would drop the token at another address).
    fn send(&self, request: ureq::Request, body: Option<String>) -> Result<Value, ClientError> {
        let method = request.method().to_string();
        match self.send_once(request, body.clone())? {
            Sent::Answer(v) => Ok(v),
            Sent::Redirect(location) => {
                match self.send_once(self.agent.request(&method, &location), body)? {
                    Sent::Answer(v) => Ok(v),
                    Sent::Redirect(again) => Err(ClientError::Api(ApiError {
                        status: 307,
                        message: format!("redirected again, to {again}: no leader takes writes"),
                    })),
                }
            }
        }
    }

    fn send_once(&self, request: ureq::Request, body: Option<String>) -> Result<Sent, ClientError> {
        let url = request.url().to_string();
        let request = match &self.token {
            Some(t) => request.set("Authorization", &t.header_value()),
            None => request,
        };
        let result = match body {
            Some(body) => request
                .set("Content-Type", "application/json")
                .send_string(&body),
            None => request.call(),
        };
        match result {
            Ok(response) if response.status() == 307 => match response.header("Location") {
                Some(location) => Ok(Sent::Redirect(location.to_string())),
                None => Err(ClientError::Api(ApiError {
                    status: 307,
                    message: "a redirect without a Location".into(),
                })),
            },
            Ok(response) => {
                let text = read_answer(response).map_err(|source| ClientError::Read {
                    url: url.clone(),
                    source,
                })?;
                if text.iter().all(u8::is_ascii_whitespace) {
                    return Ok(Sent::Answer(Value::Null));
                }
                serde_json::from_slice(&text)
                    .map(Sent::Answer)
                    .map_err(|e| bad_answer(&url, e))
            }
            Err(ureq::Error::Status(status, response)) => {
                let text = response.into_string().unwrap_or_default();
                let message = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or(text);
                Err(ClientError::Api(ApiError { status, message }))
            }
            Err(ureq::Error::Transport(t)) => Err(ClientError::Transport {
                url,
                source: Box::new(t),
            }),
        }
    }
}

/// The largest answer the client reads: far above any list netmaster gives (100,000
/// endpoints are about 30 MiB), and a bound on what a wrong server can make it hold.
const MAX_ANSWER: u64 = 512 << 20;

/// The body of a successful answer, up to [`MAX_ANSWER`] bytes.
fn read_answer(response: ureq::Response) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut body = Vec::new();
    response
        .into_reader()
        .take(MAX_ANSWER + 1)
        .read_to_end(&mut body)?;
    if body.len() as u64 > MAX_ANSWER {
        return Err(std::io::Error::other(format!(
            "the answer is larger than {MAX_ANSWER} bytes"
        )));
    }
    Ok(body)
}

/// What one request got: an answer, or a follower's redirect to the leader.
enum Sent {
    Answer(Value),
    Redirect(String),
}

fn bad_answer(url: &str, e: impl Into<BadAnswer>) -> ClientError {
    ClientError::BadAnswer {
        url: url.to_string(),
        reason: e.into(),
    }
}
