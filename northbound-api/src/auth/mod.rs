//! Who may do what on the API: bearer tokens (`Authorization: Bearer TOKEN`) from a token file
//! (`netmaster --api-tokens FILE`), each with a [`Role`]: `admin` (everything), `tenant` (one
//! tenant's objects; every other tenant's are invisible: 404, and absent from lists) or
//! `agent` (one host: its report and directives, and reading single objects).
//!
//! ```json
//! {"tokens": [{"token": "…", "role": "admin"},
//!             {"token": "…", "role": "tenant", "tenant": "acme"},
//!             {"token": "…", "role": "agent", "host": "node-a"}]}
//! ```
//!
//! [`authenticate`] is the middleware: it finds the caller's role (comparing the presented
//! token with every known one in constant time) and puts it in the request as a [`Caller`],
//! or answers 401. Without a token file ([`Access::Open`]) every caller is an admin: netmaster
//! then serves only loopback. The handlers ask the [`Caller`] before they act. An address that
//! keeps presenting unknown tokens is answered `429` for a while ([`attempts`]).

pub mod attempts;

use attempts::{ClientAddr, FailedAttempts};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use northbound_model::error::ErrorBody;
use northbound_model::model::{Endpoint, Kind};
use northbound_model::token::{BearerToken, TokenError};
use northbound_model::wire::{self, BodyError};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use subtle::ConstantTimeEq;

/// What a token allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// The objects of one tenant.
    Tenant(String),
    /// One host's agent.
    Agent(String),
}

/// One line of the token file.
#[derive(Deserialize)]
#[serde(tag = "role", rename_all = "camelCase", deny_unknown_fields)]
enum Entry {
    Admin { token: String },
    Tenant { token: String, tenant: String },
    Agent { token: String, host: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    tokens: Vec<Entry>,
}

/// Why a token file was refused (the API keeps the tokens it had).
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    /// It could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It is not a token file.
    #[error("not a token file: {0}")]
    Parse(#[from] BodyError),
    /// Token `index` (from 0) is not a usable token.
    #[error("tokens[{index}]: {source}")]
    Token {
        /// Its position.
        index: usize,
        /// Why.
        #[source]
        source: TokenError,
    },
    /// Token `index` has the same text as an earlier one.
    #[error("tokens[{0}]: the same token as an earlier one")]
    Duplicate(usize),
    /// Token `index` names no tenant or host.
    #[error("tokens[{0}]: an empty tenant or host name")]
    EmptyName(usize),
    /// The file has no token: nobody could use the API.
    #[error("no token in the file")]
    Empty,
}

/// The tokens of a token file.
pub struct TokenTable {
    entries: Vec<(BearerToken, Role)>,
}

impl TokenTable {
    /// The tokens of a token file's text.
    pub fn parse(text: &str) -> Result<TokenTable, TokensError> {
        let file: TokenFile = wire::decode(text.as_bytes())?;
        if file.tokens.is_empty() {
            return Err(TokensError::Empty);
        }
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(file.tokens.len());
        for (index, e) in file.tokens.into_iter().enumerate() {
            let (token, role) = match e {
                Entry::Admin { token } => (token, Role::Admin),
                Entry::Tenant { token, tenant } => (token, Role::Tenant(tenant)),
                Entry::Agent { token, host } => (token, Role::Agent(host)),
            };
            if matches!(&role, Role::Tenant(n) | Role::Agent(n) if n.is_empty()) {
                return Err(TokensError::EmptyName(index));
            }
            let token =
                BearerToken::new(&token).map_err(|source| TokensError::Token { index, source })?;
            if !seen.insert(token.expose().to_string()) {
                return Err(TokensError::Duplicate(index));
            }
            entries.push((token, role));
        }
        Ok(TokenTable { entries })
    }

    /// The tokens of the token file at `path`.
    pub fn load(path: &Path) -> Result<TokenTable, TokensError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokensError::Read {
            path: path.display().to_string(),
            source,
        })?;
        TokenTable::parse(&text)
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never: a table has at least one token.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The role of the token `presented`. Every known token is compared, each in constant
    /// time, so the answer's timing does not tell how much of a token was right.
    pub fn role(&self, presented: &str) -> Option<Role> {
        let mut found = None;
        for (token, role) in &self.entries {
            if bool::from(token.expose().as_bytes().ct_eq(presented.as_bytes())) {
                found = Some(role.clone());
            }
        }
        found
    }
}

/// How the API authenticates its callers.
#[derive(Clone)]
pub enum Access {
    /// No token file: every caller is an admin (netmaster serves only loopback then).
    Open,
    /// Callers present a token of the table (replaced when the file is read again).
    Tokens {
        /// The tokens.
        table: Arc<RwLock<Arc<TokenTable>>>,
        /// Failed attempts by address.
        failures: Arc<FailedAttempts>,
    },
}

