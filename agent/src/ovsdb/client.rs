//! The JSON-RPC 1.0 connection: requests matched to replies by id, server `echo` requests
//! answered, `update` notifications routed to their monitor's channel.
//!
//! Two tasks own the socket: a reader (frames messages, dispatches them) and a writer (drains
//! an unbounded queue). The reader never waits for the writer, so a server blocked on writing
//! to us can never deadlock against our own writes.

use super::error::{Error, Result};
use super::framing::Framer;
use super::monitor::{parse_table_updates, MonitorRequest, TableUpdates};
use super::ops::{check_results, OpResult, Operation};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::AbortOnDropHandle;

/// Requests in flight and monitors, shared by the client handles and the reader task.
#[derive(Default)]
struct Routes {
    /// Set by the reader when the connection ends: no new request may wait.
    closed: bool,
    pending: HashMap<u64, oneshot::Sender<Value>>,
    monitors: HashMap<String, mpsc::UnboundedSender<TableUpdates>>,
}

struct Shared {
    routes: Mutex<Routes>,
    out: mpsc::UnboundedSender<Vec<u8>>,
    next_id: AtomicU64,
}

impl Shared {
    fn routes(&self) -> MutexGuard<'_, Routes> {
        // The lock is never held across a panic point that leaves the map inconsistent.
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, msg: &Value) -> Result<()> {
        let bytes = serde_json::to_vec(msg).map_err(|e| Error::Protocol(e.to_string()))?;
        self.out.send(bytes).map_err(|_| Error::Disconnected)
    }
}

/// A connection to an OVSDB server. Cheap to clone; the connection closes when the last
/// clone (including those held by [`Monitor`]s) is dropped.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    /// The reader and writer tasks, aborted when the last clone is dropped.
    _tasks: Arc<[AbortOnDropHandle<()>; 2]>,
}

impl Client {
    /// Connects to a unix socket (`ovsdb-server --remote=punix:PATH`).
    pub async fn connect(path: impl AsRef<Path>) -> Result<Client> {
        Ok(Client::new(UnixStream::connect(path).await?))
    }

