//! The etcd v3 backend of the [`Store`]: every table under one key prefix
//! (`<prefix>/<table>/<key>`), each commit one etcd transaction, fenced by leadership.
//!
//! Only the replica that holds the election writes: every commit compares the leader key's
//! create revision with the one this replica won ([`Fence`]), so a replica that lost its lease
//! (a pause, a partition) has its late writes refused by etcd itself, never applied after the
//! next leader's. Without a fence (a follower) every commit is refused.
//!
//! etcd-client is async; the store's callers are not. The store runs its own runtime on a
//! thread of its own, and a call blocks its caller until the answer or the call timeout.
//! Reads page through the prefix at one revision, so a table of any size is read whole and
//! consistently.

use super::{Rows, Store, StoreError, Table, Txn};
use etcd_client::{Client, Compare, CompareOp, ConnectOptions, GetOptions, TxnOp, WatchOptions};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::RwLock;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

/// Rows read per request while paging through a table.
const PAGE: i64 = 1000;

/// Where the store is and how to reach it.
#[derive(Debug, Clone)]
pub struct EtcdConfig {
    /// Client URLs (`http://127.0.0.1:2379`); the client fails over between them.
    pub endpoints: Vec<String>,
    /// The prefix every key is under (`/netplugin`).
    pub prefix: String,
    /// Time allowed for one call (a read, a commit).
    pub timeout: Duration,
    /// TLS to etcd (`https://` endpoints).
    pub tls: Option<etcd_client::TlsOptions>,
}

/// The leadership a commit is fenced by: the leader key and its create revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The election's key of this replica.
    pub key: Vec<u8>,
    /// Its create revision (also the generation id of the OpenFlow master role).
    pub revision: i64,
}

/// The etcd store.
pub struct EtcdStore {
    client: Client,
    /// The same members, without the call timeout: a campaign waits as long as another
    /// replica leads.
    waiting_client: Client,
    /// The members' URLs and how to connect to them, for a client of one member.
    endpoints: Vec<String>,
    waiting_options: ConnectOptions,
    prefix: String,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
    fence: RwLock<Option<Fence>>,
}

impl std::fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EtcdStore({})", self.prefix)
    }
}

