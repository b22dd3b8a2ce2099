//! Replicas of netmaster on etcd: one leader compiles, writes the store and programs the
//! switches as their OpenFlow MASTER; the others follow.
//!
//! - **Election.** Every replica campaigns on an etcd election (`<prefix>/election`) with a
//!   lease of its own, renewed every quarter of its TTL. The winner fences every store commit
//!   with its leader key ([`Fence`]), writes `<prefix>/generation` (its API URL) and takes the
//!   revision of that write as its OpenFlow generation id: strictly larger than any earlier
//!   leader's, so a deposed leader's late role requests are refused by the switches (stale
//!   generation id), as its late commits are by etcd (the fence).
//! - **Losing the lease** (a pause, a partition, etcd out of reach longer than the TTL) ends
//!   the leadership at once: the fence is cleared (no commit passes) and the claim on every
//!   switch becomes SLAVE; the replica campaigns again with a new lease.
//! - **Followers** claim SLAVE with the current leader's generation id, read every change of
//!   the store through a watch (their copy serves the API's reads) and never write.
//! - **A new leader** reads the whole store before it claims MASTER, so its first reconcile
//!   compares the switches with the state the last leader gave them: nothing is sent when they
//!   are in sync.

use crate::intent::service::IntentDb;
use crate::multicast::snooping::Snooping;
use crate::observed::reports::AgentReports;
use crate::session::Claim;
use crate::store::{EtcdStore, Fence, StoreError};
use etcd_client::{Client, Compare, CompareOp, EventType, TxnOp, WatchOptions};
use ofproto::msg::Role;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::task::AbortOnDropHandle;
use tracing::{error, info, warn};

/// Who leads the replicas, as this replica knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Leadership {
    /// The leader's API URL, when there is one.
    pub leader: Option<String>,
    /// Whether this replica is the leader.
    pub is_me: bool,
    /// The leader's generation id (0 before the first leader).
    pub generation: u64,
}

impl Leadership {
    /// Another replica leads: the one whose API URL `url` is in the generation key, written at
    /// `revision`.
    fn following(url: &[u8], revision: i64) -> Leadership {
        Leadership {
            leader: Some(String::from_utf8_lossy(url).into_owned()),
            is_me: false,
            generation: revision as u64,
        }
    }
}

/// This replica's settings.
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    /// This replica's API URL, which followers name as the leader's.
    pub api_url: String,
    /// The lease's time to live: how long a leader that stopped renewing it keeps leading.
    pub lease_ttl: Duration,
}

/// What a replica keeps in step with the store.
pub struct Replicated {
    /// The intent.
    pub intent: Arc<IntentDb>,
    /// The agents' reports.
    pub reports: Arc<AgentReports>,
    /// The multicast memberships.
    pub snooping: Arc<Snooping>,
}

impl Replicated {
    /// Reads everything again from the store.
    fn reload(&self) -> Result<(), StoreError> {
        self.intent.reload()?;
        self.reports.reload()?;
        self.snooping.reload()
    }
}

/// Who leads now, as the store says (before the replica starts: the role its switch sessions
/// first claim).
pub fn current(store: &EtcdStore) -> Result<Leadership, StoreError> {
    let keys = Keys::new(store.prefix());
    Ok(match store.get(&keys.generation)? {
        Some((url, revision)) => Leadership::following(&url, revision),
        None => Leadership::default(),
    })
}

/// The claim of a follower of `leadership`'s leader.
pub fn follower_claim(leadership: &Leadership) -> Claim {
    Claim {
        role: Role::Slave,
        generation_id: leadership.generation,
    }
}

/// Runs the replica: the campaign, the leader's duties and the followers' watch, until the
/// process ends. `claim` is the role every switch session asks for; `leadership` is what the
/// API answers about the leader.
pub fn start(
    store: Arc<EtcdStore>,
    cfg: ReplicaConfig,
    replicated: Arc<Replicated>,
    claim: watch::Sender<Claim>,
    leadership: watch::Sender<Leadership>,
) {
    let runtime = store.runtime().clone();
    let keys = Keys::new(store.prefix());
    runtime.spawn(follow_generation(
        store.waiting_client(),
        keys.clone(),
        claim.clone(),
        leadership.clone(),
    ));
    runtime.spawn(follow_store(
        store.clone(),
        replicated.clone(),
        leadership.subscribe(),
    ));
    runtime.spawn(campaign_forever(
        store, keys, cfg, replicated, claim, leadership,
    ));
}

/// The keys of the replicas' coordination.
#[derive(Debug, Clone)]
struct Keys {
    election: String,
    generation: String,
}

impl Keys {
    fn new(prefix: &str) -> Keys {
        Keys {
            election: format!("{prefix}/election"),
            generation: format!("{prefix}/generation"),
        }
    }
}