    /// Runs the protocol over an already connected stream (must be called inside a tokio
    /// runtime).
    pub fn new(stream: UnixStream) -> Client {
        let (rd, wr) = stream.into_split();
        let (out, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            routes: Mutex::default(),
            out,
            next_id: AtomicU64::new(1),
        });
        let reader = tokio::spawn(read_loop(rd, shared.clone()));
        let writer = tokio::spawn(write_loop(wr, queue));
        Client {
            shared,
            _tasks: Arc::new([reader, writer].map(AbortOnDropHandle::new)),
        }
    }

    /// Sends request `method(params)` and returns the reply's `result`; a non-null `error`
    /// member becomes [`Error::Rpc`].
    pub async fn call(&self, method: &str, params: Value) -> Result<Value> {
        self.call_registering(method, params, |_| {}).await
    }

    /// [`Client::call`], running `register` under the routing lock just before the request
    /// is queued (a monitor's channel must exist before its first update can arrive).
    async fn call_registering(
        &self,
        method: &str,
        params: Value,
        register: impl FnOnce(&mut Routes),
    ) -> Result<Value> {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let mut routes = self.shared.routes();
            if routes.closed {
                return Err(Error::Disconnected);
            }
            routes.pending.insert(id, tx);
            register(&mut routes);
        }
        self.shared
            .send(&json!({"method": method, "params": params, "id": id}))?;
        let mut reply = rx.await.map_err(|_| Error::Disconnected)?;
        match reply.get("error") {
            Some(e) if !e.is_null() => Err(Error::rpc(method, e)),
            _ => Ok(reply.get_mut("result").map(Value::take).unwrap_or_default()),
        }
    }

    /// `echo`: the server returns `params` unchanged (a liveness check).
    pub async fn echo(&self, params: Value) -> Result<Value> {
        self.call("echo", params).await
    }

    /// `list_dbs`: the names of the server's databases.
    pub async fn list_dbs(&self) -> Result<Vec<String>> {
        let v = self.call("list_dbs", json!([])).await?;
        serde_json::from_value(v.clone())
            .map_err(|_| Error::Protocol(format!("list_dbs result {v}")))
    }

    /// `get_schema`: the database schema as JSON.
    pub async fn get_schema(&self, db: &str) -> Result<Value> {
        self.call("get_schema", json!([db])).await
    }

    /// `transact`: runs `ops` atomically on `db`. The first failed operation (or a failed
    /// commit) becomes [`Error::Operation`] with the server's error text.
    pub async fn transact(&self, db: &str, ops: &[Operation]) -> Result<Vec<OpResult>> {
        let mut params = vec![json!(db)];
        params.extend(ops.iter().map(Operation::to_json));
        let result = self.call("transact", Value::Array(params)).await?;
        check_results(ops, result)
    }

    /// `monitor`: returns the initial rows (for requests with `initial`) and a [`Monitor`]
    /// that receives every later change of the requested tables.
    pub async fn monitor(&self, db: &str, requests: &[(&str, MonitorRequest)]) -> Result<Monitor> {
        let id = format!(
            "monitor-{}",
            self.shared.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let requests: Map<String, Value> = requests
            .iter()
            .map(|(table, r)| (table.to_string(), r.to_json()))
            .collect();
        let (tx, updates) = mpsc::unbounded_channel();
        let reply = self
            .call_registering("monitor", json!([db, id, requests]), |routes| {
                routes.monitors.insert(id.clone(), tx);
            })
            .await;
        let initial = reply.and_then(|v| parse_table_updates(&v));
        match initial {
            Ok(initial) => Ok(Monitor {
                client: self.clone(),
                id,
                initial,
                updates,
            }),
            Err(e) => {
                self.shared.routes().monitors.remove(&id);
                Err(e)
            }
        }
    }
}

/// An active `monitor`: its initial rows and the channel of later `update` notifications.
pub struct Monitor {
    client: Client,
    id: String,
    /// The rows that existed when the monitor started (tables requested with `initial`).
    pub initial: TableUpdates,
    updates: mpsc::UnboundedReceiver<TableUpdates>,
}

impl Monitor {
    /// The next `update` notification; `None` once the connection is closed.
    pub async fn next(&mut self) -> Option<TableUpdates> {
        self.updates.recv().await
    }

    /// `monitor_cancel`: stops the notifications.
    pub async fn cancel(self) -> Result<()> {
        let result = self.client.call("monitor_cancel", json!([self.id])).await;
        self.client.shared.routes().monitors.remove(&self.id);
        result.map(drop)
    }
}

async fn write_loop(mut wr: OwnedWriteHalf, mut queue: mpsc::UnboundedReceiver<Vec<u8>>) {
    while let Some(bytes) = queue.recv().await {
        if let Err(e) = wr.write_all(&bytes).await {
            tracing::warn!("OVSDB write failed: {e}");
            return;
        }
    }
}

async fn read_loop(mut rd: OwnedReadHalf, shared: Arc<Shared>) {
    let mut framer = Framer::default();
    let mut buf = vec![0u8; 64 * 1024];
    let why = 'conn: loop {
        let n = match rd.read(&mut buf).await {
            Ok(0) => break "closed by the server".to_string(),
            Ok(n) => n,
            Err(e) => break format!("read failed: {e}"),
        };
        framer.extend(&buf[..n]);
        loop {
            match framer.next_message() {
                Ok(Some(msg)) => dispatch(&shared, msg),
                Ok(None) => break,
                Err(e) => break 'conn e.to_string(),
            }
        }
    };
    tracing::debug!("OVSDB connection ends: {why}");
    // Dropping the senders wakes every waiting request and ends every monitor's channel.
    let mut routes = shared.routes();
    routes.closed = true;
    routes.pending.clear();
    routes.monitors.clear();
}