impl EtcdStore {
    /// Connects (failing when no endpoint answers within the timeout).
    pub fn connect(config: EtcdConfig) -> Result<EtcdStore, StoreError> {
        let runtime = store_runtime()?;
        let mut waiting = ConnectOptions::new()
            .with_connect_timeout(ATTEMPT)
            // etcd answers pings more often than every 5 s (`--grpc-keepalive-min-time`)
            // by closing the connection ("too many pings").
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5));
        if let Some(tls) = config.tls.clone() {
            waiting = waiting.with_tls(tls);
        }
        let bounded = waiting.clone().with_timeout(ATTEMPT);
        let endpoints = config.endpoints.clone();
        let waiting_options = waiting.clone();
        let (client, waiting_client) = call(&runtime, config.timeout, move || {
            let (endpoints, bounded, waiting) =
                (endpoints.clone(), bounded.clone(), waiting.clone());
            async move {
                let mut client = Client::connect(&endpoints, Some(bounded)).await?;
                // Proves that a member answers, rather than failing at the first use.
                client.status().await?;
                let waiting = Client::connect(&endpoints, Some(waiting)).await?;
                Ok((client, waiting))
            }
        })?;
        info!(endpoints = ?config.endpoints, prefix = %config.prefix, "etcd store connected");
        Ok(EtcdStore {
            client,
            waiting_client,
            endpoints: config.endpoints,
            waiting_options,
            prefix: config.prefix.trim_end_matches('/').to_string(),
            timeout: config.timeout,
            runtime,
            fence: RwLock::new(None),
        })
    }

    /// A client for other uses of the same etcd, on the store's runtime; each call bounded by
    /// the timeout.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// A client whose calls wait as long as they must (a campaign, a watch).
    pub fn waiting_client(&self) -> Client {
        self.waiting_client.clone()
    }

    /// A client of member `i` (modulo their number) alone, for calls that must move to
    /// another member at once when theirs fails (the election, the leader's lease renewal):
    /// a client balanced over all members keeps picking one that is down. Its calls wait as
    /// long as they must.
    pub async fn member_client(&self, i: usize) -> Result<Client, etcd_client::Error> {
        let member = &self.endpoints[i % self.endpoints.len()];
        Client::connect([member], Some(self.waiting_options.clone())).await
    }

    /// The same, each call bounded by one attempt's time.
    pub async fn bounded_member_client(&self, i: usize) -> Result<Client, etcd_client::Error> {
        let member = &self.endpoints[i % self.endpoints.len()];
        let options = self.waiting_options.clone().with_timeout(ATTEMPT);
        Client::connect([member], Some(options)).await
    }

    /// The store's runtime, where the election and the watch run.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// The prefix every key is under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The value and modification revision of one key (outside the tables), if it exists.
    pub fn get(&self, key: &str) -> Result<Option<(Vec<u8>, i64)>, StoreError> {
        let client = self.client.clone();
        let key = key.to_string();
        let mut resp = call(&self.runtime, self.timeout, move || {
            let (mut client, key) = (client.clone(), key.clone());
            async move { client.get(key, None).await }
        })?;
        Ok(resp.take_kvs().into_iter().next().map(|kv| {
            let revision = kv.mod_revision();
            (kv.into_key_value().1, revision)
        }))
    }

    /// Sets (leader) or clears (follower, lease lost) the fence of every later commit.
    pub fn set_fence(&self, fence: Option<Fence>) {
        *self.fence.write().unwrap_or_else(|e| e.into_inner()) = fence;
    }

    fn table_prefix(&self, table: Table) -> String {
        format!("{}/{}/", self.prefix, table.name())
    }

    /// A receiver of the newest revision at which anything under the prefix changed
    /// (`0` until the first change; bumped again after the watch had to be re-established,
    /// since changes may have been missed meanwhile).
    pub fn watch_changes(&self) -> watch::Receiver<i64> {
        let (tx, rx) = watch::channel(0);
        let client = self.waiting_client.clone();
        let prefix = format!("{}/", self.prefix);
        self.runtime.spawn(async move {
            loop {
                if let Err(e) = watch_prefix(client.clone(), &prefix, &tx).await {
                    warn!(error = %e, "etcd watch broke: watching again");
                }
                if tx.is_closed() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                // Something may have changed while the watch was down.
                tx.send_modify(|r| *r += 1);
            }
        });
        rx
    }
}

async fn watch_prefix(
    mut client: Client,
    prefix: &str,
    tx: &watch::Sender<i64>,
) -> Result<(), etcd_client::Error> {
    let mut stream = client
        .watch(prefix, Some(WatchOptions::new().with_prefix()))
        .await?;
    while let Some(resp) = stream.message().await? {
        if resp.canceled() {
            return Ok(());
        }
        if let Some(h) = resp.header() {
            if !resp.events().is_empty() {
                tx.send_replace(h.revision());
            }
        }
        if tx.is_closed() {
            return Ok(());
        }
    }
    Ok(())
}

/// A runtime of its own, on a thread that lives as long as the process.
fn store_runtime() -> Result<tokio::runtime::Handle, StoreError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("etcd-store")
        .enable_all()
        .build()
        .map_err(StoreError::Runtime)?;
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("etcd-store-runtime".into())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))
        .map_err(StoreError::Runtime)?;
    Ok(handle)
}

/// Runs the call `attempt` makes on the store's runtime and waits for it, at most `timeout`.
/// A member that is down or unreachable fails an attempt (its connection times out after
/// [`ATTEMPT`]); the call is attempted again, on another member, until the timeout. Every
/// write is a whole transaction of final values, so a repeated one changes nothing more.
fn call<T: Send + 'static, F>(
    runtime: &tokio::runtime::Handle,
    timeout: Duration,
    mut attempt: impl FnMut() -> F + Send + 'static,
) -> Result<T, StoreError>
where
    F: Future<Output = Result<T, etcd_client::Error>> + Send,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let deadline = tokio::time::Instant::now() + timeout;
        let out = tokio::time::timeout_at(deadline, async {
            loop {
                match attempt().await {
                    Err(e) if retryable(&e) && tokio::time::Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(50)).await
                    }
                    done => return done,
                }
            }
        })
        .await;
        let _ = tx.send(out);
    });
    match rx.recv() {
        Ok(Ok(Ok(v))) => Ok(v),
        Ok(Ok(Err(e))) => Err(StoreError::Etcd(Box::new(e))),
        Ok(Err(_)) | Err(_) => Err(StoreError::EtcdTimeout(timeout)),
    }
}