impl Access {
    /// Access by the tokens of `table`; an address that presents `max_failures` unknown tokens
    /// within a minute is answered 429 for the rest of that minute.
    pub fn tokens(table: TokenTable, max_failures: u32) -> Access {
        Access::Tokens {
            table: Arc::new(RwLock::new(Arc::new(table))),
            failures: Arc::new(FailedAttempts::new(max_failures)),
        }
    }

    /// Replaces the tokens (after the file was read again); nothing for [`Access::Open`].
    pub fn replace(&self, table: TokenTable) {
        if let Access::Tokens { table: t, .. } = self {
            *t.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
        }
    }

    fn role(&self, headers: &HeaderMap) -> Option<Role> {
        let table = match self {
            Access::Open => return Some(Role::Admin),
            Access::Tokens { table, .. } => table.read().unwrap_or_else(|e| e.into_inner()).clone(),
        };
        table.role(&presented_token(headers)?)
    }
}

/// The token a request presents: `Authorization: Bearer TOKEN`, or, for browsers (the web
/// console), `Authorization: Basic` with the token as the password (any user name).
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.to_string());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_string())
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub Role);

/// The middleware: a request with a known token (any request with [`Access::Open`]) goes on
/// with its [`Caller`]; any other gets a 401.
pub async fn authenticate(State(access): State<Access>, mut req: Request, next: Next) -> Response {
    let now = Instant::now();
    let limited = match (&access, req.extensions().get::<ClientAddr>()) {
        (Access::Tokens { failures, .. }, Some(ClientAddr(addr))) => Some((failures, *addr)),
        _ => None,
    };
    if let Some((failures, addr)) = limited {
        if failures.blocked(addr, now) {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, attempts::WINDOW.as_secs().to_string())],
                Json(ErrorBody::new(
                    "too many failed authentications from this address: try again later",
                )),
            )
                .into_response();
        }
    }
    match access.role(req.headers()) {
        Some(role) => {
            req.extensions_mut().insert(Caller(role));
            next.run(req).await
        }
        None => {
            if let Some((failures, addr)) = limited {
                failures.failed(addr, now);
            }
            unauthorized(req.uri().path().starts_with("/ui"))
        }
    }
}

/// The answer to a request without a known token; for the web console (`console`), a Basic
/// challenge, so that a browser asks for the token.
fn unauthorized(console: bool) -> Response {
    let (challenge, message) = if console {
        (
            "Basic realm=\"netmaster console\", charset=\"UTF-8\"",
            "a valid token is required: give it as the password (any user name)",
        )
    } else {
        (
            "Bearer realm=\"netmaster\"",
            "a valid bearer token is required (Authorization: Bearer TOKEN)",
        )
    };
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, challenge)],
        Json(ErrorBody::new(message)),
    )
        .into_response()
}

/// Why a caller may not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The object is invisible to the caller: answered as if it did not exist (404).
    Hidden,
    /// The caller's role does not allow it (403), with why.
    Forbidden(&'static str),
}

/// Which objects of a collection a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// All of them.
    All,
    /// Those of one tenant.
    Tenant(&'a str),
}

impl Scope<'_> {
    /// Whether the object of `kind` with `key` is in the scope.
    pub fn contains(&self, kind: Kind, key: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Tenant(t) => kind.tenant_in_key(key) == Some(*t),
        }
    }
}

const ADMIN_ONLY: &str = "this needs an admin token";
const TENANT_OBJECTS: &str = "a tenant token reaches only its tenant's objects";
const AGENT_READS: &str = "an agent token reads single objects and reports for its own host";
const OWN_HOST: &str = "an agent token reports only for its own host";
const ON_DEMAND: &str = "an agent token creates, replaces and deletes only the on-demand endpoints (with a sandbox) of its own host";

impl Caller {
    /// Reading one object of `kind` with `key`.
    pub fn read(&self, kind: Kind, key: &str) -> Result<(), Denied> {
        match &self.0 {
            Role::Admin | Role::Agent(_) => Ok(()),
            Role::Tenant(t) => match kind.tenant_in_key(key) {
                None => Err(Denied::Forbidden(TENANT_OBJECTS)),
                Some(owner) if owner == t => Ok(()),
                Some(_) => Err(Denied::Hidden),
            },
        }
    }

