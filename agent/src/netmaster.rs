//! An async client of the parts of netmaster's REST API the agent uses: intent objects
//! (`GET /api/v1/{collection}/{key}/`; `PUT` and `DELETE` for the endpoints CNI creates on
//! demand), the host report (`PUT /api/v1/agents/{host}/`) and the
//! directives long poll (`GET /api/v1/agents/{host}/directives/`), whether a plugged-in
//! endpoint is usable (`GET /api/v1/agents/{host}/ready/`), and the live traces
//! (`GET /api/v1/agents/{host}/traces/`, `PUT /api/v1/agents/{host}/traces/{id}/`). It runs on the agent's
//! tokio runtime (reqwest over hyper, plain HTTP/1.1) and reuses its connections.

use bytes::Bytes;
use northbound_model::agent::{EndpointReadiness, HostDirectives, HostReport};
use northbound_model::error::ApiError;
use northbound_model::live_trace::{TraceAnswer, TraceJob};
use northbound_model::model::{Kind, Object};
use northbound_model::path;
use northbound_model::tls::{trusting, trusting_nobody, CaError};
use northbound_model::token::BearerToken;
use northbound_model::wire::{self, BodyError};
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest one request may take (a directives long poll included).
const TIMEOUT: Duration = Duration::from_secs(60);
/// How many redirects from replica to replica one request follows.
const MAX_REDIRECTS: usize = 3;
/// How long a request answered 503 (replicas without a leader) is made again.
const NO_LEADER_WAIT: Duration = Duration::from_secs(10);
/// The pause between two such attempts.
const NO_LEADER_RETRY: Duration = Duration::from_millis(200);

