//! `netmaster`: the netplugin OpenFlow 1.3 controller.

use anyhow::{bail, Context};
use clap::{CommandFactory, Parser, ValueEnum};
use netmaster::app::{Controller, SwitchView};
use netmaster::compiled::publisher::{self, Publisher, Sources};
use netmaster::dns::DnsResponder;
use netmaster::explain::live::LiveTraces;
use netmaster::gateway_echo::GatewayEcho;
use netmaster::intent::service::IntentDb;
use netmaster::metrics::TimedStore;
use netmaster::multicast::querier;
use netmaster::multicast::snooping::Snooping;
use netmaster::observed::agent_api::{self, AgentApi};
use netmaster::observed::reports::AgentReports;
use netmaster::observed::switch_owner;
use netmaster::oper::Oper;
use netmaster::pipeline::base_pipeline;
use netmaster::reconcile::ReconcileConfig;
use netmaster::replica::{self, Leadership, ReplicaConfig, Replicated};
use netmaster::session::{Claim, SessionConfig};
use netmaster::static_flows;
use netmaster::store::{EtcdConfig, EtcdStore, MemStore, RedbStore, Store, StoreLocation};
use netmaster::transport::tls::{self, TlsFiles};
use netmaster::transport::{ListenAddr, Listener};
use northbound_api::auth::{Access, TokenTable};
use northbound_api::rest::Services;
use northbound_api::serve::Limits;
use northbound_model::go_flags;
use ofproto::msg::Role;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RoleArg {
    Equal,
    Master,
    Slave,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// The netplugin OpenFlow 1.3 controller.
#[derive(Parser, Debug)]
#[command(name = "netmaster", version)]
struct Args {
    /// OpenFlow TCP listen address (repeatable).
    #[arg(long = "of-listen", value_name = "ADDR:PORT")]
    of_listen: Vec<SocketAddr>,
    /// OpenFlow unix-socket listener (Open vSwitch: `set-controller BR unix:PATH`).
    #[arg(long = "of-unix", value_name = "PATH")]
    of_unix: Vec<PathBuf>,
    /// Do not listen on TCP unless `--of-listen` is given.
    #[arg(long)]
    no_tcp: bool,
    /// OpenFlow over mutual TLS listen address (repeatable; with --of-tls-cert, --of-tls-key
    /// and --of-tls-ca). With it, plain TCP is only served where --of-listen says.
    #[arg(long = "of-tls-listen", value_name = "ADDR:PORT", requires_all = ["of_tls_cert", "of_tls_key", "of_tls_ca"])]
    of_tls_listen: Vec<SocketAddr>,
    /// netmaster's certificate (PEM) for OpenFlow over TLS.
    #[arg(long, value_name = "FILE")]
    of_tls_cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, value_name = "FILE")]
    of_tls_key: Option<PathBuf>,
    /// The CA certificate (PEM) that signs the switches' certificates (ovs-pki: switchca/cacert.pem).
    #[arg(long, value_name = "FILE")]
    of_tls_ca: Option<PathBuf>,
    /// OpenFlow controller role requested from every switch.
    #[arg(long = "of-role", value_enum, default_value = "equal")]
    role: RoleArg,
    /// Generation id for master/slave role requests (default: milliseconds since the epoch at
    /// start-up, so a restarted controller always claims with a newer generation).
    #[arg(long)]
    generation_id: Option<u64>,
    /// Static flows, groups and meters in ovs-ofctl syntax pushed to every switch.
    #[arg(long, value_name = "FILE")]
    flows: Option<PathBuf>,
    /// Milliseconds between audits of every switch.
    #[arg(long, default_value_t = 1000)]
    audit_interval_ms: u64,
    /// Seconds of silence after which an echo request is sent.
    #[arg(long, default_value_t = 5)]
    echo_interval_s: u64,
    /// Seconds of silence after which a switch is declared dead.
    #[arg(long, default_value_t = 15)]
    dead_after_s: u64,
    /// Never use ONF bundles (send flow-mods fenced by barriers).
    #[arg(long)]
    no_bundles: bool,
    /// The store of intent, agent reports and multicast memberships: a redb file (created if
    /// absent), or `etcd://HOST:PORT[,HOST:PORT...]` for replicas of netmaster (one leads,
    /// the others follow; see docs/replicas.md). Without it, they live in memory and are lost
    /// on restart.
    #[arg(long, value_name = "PATH|etcd://MEMBERS")]
    store: Option<StoreLocation>,
    /// The key prefix of everything netmaster keeps in etcd.
    #[arg(long, default_value = "/netplugin")]
    etcd_prefix: String,
    /// The CA certificate (PEM) of etcd's client URLs: etcd over TLS.
    #[arg(long, value_name = "FILE")]
    etcd_ca: Option<PathBuf>,
    /// netmaster's client certificate (PEM) for etcd (with --etcd-key).
    #[arg(long, value_name = "FILE", requires_all = ["etcd_key", "etcd_ca"])]
    etcd_cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, value_name = "FILE", requires = "etcd_cert")]
    etcd_key: Option<PathBuf>,
    /// Seconds etcd waits for an answer to one store call.
    #[arg(long, default_value_t = 5.0)]
    etcd_timeout_s: f64,
    /// Seconds the leader's lease lives without renewal: how soon a dead leader's place is
    /// taken.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=60))]
    lease_ttl_s: u64,
    /// This replica's API URL as clients and agents reach it, which followers give as the
    /// leader's (default: `http://` or `https://` and --api-listen).
    #[arg(long, value_name = "URL")]
    advertise_api: Option<String>,
    /// Address of the REST API (`/api/v1`).
    #[arg(long, default_value = "127.0.0.1:9999")]
    api_listen: SocketAddr,
    /// The API's bearer tokens and their roles (JSON, see docs/security.md); read again on
    /// SIGHUP. Without it every caller is an admin, and the API serves only loopback.
    #[arg(long, value_name = "FILE")]
    api_tokens: Option<PathBuf>,
    /// Unknown tokens one client address may present within a minute; past it, the address
    /// is answered 429 until the minute ends (its tokens are not compared any more).
    #[arg(long, default_value_t = northbound_api::auth::attempts::MAX_FAILURES, value_parser = clap::value_parser!(u32).range(1..))]
    api_auth_failures_per_min: u32,
    /// Serve the API without tokens on an address other than loopback.
    #[arg(long)]
    insecure_api: bool,
    /// Seconds an API client has to send a request head (also how long an idle connection
    /// stays open).
    #[arg(long, default_value_t = 10.0)]
    api_header_timeout_s: f64,
    /// API connections served at once; more are answered 503 and closed.
    #[arg(long, default_value_t = 1024)]
    api_max_connections: usize,
    /// Serve the API over TLS with this certificate chain (PEM; with --api-tls-key).
    #[arg(long, value_name = "FILE", requires = "api_tls_key")]
    api_tls_cert: Option<PathBuf>,
    /// The API certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "api_tls_cert")]
    api_tls_key: Option<PathBuf>,
    /// Seconds after which a host whose agent stopped reporting and whose switch is not
    /// connected is forgotten (its flows compiled away, its peers' tunnels to it removed);
    /// 0 keeps hosts forever.
    #[arg(long, default_value_t = 20.0)]
    host_timeout_s: f64,
    /// Log format.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