    /// Creating, replacing or deleting the object of `kind` with `key`: a tenant token
    /// changes its tenant's objects, not the tenant itself.
    pub fn write(&self, kind: Kind, key: &str) -> Result<(), Denied> {
        match &self.0 {
            Role::Admin => Ok(()),
            Role::Agent(_) => Err(Denied::Forbidden(AGENT_READS)),
            Role::Tenant(t) => match kind.tenant_in_key(key) {
                None => Err(Denied::Forbidden(TENANT_OBJECTS)),
                Some(owner) if owner != t => Err(Denied::Hidden),
                Some(_) if kind == Kind::Tenant => Err(Denied::Forbidden(ADMIN_ONLY)),
                Some(_) => Ok(()),
            },
        }
    }

    /// Creating or replacing endpoint `key` with `new`, or deleting it (`new` absent), where
    /// `existing` is what is there now: as [`Caller::write`], except that an agent may do it
    /// to the on-demand endpoints of its own host (CNI ADD and DEL of a pod not in intent):
    /// those with a `sandbox` and its `host`, before and after.
    pub fn write_endpoint(
        &self,
        key: &str,
        new: Option<&Endpoint>,
        existing: Option<&Endpoint>,
    ) -> Result<(), Denied> {
        let Role::Agent(host) = &self.0 else {
            return self.write(Kind::Endpoint, key);
        };
        let on_demand_here =
            |e: &Endpoint| e.sandbox.is_some() && e.host.as_deref() == Some(host.as_str());
        let allowed = match (new, existing) {
            (None, None) => false,
            (new, existing) => {
                new.is_none_or(on_demand_here) && existing.is_none_or(on_demand_here)
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(Denied::Forbidden(ON_DEMAND))
        }
    }

    /// Listing a collection of `kind`: which of its objects the caller sees.
    pub fn list(&self, kind: Kind) -> Result<Scope<'_>, Denied> {
        match &self.0 {
            Role::Admin => Ok(Scope::All),
            Role::Agent(_) => Err(Denied::Forbidden(AGENT_READS)),
            Role::Tenant(_) if matches!(kind, Kind::Global | Kind::Host) => {
                Err(Denied::Forbidden(TENANT_OBJECTS))
            }
            Role::Tenant(t) => Ok(Scope::Tenant(t)),
        }
    }

    /// Something only an admin may do (a desired-state replace, the agents' reports, the
    /// audit).
    pub fn admin(&self) -> Result<(), Denied> {
        match &self.0 {
            Role::Admin => Ok(()),
            _ => Err(Denied::Forbidden(ADMIN_ONLY)),
        }
    }