/// How long one attempt of a call may take: a member that is down is given up on in time to
/// try another within the call's timeout.
const ATTEMPT: Duration = Duration::from_millis(1500);

/// Whether an error is the member's or the connection's, not the request's.
fn retryable(e: &etcd_client::Error) -> bool {
    match e {
        etcd_client::Error::TransportError(_) => true,
        etcd_client::Error::GRpcStatus(status) => matches!(
            status.code(),
            tonic::Code::Unavailable | tonic::Code::Cancelled | tonic::Code::DeadlineExceeded
        ),
        _ => false,
    }
}

/// The end of the key range of every key starting with `prefix`.
fn range_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

impl Store for EtcdStore {
    fn rows(&self, table: Table) -> Result<Rows, StoreError> {
        let prefix = self.table_prefix(table);
        let client = self.client.clone();
        let pairs = call(&self.runtime, self.timeout, move || {
            let (mut client, prefix) = (client.clone(), prefix.clone());
            async move {
                let end = range_end(prefix.as_bytes());
                let mut start = prefix.clone().into_bytes();
                let mut revision = 0;
                let mut pairs = Vec::new();
                loop {
                    let mut options = GetOptions::new().with_range(end.clone()).with_limit(PAGE);
                    if revision > 0 {
                        options = options.with_revision(revision);
                    }
                    let mut resp = client.get(start.clone(), Some(options)).await?;
                    if revision == 0 {
                        revision = resp.header().map(|h| h.revision()).unwrap_or(0);
                    }
                    let more = resp.more();
                    let kvs = resp.take_kvs();
                    if let Some(last) = kvs.last() {
                        start = last.key().to_vec();
                        start.push(0);
                    }
                    pairs.extend(kvs.into_iter().map(|kv| kv.into_key_value()));
                    if !more {
                        return Ok((prefix, pairs));
                    }
                }
            }
        })?;
        let (prefix, pairs) = pairs;
        let mut rows = Rows::new();
        for (k, v) in pairs {
            let key = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            rows.insert(key, v);
        }
        Ok(rows)
    }

    fn commit(&self, txn: &Txn) -> Result<(), StoreError> {
        let fence = self
            .fence
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(StoreError::NotLeader)?;
        // etcd refuses a key twice in one transaction: the last write of a key wins, as it
        // would applied in order.
        let mut last: BTreeMap<String, Option<Vec<u8>>> = BTreeMap::new();
        for w in &txn.writes {
            last.insert(
                format!("{}{}", self.table_prefix(w.table), w.key),
                w.value.clone(),
            );
        }
        let ops: Vec<TxnOp> = last
            .into_iter()
            .map(|(k, v)| match v {
                Some(v) => TxnOp::put(k, v, None),
                None => TxnOp::delete(k, None),
            })
            .collect();
        let request = etcd_client::Txn::new()
            .when([Compare::create_revision(
                fence.key,
                CompareOp::Equal,
                fence.revision,
            )])
            .and_then(ops);
        let client = self.client.clone();
        let resp = call(&self.runtime, self.timeout, move || {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.txn(request).await }
        })?;
        if resp.succeeded() {
            Ok(())
        } else {
            Err(StoreError::NotLeader)
        }
    }

    fn read_through(&self, table: Table, key: &str) -> Option<Result<Option<Vec<u8>>, StoreError>> {
        let follower = self
            .fence
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none();
        follower.then(|| {
            self.get(&format!("{}{key}", self.table_prefix(table)))
                .map(|row| row.map(|(value, _)| value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::range_end;

    #[test]
    fn the_range_end_is_the_next_prefix() {
        assert_eq!(range_end(b"/np/objects/"), b"/np/objects0".to_vec());
        assert_eq!(range_end(b"a\xff"), b"b".to_vec());
        assert_eq!(range_end(b"\xff"), vec![0]);
    }
}