/// Why a request to netmaster failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The CA certificate for an `https://` netmaster is unusable.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// The HTTP client could not be set up.
    #[error("HTTP client: {}", chain(.0))]
    Setup(#[source] reqwest::Error),
    /// netmaster refused the request; the message is its `error` text.
    #[error("{0}")]
    Api(ApiError),
    /// netmaster could not be reached, or the exchange broke off (reqwest's message names the
    /// URL).
    #[error("{}", chain(.source))]
    Transport {
        /// The request's URL.
        url: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// The answer is not what the API returns.
    #[error("unexpected answer from {url}: {source}")]
    Answer {
        /// The request's URL.
        url: String,
        /// Why it does not decode (the field at fault, line and column).
        #[source]
        source: BodyError,
    },
}

/// An error and its causes, `: `-separated (reqwest's own message leaves out the cause).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// A client of one netmaster. Cheap to clone (clones share the connection pool).
#[derive(Clone, Debug)]
pub struct Netmaster {
    /// Every replica's base URL (one for a single netmaster).
    bases: Arc<[String]>,
    /// The one that answered last: requests go there first.
    current: Arc<AtomicUsize>,
    http: reqwest::Client,
    token: Option<BearerToken>,
}

impl Netmaster {
    /// A client of the netmaster at `base` (e.g. `http://127.0.0.1:9999`; for replicas,
    /// every replica's URL, comma-separated), presenting `token` with every request when
    /// there is one; for an `https://` netmaster, trusting only the CA certificate in `ca`.
    pub fn new(
        base: &str,
        token: Option<BearerToken>,
        ca: Option<&Path>,
    ) -> Result<Netmaster, Error> {
        let tls = match ca {
            Some(ca) => trusting(ca)?,
            None => trusting_nobody(),
        };
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .use_preconfigured_tls(tls)
            .build()
            .map_err(Error::Setup)?;
        let bases: Vec<String> = crate::defaults::netmaster_urls(base)
            .map(|b| b.trim_end_matches('/').to_string())
            .collect();
        Ok(Netmaster {
            bases: bases.into(),
            current: Arc::default(),
            http,
            token,
        })
    }

    /// The same netmaster, with `token` instead (the connections are shared).
    pub fn with_token(&self, token: BearerToken) -> Netmaster {
        Netmaster {
            token: Some(token),
            ..self.clone()
        }
    }

    /// One intent object.
    pub async fn get(&self, kind: Kind, key: &str) -> Result<Object, Error> {
        let url = self.url(&path::object(kind, key));
        let body = self.send(self.http.get(&url), &url).await?;
        wire::from_slice(kind, &body).map_err(|source| Error::Answer { url, source })
    }

    /// Creates or replaces `object`; the object as stored (with its allocations).
    pub async fn put(&self, object: &Object) -> Result<Object, Error> {
        let kind = object.kind();
        let url = self.url(&path::object(kind, &object.key()));
        let body = wire::to_value(object);
        let answer = self.send(self.http.put(&url).json(&body), &url).await?;
        wire::from_slice(kind, &answer).map_err(|source| Error::Answer { url, source })
    }

    /// Deletes object `key` of `kind`.
    pub async fn delete(&self, kind: Kind, key: &str) -> Result<(), Error> {
        let url = self.url(&path::object(kind, key));
        self.send(self.http.delete(&url), &url).await?;
        Ok(())
    }

    /// Replaces `host`'s report.
    pub async fn report_host(&self, host: &str, report: &HostReport) -> Result<(), Error> {
        let url = self.url(&path::agent(host));
        self.send(self.http.put(&url).json(report), &url).await?;
        Ok(())
    }

    /// What netmaster wants on `host`'s bridge; with `after`, waits (at most `wait`, a long
    /// poll) until the directives' version is past it.
    pub async fn directives(
        &self,
        host: &str,
        after: Option<u64>,
        wait: Duration,
    ) -> Result<HostDirectives, Error> {
        let url = self.url(&path::directives(host, after, wait.as_secs()));
        let body = self.send(self.http.get(&url), &url).await?;
        wire::decode(&body).map_err(|source| Error::Answer { url, source })
    }

    /// Whether endpoint `key`, plugged in on `host`, is usable: waits (at most `wait`, a long
    /// poll) until every switch concerned holds it.
    pub async fn endpoint_ready(
        &self,
        host: &str,
        key: &str,
        wait: Duration,
    ) -> Result<EndpointReadiness, Error> {
        let url = self.url(&path::ready(host, key, wait.as_millis() as u64));
        let body = self.send(self.http.get(&url), &url).await?;
        wire::decode(&body).map_err(|source| Error::Answer { url, source })
    }

    /// The live traces netmaster queued for `host`; waits (at most `wait`, a long poll) for
    /// one when none is queued.
    pub async fn trace_jobs(&self, host: &str, wait: Duration) -> Result<Vec<TraceJob>, Error> {
        let url = self.url(&path::trace_jobs(host, wait.as_secs()));
        let body = self.send(self.http.get(&url), &url).await?;
        wire::decode(&body).map_err(|source| Error::Answer { url, source })
    }

    /// `host`'s answer to live trace `id`.
    pub async fn trace_answer(
        &self,
        host: &str,
        id: u64,
        answer: &TraceAnswer,
    ) -> Result<(), Error> {
        let url = self.url(&path::trace_answer(host, id));
        self.send(self.http.put(&url).json(answer), &url).await?;
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// The base URL requests go to first.
    fn base(&self) -> &str {
        let i = self.current.load(Ordering::Relaxed) % self.bases.len().max(1);
        self.bases.get(i).map(String::as_str).unwrap_or_default()
    }

    /// Sends `request` and reads the answer. A follower replica's 307 to the leader is
    /// followed, with the same method, body and token (reqwest's own redirect drops the token
    /// at another address), up to [`MAX_REDIRECTS`] times: during a failover a follower may
    /// still name a replica that follows by now, and that one names the new leader. A leader
    /// that cannot be reached (it died, and the follower does not know yet), or redirects that
    /// go on (the replicas do not agree yet), are answered as no leader: 503.
    async fn exchange(
        &self,
        request: reqwest::Request,
    ) -> reqwest::Result<(reqwest::StatusCode, Bytes)> {
        let no_leader = |why: String| {
            Ok((
                reqwest::StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "error": why }).to_string().into(),
            ))
        };
        let mut again = request.try_clone();
        let mut response = self.execute(request).await?;
        let mut redirects = 0;
        while response.status() == reqwest::StatusCode::TEMPORARY_REDIRECT {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| reqwest::Url::parse(l).ok());
            let (Some(mut next), Some(location)) = (again.take(), location) else {
                break;
            };
            if redirects == MAX_REDIRECTS {
                return no_leader(format!(
                    "the replicas do not agree on a leader yet (still redirected to {location})"
                ));
            }
            redirects += 1;
            *next.url_mut() = location;
            again = next.try_clone();
            response = match self.http.execute(next).await {
                Err(e) if e.is_connect() || e.is_timeout() => {
                    return no_leader(format!("the leader cannot be reached: {}", chain(&e)));
                }
                answer => answer?,
            };
        }
        let status = response.status();
        Ok((status, response.bytes().await?))
    }

    /// Sends `request`; when its replica cannot be reached, the same request to every other
    /// replica in turn (the first that answers is used first from then on).
    async fn execute(&self, request: reqwest::Request) -> reqwest::Result<reqwest::Response> {
        // The replica the request was built for (another request may have moved `current`).
        let Some(first) = self.bases.iter().position(|b| {
            request
                .url()
                .as_str()
                .strip_prefix(b.as_str())
                .is_some_and(|path| path.starts_with('/'))
        }) else {
            return self.http.execute(request).await;
        };
        let again = request.try_clone();
        let error = match self.http.execute(request).await {
            Err(e) if e.is_connect() || e.is_timeout() => e,
            done => return done,
        };
        let Some(again) = again else {
            return Err(error);
        };
        let from = &self.bases[first];
        for step in 1..self.bases.len() {
            let i = (first + step) % self.bases.len();
            let rebased = again
                .url()
                .as_str()
                .strip_prefix(from.as_str())
                .and_then(|path| reqwest::Url::parse(&format!("{}{path}", self.bases[i])).ok());
            let (Some(url), Some(mut other)) = (rebased, again.try_clone()) else {
                break;
            };
            *other.url_mut() = url;
            match self.http.execute(other).await {
                Err(e) if e.is_connect() || e.is_timeout() => continue,
                done => {
                    self.current.store(i, Ordering::Relaxed);
                    return done;
                }
            }
        }
        Err(error)
    }

    /// Sends a request; the answer's body, or the server's error.
    async fn send(&self, request: reqwest::RequestBuilder, url: &str) -> Result<Bytes, Error> {
        let transport = |source| Error::Transport {
            url: url.to_string(),
            source,
        };
        let request = match &self.token {
            Some(t) => request.bearer_auth(t.expose()),
            None => request,
        };
        let request = request.build().map_err(transport)?;
        // Replicas without a leader (a failover, etcd out of reach) answer 503: the request
        // is made again until one leads, for a while.
        let started = Instant::now();
        let (status, body) = loop {
            let Some(attempt) = request.try_clone() else {
                break self.exchange(request).await.map_err(transport)?;
            };
            let (status, body) = self.exchange(attempt).await.map_err(transport)?;
            if status != reqwest::StatusCode::SERVICE_UNAVAILABLE
                || started.elapsed() >= NO_LEADER_WAIT
            {
                break (status, body);
            }
            tokio::time::sleep(NO_LEADER_RETRY).await;
        };
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body).into_owned();
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
                .unwrap_or(text);
            return Err(Error::Api(ApiError {
                status: status.as_u16(),
                message,
            }));
        }
        Ok(body)
    }
}