/// How the API authenticates: by the token file, or openly on loopback only (anywhere with
/// `--insecure-api`).
fn api_access(args: &Args) -> anyhow::Result<Access> {
    match &args.api_tokens {
        Some(path) => {
            let table = TokenTable::load(path).with_context(|| "--api-tokens")?;
            info!(file = %path.display(), tokens = table.len(), "API tokens loaded");
            Ok(Access::tokens(table, args.api_auth_failures_per_min))
        }
        None if args.api_listen.ip().is_loopback() => {
            warn!("REST API without authentication (no --api-tokens): every local caller is an admin; serving loopback only");
            Ok(Access::Open)
        }
        None if args.insecure_api => {
            warn!(addr = %args.api_listen, "REST API without authentication on a non-loopback address (--insecure-api): anyone who reaches it is an admin");
            Ok(Access::Open)
        }
        None => bail!(
            "--api-listen {} is not a loopback address: give --api-tokens FILE (or --insecure-api to serve it without authentication)",
            args.api_listen
        ),
    }
}

/// Reads the token file again on every SIGHUP; a bad file is logged and the tokens stay.
async fn reload_tokens_on_sighup(path: PathBuf, access: Access) {
    let mut hup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            error!(error = %e, "cannot watch SIGHUP: the token file is read only at start");
            return;
        }
    };
    while hup.recv().await.is_some() {
        match TokenTable::load(&path) {
            Ok(table) => {
                info!(file = %path.display(), tokens = table.len(), "API tokens reloaded");
                access.replace(table);
            }
            Err(e) => {
                error!(file = %path.display(), error = %e, "API tokens not reloaded: keeping the previous ones")
            }
        }
    }
}