/// Campaigns, leads until the lease is lost, and campaigns again.
async fn campaign_forever(
    store: Arc<EtcdStore>,
    keys: Keys,
    cfg: ReplicaConfig,
    replicated: Arc<Replicated>,
    claim: watch::Sender<Claim>,
    leadership: watch::Sender<Leadership>,
) {
    // The member the campaign goes through: the next one after a failed campaign, so a
    // member that is down costs one failed attempt, not one in every few (a client balanced
    // over all members kept picking a dead one: 8 s failovers with one member down).
    let mut member = 0;
    loop {
        let campaign = campaign_once(
            &store,
            member,
            &keys,
            &cfg,
            &replicated,
            &claim,
            &leadership,
        );
        if let Err(e) = campaign.await {
            warn!(error = %e, member, "election: campaigning again, through the next member");
            member += 1;
        }
        step_down(&store, &claim, &leadership);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Why one campaign ended.
#[derive(Debug, thiserror::Error)]
enum CampaignEnd {
    #[error("etcd: {0}")]
    Etcd(#[from] etcd_client::Error),
    #[error("the lease was lost")]
    LeaseLost,
    #[error("the generation key could not be written: leadership lost meanwhile")]
    Fenced,
    #[error("the store could not be read: {0}")]
    Store(#[from] StoreError),
    #[error("the store's reload task ended: {0}")]
    Reload(#[from] tokio::task::JoinError),
}

async fn campaign_once(
    store: &Arc<EtcdStore>,
    member: usize,
    keys: &Keys,
    cfg: &ReplicaConfig,
    replicated: &Arc<Replicated>,
    claim: &watch::Sender<Claim>,
    leadership: &watch::Sender<Leadership>,
) -> Result<(), CampaignEnd> {
    let mut client = store.bounded_member_client(member).await?;
    let ttl = cfg.lease_ttl.as_secs().max(1) as i64;
    let lease = client.lease_grant(ttl, None).await?.id();
    let (lost_tx, mut lost) = watch::channel(false);
    let _keeper = AbortOnDropHandle::new(tokio::spawn(keep_lease(
        store.clone(),
        member,
        lease,
        cfg.lease_ttl,
        lost_tx,
    )));
    let mut waiting = store.member_client(member).await?;
    let won = tokio::select! {
        won = waiting.campaign(keys.election.as_str(), cfg.api_url.as_str(), lease) => won?,
        _ = lost.wait_for(|l| *l) => return Err(CampaignEnd::LeaseLost),
    };
    let key = won.leader().ok_or(CampaignEnd::Fenced)?.clone();
    let fence = Fence {
        key: key.key().to_vec(),
        revision: key.rev(),
    };
    // The generation id: the revision of a write only the leader can make.
    let txn = etcd_client::Txn::new()
        .when([Compare::create_revision(
            fence.key.clone(),
            CompareOp::Equal,
            fence.revision,
        )])
        .and_then([TxnOp::put(
            keys.generation.as_str(),
            cfg.api_url.as_str(),
            None,
        )]);
    let resp = client.txn(txn).await?;
    if !resp.succeeded() {
        return Err(CampaignEnd::Fenced);
    }
    let generation = resp.header().map(|h| h.revision()).unwrap_or(0) as u64;
    // Everything the last leader wrote, before the first compile as leader.
    let r = replicated.clone();
    tokio::task::spawn_blocking(move || r.reload()).await??;
    store.set_fence(Some(fence));
    let intent = replicated.intent.clone();
    match tokio::task::spawn_blocking(move || intent.ensure_default_tenant()).await {
        Ok(Ok(true)) => info!("tenant `default` created"),
        Ok(Ok(false)) => {}
        Ok(Err(e)) => warn!(error = %e, "tenant `default` not created"),
        Err(e) => warn!(error = %e, "tenant `default` not created"),
    }
    info!(
        generation,
        lease, "elected leader: claiming MASTER on every switch"
    );
    // The claim first: `seen_generation` knows this replica's own generation by it.
    claim.send_replace(Claim {
        role: Role::Master,
        generation_id: generation,
    });
    leadership.send_replace(Leadership {
        leader: Some(cfg.api_url.clone()),
        is_me: true,
        generation,
    });
    lost.wait_for(|l| *l).await.ok();
    let _ = client.lease_revoke(lease).await;
    Err(CampaignEnd::LeaseLost)
}

/// Ends this replica's leadership at once: no commit passes, every switch is asked for SLAVE.
fn step_down(
    store: &EtcdStore,
    claim: &watch::Sender<Claim>,
    leadership: &watch::Sender<Leadership>,
) {
    store.set_fence(None);
    let was_leader = leadership.borrow().is_me;
    leadership.send_if_modified(|l| {
        let changed = l.is_me;
        if l.is_me {
            // Until the next leader's generation is seen, nobody is known to lead.
            l.is_me = false;
            l.leader = None;
        }
        changed
    });
    let new = follower_claim(&leadership.borrow());
    claim.send_if_modified(|c| {
        let changed = *c != new;
        *c = new;
        changed
    });
    if was_leader {
        error!("leadership lost: stopped writing the store and the switches");
    }
}

/// Renews the lease every quarter of its TTL through one member (first `member`), moving to
/// the next member at once when that one fails; sets `lost` once etcd says the lease is gone or no renewal
/// succeeded for a whole TTL (measured on this replica's clock, so a paused process notices
/// on waking, before anything else it does).
async fn keep_lease(
    store: Arc<EtcdStore>,
    mut member: usize,
    lease: i64,
    ttl: Duration,
    lost: watch::Sender<bool>,
) {
    let mut last_ok = Instant::now();
    while last_ok.elapsed() < ttl {
        let renewed = match store.member_client(member).await {
            Ok(client) => renew(client, lease, ttl, &mut last_ok).await,
            Err(e) => Err(e),
        };
        match renewed {
            Ok(()) => break,
            Err(e) => {
                warn!(error = %e, lease, member, "lease renewal broke: renewing through the next member")
            }
        }
        member += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = lost.send(true);
}

/// Renews the lease over one stream until etcd says it is gone (`Ok`), the stream breaks
/// (`Err`) or no renewal succeeded for a TTL (`Ok`).
async fn renew(
    mut client: Client,
    lease: i64,
    ttl: Duration,
    last_ok: &mut Instant,
) -> Result<(), etcd_client::Error> {
    let (mut keeper, mut responses) = client.lease_keep_alive(lease).await?;
    loop {
        if last_ok.elapsed() >= ttl {
            return Ok(());
        }
        keeper.keep_alive().await?;
        match tokio::time::timeout(ttl / 4, responses.message()).await {
            Ok(Ok(Some(r))) if r.ttl() > 0 => *last_ok = Instant::now(),
            Ok(Ok(Some(_))) => return Ok(()),
            Ok(Ok(None)) => {
                return Err(etcd_client::Error::LeaseKeepAliveError(
                    "the renewal stream ended".into(),
                ))
            }
            Ok(Err(e)) => return Err(e),
            // No answer in time: the member is not answering; the next one is tried.
            Err(_) => {
                return Err(etcd_client::Error::LeaseKeepAliveError(
                    "no answer to a renewal".into(),
                ))
            }
        }
        tokio::time::sleep(ttl / 4).await;
    }
}

/// Follows the generation key: who leads and with which generation id. A follower claims
/// SLAVE with it, as does a leader that sees another's generation (its lease is gone: etcd
/// refuses its commits already).
async fn follow_generation(
    client: Client,
    keys: Keys,
    claim: watch::Sender<Claim>,
    leadership: watch::Sender<Leadership>,
) {
    loop {
        if let Err(e) = watch_generation(client.clone(), &keys, &claim, &leadership).await {
            warn!(error = %e, "watching the leader's generation: again");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn watch_generation(
    mut client: Client,
    keys: &Keys,
    claim: &watch::Sender<Claim>,
    leadership: &watch::Sender<Leadership>,
) -> Result<(), etcd_client::Error> {
    let current = client.get(keys.generation.as_str(), None).await?;
    let mut from = current.header().map(|h| h.revision()).unwrap_or(0) + 1;
    if let Some(kv) = current.kvs().first() {
        seen_generation(kv, claim, leadership);
    }
    loop {
        let mut stream = client
            .watch(
                keys.generation.as_str(),
                Some(WatchOptions::new().with_start_revision(from)),
            )
            .await?;
        while let Some(resp) = stream.message().await? {
            for ev in resp.events() {
                if let (EventType::Put, Some(kv)) = (ev.event_type(), ev.kv()) {
                    from = kv.mod_revision() + 1;
                    seen_generation(kv, claim, leadership);
                }
            }
        }
    }
}

fn seen_generation(
    kv: &etcd_client::KeyValue,
    claim: &watch::Sender<Claim>,
    leadership: &watch::Sender<Leadership>,
) {
    let seen = Leadership::following(kv.value(), kv.mod_revision());
    let mine = *claim.borrow()
        == Claim {
            role: Role::Master,
            generation_id: seen.generation,
        };
    if mine {
        return;
    }
    info!(leader = ?seen.leader, generation = seen.generation, "leader");
    claim.send_replace(follower_claim(&seen));
    leadership.send_replace(seen);
}

/// A follower reads every change of the store into its copy (its API's reads, its compile).
async fn follow_store(
    store: Arc<EtcdStore>,
    replicated: Arc<Replicated>,
    leadership: watch::Receiver<Leadership>,
) {
    let mut changes = store.watch_changes();
    while changes.changed().await.is_ok() {
        // Changes that come close together are read once.
        tokio::time::sleep(Duration::from_millis(20)).await;
        changes.borrow_and_update();
        if leadership.borrow().is_me {
            continue;
        }
        let r = replicated.clone();
        match tokio::task::spawn_blocking(move || r.reload()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(error = %e, "follower: store not read"),
            Err(e) => warn!(error = %e, "follower: store not read"),
        }
    }
}