    /// Acting for host `host`: its agent or an admin.
    pub fn host(&self, host: &str) -> Result<(), Denied> {
        match &self.0 {
            Role::Admin => Ok(()),
            Role::Agent(h) if h == host => Ok(()),
            Role::Agent(_) => Err(Denied::Forbidden(OWN_HOST)),
            Role::Tenant(_) => Err(Denied::Forbidden(ADMIN_ONLY)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"tokens": [
        {"token": "admin-0123456789abcdef", "role": "admin"},
        {"token": "acme-0123456789abcdef", "role": "tenant", "tenant": "acme"},
        {"token": "node-a-0123456789abcdef", "role": "agent", "host": "node-a"}]}"#;

    #[test]
    fn a_token_file_gives_each_token_its_role() {
        let t = TokenTable::parse(FILE).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.role("admin-0123456789abcdef"), Some(Role::Admin));
        assert_eq!(
            t.role("acme-0123456789abcdef"),
            Some(Role::Tenant("acme".into()))
        );
        assert_eq!(
            t.role("node-a-0123456789abcdef"),
            Some(Role::Agent("node-a".into()))
        );
        assert_eq!(t.role("admin-0123456789abcdeF"), None);
        assert_eq!(t.role("admin-0123456789abcde"), None);
        assert_eq!(t.role(""), None);
    }

    #[test]
    fn bad_token_files_are_refused_with_the_reason() {
        let refused = |text: &str| TokenTable::parse(text).err().unwrap().to_string();
        assert!(refused(r#"{"tokens": []}"#).contains("no token"));
        assert!(
            refused(r#"{"tokens": [{"token": "short", "role": "admin"}]}"#)
                .contains("tokens[0]: a token has 16 to 256 characters")
        );
        assert!(refused(
            r#"{"tokens": [{"token": "0123456789abcdef", "role": "tenant", "tenant": ""}]}"#
        )
        .contains("empty tenant"));
        assert!(refused(
            r#"{"tokens": [{"token": "0123456789abcdef", "role": "admin", "tenant": "x"}]}"#
        )
        .contains("unknown field `tenant`"));
        assert!(
            refused(r#"{"tokens": [{"token": "0123456789abcdef", "role": "root"}]}"#)
                .contains("unknown variant `root`")
        );
        let dup = r#"{"tokens": [{"token": "0123456789abcdef", "role": "admin"},
            {"token": "0123456789abcdef", "role": "agent", "host": "h"}]}"#;
        assert!(refused(dup).contains("tokens[1]: the same token"));
        assert!(refused(r#"{"tokenz": []}"#).contains("unknown field `tokenz`"));
    }

    #[test]
    fn a_tenant_sees_its_objects_and_nothing_of_the_others() {
        let acme = Caller(Role::Tenant("acme".into()));
        assert_eq!(acme.read(Kind::Network, "acme:web"), Ok(()));
        assert_eq!(acme.read(Kind::Tenant, "acme"), Ok(()));
        assert_eq!(acme.read(Kind::Network, "other:web"), Err(Denied::Hidden));
        assert_eq!(acme.read(Kind::Tenant, "other"), Err(Denied::Hidden));
        assert!(matches!(
            acme.read(Kind::Host, "h1"),
            Err(Denied::Forbidden(_))
        ));
        assert_eq!(acme.write(Kind::Endpoint, "acme:c1"), Ok(()));
        assert_eq!(acme.write(Kind::Rule, "other:p:1"), Err(Denied::Hidden));
        assert!(matches!(
            acme.write(Kind::Tenant, "acme"),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            acme.write(Kind::Global, "global"),
            Err(Denied::Forbidden(_))
        ));
        assert_eq!(acme.list(Kind::Network), Ok(Scope::Tenant("acme")));
        assert!(acme.list(Kind::Host).is_err());
        assert!(Scope::Tenant("acme").contains(Kind::Rule, "acme:p:1"));
        assert!(!Scope::Tenant("acme").contains(Kind::Rule, "acme2:p:1"));
        assert!(acme.admin().is_err());
        assert!(acme.host("h1").is_err());
    }

    #[test]
    fn a_token_comes_as_a_bearer_or_as_a_basic_password() {
        let with = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, value.parse().unwrap());
            presented_token(&h)
        };
        assert_eq!(with("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(with("bearer  abc ").as_deref(), Some("abc"));
        // "any:tok:en" in base64: the password is everything after the first colon.
        assert_eq!(with("Basic YW55OnRvazplbg==").as_deref(), Some("tok:en"));
        assert_eq!(with("Basic !!!"), None);
        assert_eq!(with("Basic bm9jb2xvbg=="), None, "no colon");
        assert_eq!(with("Digest abc"), None);
        assert_eq!(presented_token(&HeaderMap::new()), None);
    }

    #[test]
    fn an_agent_acts_for_its_own_host_only() {
        let a = Caller(Role::Agent("node-a".into()));
        assert_eq!(a.host("node-a"), Ok(()));
        assert!(a.host("node-b").is_err());
        assert_eq!(a.read(Kind::Endpoint, "t:c1"), Ok(()));
        assert!(a.write(Kind::Endpoint, "t:c1").is_err());
        assert!(a.list(Kind::Endpoint).is_err());
        assert!(a.admin().is_err());
        let admin = Caller(Role::Admin);
        assert_eq!(admin.host("node-b"), Ok(()));
        assert_eq!(admin.list(Kind::Host), Ok(Scope::All));
    }

    #[test]
    fn an_agent_writes_only_the_on_demand_endpoints_of_its_own_host() {
        let a = Caller(Role::Agent("node-a".into()));
        let ep = |host: &str, sandbox: Option<&str>| Endpoint {
            host: Some(host.into()),
            sandbox: sandbox.map(Into::into),
            ..Endpoint::named("t", "n", "c1")
        };
        let mine = ep("node-a", Some("abc"));
        let declared = ep("node-a", None);
        let elsewhere = ep("node-b", Some("abc"));
        assert_eq!(a.write_endpoint("t:c1", Some(&mine), None), Ok(()));
        assert_eq!(a.write_endpoint("t:c1", Some(&mine), Some(&mine)), Ok(()));
        assert_eq!(a.write_endpoint("t:c1", None, Some(&mine)), Ok(()));
        for (new, existing) in [
            (Some(&declared), None),
            (Some(&elsewhere), None),
            (Some(&mine), Some(&declared)),
            (Some(&mine), Some(&elsewhere)),
            (None, Some(&declared)),
            (None, Some(&elsewhere)),
            (None, None),
        ] {
            assert!(
                a.write_endpoint("t:c1", new, existing).is_err(),
                "{new:?} over {existing:?}"
            );
        }
        // Other roles: as for any object.
        let admin = Caller(Role::Admin);
        assert_eq!(admin.write_endpoint("t:c1", Some(&declared), None), Ok(()));
        let other = Caller(Role::Tenant("u".into()));
        assert_eq!(
            other.write_endpoint("t:c1", Some(&mine), None),
            Err(Denied::Hidden)
        );
    }
}