fn listen_addrs(args: &Args) -> Vec<ListenAddr> {
    let mut v: Vec<ListenAddr> = args.of_listen.iter().map(|a| ListenAddr::Tcp(*a)).collect();
    if v.is_empty() && !args.no_tcp && args.of_tls_listen.is_empty() {
        v.push(ListenAddr::Tcp(SocketAddr::from(([0, 0, 0, 0], 6653))));
    }
    v.extend(args.of_unix.iter().cloned().map(ListenAddr::Unix));
    v
}

async fn run(args: Args) -> anyhow::Result<()> {
    // Who may use the API is settled before anything listens.
    let access = api_access(&args)?;
    let mut fixed = base_pipeline();
    if let Some(path) = &args.flows {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
        let extra = static_flows::parse(&text).with_context(|| format!("{}", path.display()))?;
        info!(file = %path.display(), flows = extra.flows.len(), groups = extra.groups.len(), meters = extra.meters.len(), "static flows loaded");
        fixed.flows.extend(extra.flows);
        fixed.groups.extend(extra.groups);
        fixed.meters.extend(extra.meters);
    }
    let generation_id = args.generation_id.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    });
    let api_url = args.advertise_api.clone().unwrap_or_else(|| {
        let scheme = match args.api_tls_cert {
            Some(_) => "https",
            None => "http",
        };
        format!("{scheme}://{}", args.api_listen)
    });
    // One store for everything that survives a restart: intent, the agents' reports (so that
    // after a restart every switch is compared with its full desired state, never with one
    // that lacks its ports) and the multicast memberships (the switches keep their groups).
    let (store, etcd) = open_store(&args)?;
    let store: Arc<dyn Store> = Arc::new(TimedStore(store));
    // A replica follows until it wins the election; a single netmaster leads.
    let (claim, leadership) = match &etcd {
        Some(etcd) => {
            let now = replica::current(etcd)?;
            info!(leader = ?now.leader, generation = now.generation, "replica of netmaster on etcd: following until elected");
            (
                watch::channel(replica::follower_claim(&now)),
                watch::channel(now),
            )
        }
        None => {
            let fixed = Claim {
                role: match args.role {
                    RoleArg::Equal => Role::Equal,
                    RoleArg::Master => Role::Master,
                    RoleArg::Slave => Role::Slave,
                },
                generation_id,
            };
            let me = Leadership {
                leader: Some(api_url.clone()),
                is_me: true,
                generation: generation_id,
            };
            (watch::channel(fixed), watch::channel(me))
        }
    };
    let sessions = SessionConfig {
        claim: claim.1,
        echo_interval: Duration::from_secs(args.echo_interval_s.max(1)),
        dead_after: Duration::from_secs(args.dead_after_s.max(2)),
        ..SessionConfig::default()
    };
    let reconcile = ReconcileConfig {
        audit_interval: Duration::from_millis(args.audit_interval_ms.max(10)),
        use_bundles: !args.no_bundles,
        ..ReconcileConfig::default()
    };
    let addrs = listen_addrs(&args);
    if addrs.is_empty() && args.of_tls_listen.is_empty() {
        bail!("no listener: give --of-listen, --of-tls-listen or --of-unix");
    }
    let mut listeners = Vec::new();
    for a in &addrs {
        let l = Listener::bind(a)
            .await
            .with_context(|| format!("listen on {a}"))?;
        info!(addr = %l.local_addr().map(|a| a.to_string()).unwrap_or_default(), "listening for switches");
        listeners.push(l);
    }
    if let (Some(cert), Some(key), Some(ca)) =
        (&args.of_tls_cert, &args.of_tls_key, &args.of_tls_ca)
    {
        let files = TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            ca: ca.clone(),
        };
        let acceptor = tls::acceptor(&files).with_context(|| "OpenFlow TLS")?;
        for a in &args.of_tls_listen {
            let l = Listener::bind_tls(*a, acceptor.clone())
                .await
                .with_context(|| format!("listen on tls:{a}"))?;
            info!(addr = %l.local_addr().map(|a| a.to_string()).unwrap_or_default(), "listening for switches over mutual TLS");
            listeners.push(l);
        }
    }
    let db = Arc::new(IntentDb::open(store.clone())?);
    info!(version = db.version(), "intent loaded");
    // Replicas: the leader creates it.
    if etcd.is_none() && db.ensure_default_tenant()? {
        info!("tenant `default` created");
    }
    let reports = Arc::new(AgentReports::open(store.clone())?);
    let publisher = Arc::new(Publisher::default());
    let snooping = Arc::new(Snooping::open(store, publisher.subscribe())?);
    let live_traces = Arc::new(LiveTraces::default());
    let controller = Controller::new(sessions, reconcile, publisher.subscribe());
    let registry = Arc::downgrade(&controller);
    let agents = Arc::new(AgentApi::new(
        reports.clone(),
        db.clone(),
        publisher.subscribe(),
        publisher.directive_changes(),
        live_traces.clone(),
        Arc::new(move |dpid| match registry.upgrade()?.view(dpid) {
            SwitchView::Connected { sync, .. } => Some(sync),
            SwitchView::Gone(_) => None,
        }),
    ));
    let api = tokio::net::TcpListener::bind(args.api_listen)
        .await
        .with_context(|| format!("API listen on {}", args.api_listen))?;
    info!(addr = %args.api_listen, tls = args.api_tls_cert.is_some(), "REST API listening");
    controller.set_identity_check(switch_owner::identity_check(db.clone(), reports.clone()));
    let mut sources = Sources {
        intent: db.clone(),
        reports: reports.clone(),
        snooping: snooping.clone(),
        capabilities: controller.capabilities(),
        fixed: Arc::new(fixed),
        compiler: Default::default(),
    };
    // The first compile completes before any switch is served.
    publisher::compile_now(&mut sources, &publisher);
    let mut tasks = JoinSet::new();
    let oper = Arc::new(Oper {
        intent: db.clone(),
        reports: reports.clone(),
        snooping: snooping.clone(),
        controller: controller.clone(),
        compiled: publisher.subscribe(),
        live: live_traces,
        console: Arc::default(),
        api_addr: api.local_addr().unwrap_or(args.api_listen),
        leadership: leadership.1.clone(),
    });
    tasks.spawn(netmaster::console::feed::run((*oper).clone()));
    if let Some(etcd) = etcd {
        let replicated = Arc::new(Replicated {
            intent: db.clone(),
            reports: reports.clone(),
            snooping: snooping.clone(),
        });
        let cfg = ReplicaConfig {
            api_url,
            lease_ttl: Duration::from_secs(args.lease_ttl_s),
        };
        replica::start(etcd, cfg, replicated, claim.0, leadership.0);
    }
    let services = Services {
        intent: db,
        agents: agents.clone(),
        oper,
    };
    let router = northbound_api::rest::router(services, access.clone());
    let limits = Limits {
        header_read_timeout: Duration::from_secs_f64(args.api_header_timeout_s.max(0.1)),
        max_connections: args.api_max_connections.max(1),
    };
    let tls = match (&args.api_tls_cert, &args.api_tls_key) {
        (Some(cert), Some(key)) => {
            Some(northbound_api::tls::acceptor(cert, key).with_context(|| "API TLS")?)
        }
        _ => None,
    };
    tasks.spawn(northbound_api::serve::serve(api, router, limits, tls));
    let names = publisher.subscribe();
    tasks.spawn(publisher::run(sources, publisher));
    if let Some(path) = args.api_tokens.clone() {
        tasks.spawn(reload_tokens_on_sighup(path, access));
    }
    controller.add_app(snooping.clone());
    let registry = controller.clone();
    tasks.spawn(querier::run(snooping, move |dpid| registry.switch(dpid)));
    // (A weak reference: the controller holds its applications.)
    let registry = Arc::downgrade(&controller);
    controller.add_app(Arc::new(GatewayEcho::new(move |dpid| {
        registry.upgrade()?.switch(dpid)
    })));
    let registry = Arc::downgrade(&controller);
    controller.add_app(Arc::new(DnsResponder::new(names, move |dpid| {
        registry.upgrade()?.switch(dpid)
    })));
    if args.host_timeout_s > 0.0 {
        let registry = controller.clone();
        tasks.spawn(agent_api::expire_hosts(
            agents,
            Duration::from_secs_f64(args.host_timeout_s),
            move || registry.connected(),
        ));
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = controller.clone().serve(listeners) => {}
        _ = tokio::signal::ctrl_c() => info!("interrupted"),
        _ = term.recv() => info!("terminated"),
        _ = tasks.join_next() => error!("a netmaster task ended"),
    }
    controller.shutdown().await;
    tasks.shutdown().await;
    Ok(())
}