/// Handles one message from the server.
fn dispatch(shared: &Shared, mut msg: Value) {
    let id = msg.get_mut("id").map(Value::take).unwrap_or_default();
    let Some(method) = msg
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        // A reply to one of our requests.
        let tx = id.as_u64().and_then(|i| shared.routes().pending.remove(&i));
        match tx {
            Some(tx) => drop(tx.send(msg)),
            None => tracing::warn!("OVSDB reply to an unknown request id {id}"),
        }
        return;
    };
    let params = msg.get_mut("params").map(Value::take).unwrap_or_default();
    match method.as_str() {
        // The server probes idle connections and drops those that do not answer.
        "echo" => drop(shared.send(&json!({"id": id, "result": params, "error": null}))),
        "update" => {
            let (Some(mon), Some(updates)) = (params.get(0).and_then(Value::as_str), params.get(1))
            else {
                tracing::warn!("malformed OVSDB update: {params}");
                return;
            };
            match parse_table_updates(updates) {
                Ok(u) => {
                    if let Some(tx) = shared.routes().monitors.get(mon) {
                        // A monitor dropped without cancel: nobody listens any more.
                        let _ = tx.send(u);
                    }
                }
                Err(e) => tracing::warn!("{e}"),
            }
        }
        _ if !id.is_null() => drop(shared.send(&json!({
            "id": id, "result": null, "error": format!("unknown method {method}")
        }))),
        _ => tracing::debug!("ignored OVSDB notification {method}"),
    }
}

#[cfg(test)]
mod tests {
    //! A scripted peer on the other end of a socket pair plays the server.
    use super::*;
    use tokio::io::AsyncBufReadExt;

    /// Reads one newline-free JSON message the client wrote.
    async fn read_msg(peer: &mut tokio::io::BufReader<UnixStream>, framer: &mut Framer) -> Value {
        loop {
            if let Some(v) = framer.next_message().unwrap() {
                return v;
            }
            let buf = peer.fill_buf().await.unwrap();
            assert!(!buf.is_empty(), "client closed the connection");
            let n = buf.len();
            framer.extend(buf);
            peer.consume(n);
        }
    }

    #[tokio::test]
    async fn answers_server_echo_and_matches_split_replies() {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let client = Client::new(ours);
        let mut peer = tokio::io::BufReader::new(theirs);
        let mut framer = Framer::default();

        // The server probes us; the reply echoes the params with the same id.
        peer.get_mut()
            .write_all(br#"{"method":"echo","params":["p"],"id":"echo"}"#)
            .await
            .unwrap();
        let reply = read_msg(&mut peer, &mut framer).await;
        assert_eq!(reply, json!({"id": "echo", "result": ["p"], "error": null}));

        // Two requests in flight, answered out of order and in pieces.
        let (a, b) = (client.clone(), client.clone());
        let first = tokio::spawn(async move { a.call("m", json!([1])).await });
        let r1 = read_msg(&mut peer, &mut framer).await;
        let second = tokio::spawn(async move { b.call("m", json!([2])).await });
        let r2 = read_msg(&mut peer, &mut framer).await;
        let answer = format!(
            r#"{{"id":{},"result":"two","error":null}}{{"id":{},"result":null,"error":{{"error":"bad","details":"why"}}}}"#,
            r2["id"], r1["id"]
        );
        for chunk in answer.as_bytes().chunks(7) {
            peer.get_mut().write_all(chunk).await.unwrap();
        }
        assert_eq!(second.await.unwrap().unwrap(), json!("two"));
        let err = first.await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "OVSDB m failed: bad: why");

        // A request the server never answers fails once the connection closes.
        let c = client.clone();
        let pending = tokio::spawn(async move { c.call("m", json!([])).await });
        read_msg(&mut peer, &mut framer).await;
        drop(peer);
        assert!(matches!(pending.await.unwrap(), Err(Error::Disconnected)));
        assert!(matches!(
            client.echo(json!([])).await,
            Err(Error::Disconnected)
        ));
    }
}
