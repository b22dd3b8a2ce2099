//! `netctl <object> ls`: Contiv netctl's listing — one tenant's objects (`-t`, default
//! `default`) or every tenant's (`-a`), as an aligned table, as JSON (`-j`, the objects as the
//! API returns them) or as names only (`-q`, one per line).

use super::table::table;
use super::CliResult;
use crate::client::Client;
use crate::model::{Kind, Object, DEFAULT_TENANT};
use crate::wire;
use clap::Args;

/// How `ls` lists.
#[derive(Args)]
pub(super) struct ListArgs {
    /// The tenant whose objects are listed.
    #[arg(short, long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// Every tenant's objects.
    #[arg(short, long)]
    all: bool,
    /// The objects as JSON.
    #[arg(short, long)]
    json: bool,
    /// Only their names, one per line.
    #[arg(short, long)]
    quiet: bool,
}

/// The name `-q` prints: the object's own name, without its tenant.
fn name(object: &Object) -> &str {
    match object {
        Object::Global(g) => &g.name,
        Object::Tenant(t) => &t.tenant_name,
        Object::Network(n) => &n.network_name,
        Object::EndpointGroup(g) => &g.group_name,
        Object::Endpoint(e) => &e.container_name,
        Object::Host(h) => &h.name,
        Object::Policy(p) => &p.policy_name,
        Object::Rule(r) => &r.rule_id,
        Object::NetProfile(p) => &p.profile_name,
    }
}

/// Lists the objects of `kind` that `args` select and `keep` keeps.
pub(super) fn list(
    client: &Client,
    kind: Kind,
    args: &ListArgs,
    keep: impl Fn(&Object) -> bool,
) -> CliResult<()> {
    let objects: Vec<Object> = client
        .list(kind)?
        .into_iter()
        .filter(|o| {
            // Tenants themselves are always all listed, as by Contiv's netctl.
            args.all
                || kind == Kind::Tenant
                || kind
                    .tenant_in_key(&o.key())
                    .is_none_or(|t| t == args.tenant)
        })
        .filter(|o| keep(o))
        .collect();
    if args.json {
        let values: Vec<_> = objects.iter().map(wire::to_value).collect();
        println!("{}", serde_json::to_string_pretty(&values)?);
    } else if args.quiet {
        for object in &objects {
            println!("{}", crate::text::printable(name(object)));
        }
    } else {
        print!("{}", table(kind, &objects));
    }
    Ok(())
}