/// The store `--store` names, and the same as an etcd store when it is one (replicas).
type Opened = (Arc<dyn Store>, Option<Arc<EtcdStore>>);

fn open_store(args: &Args) -> anyhow::Result<Opened> {
    Ok(match &args.store {
        Some(StoreLocation::File(p)) => {
            let store = RedbStore::open(p).with_context(|| format!("{}", p.display()))?;
            info!(store = %p.display(), "store opened");
            (Arc::new(store), None)
        }
        Some(StoreLocation::Etcd(members)) => {
            let tls = etcd_tls(args)?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            let config = EtcdConfig {
                endpoints: members.iter().map(|m| format!("{scheme}://{m}")).collect(),
                prefix: args.etcd_prefix.clone(),
                timeout: Duration::from_secs_f64(args.etcd_timeout_s.max(0.1)),
                tls,
            };
            let store = Arc::new(EtcdStore::connect(config).with_context(|| "--store etcd")?);
            (store.clone(), Some(store))
        }
        None => {
            info!("no --store: intent, reports and memberships are kept in memory only");
            (Arc::new(MemStore::default()), None)
        }
    })
}

/// TLS to etcd, when --etcd-ca is given.
fn etcd_tls(args: &Args) -> anyhow::Result<Option<etcd_client::TlsOptions>> {
    let Some(ca) = &args.etcd_ca else {
        return Ok(None);
    };
    let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("{}", p.display()));
    let mut tls = etcd_client::TlsOptions::new()
        .ca_certificate(etcd_client::Certificate::from_pem(read(ca)?));
    if let (Some(cert), Some(key)) = (&args.etcd_cert, &args.etcd_key) {
        tls = tls.identity(etcd_client::Identity::from_pem(read(cert)?, read(key)?));
    }
    Ok(Some(tls))
}

fn main() -> ExitCode {
    let args = Args::parse_from(go_flags::long_options(&Args::command(), std::env::args()));
    init_logging(args.log_format);
    // Every switch, agent and API client is a connection: the soft open files limit (often
    // 1,024) is raised to the hard one.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => debug!(limit, "open files limit"),
        Err(e) => warn!(error = %e, "cannot raise the open files limit"),
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("netmaster: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(error = format!("{e:#}"), "netmaster failed");
            ExitCode::FAILURE
        }
    }
}
