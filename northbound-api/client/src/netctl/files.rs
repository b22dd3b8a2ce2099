//! The original's intent files: `-cfg` (the desired state), `-add-cfg` and `-del-cfg` (a
//! file, possibly a delta, added to or deleted from what netmaster has), `-host-bindings-cfg`.

use super::CliResult;
use crate::batch::Batch;
use crate::client::Client;
use crate::intent_file::{self, Existing, IntentFile};
use crate::model::{Host, Kind, Object};
use std::collections::BTreeSet;
use std::io::Read;

/// Reads a file, or standard input for `-`.
pub(super) fn read(path: &str) -> CliResult<String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}").into())
    }
}

fn read_intent(path: &str) -> CliResult<IntentFile> {
    Ok(intent_file::parse(&read(path)?).map_err(|e| format!("{path}: {e}"))?)
}

/// Everything netmaster has.
pub(super) fn existing(client: &Client) -> CliResult<Existing> {
    let mut objects = Vec::new();
    for kind in Kind::ALL {
        objects.extend(client.list(kind)?);
    }
    Ok(Existing::new(objects))
}

fn report(client: &Client, batch: &Batch, what: &str) -> CliResult<()> {
    let stored = client.apply(batch)?;
    println!("{what}: {} objects", stored.len());
    Ok(())
}

/// `-cfg FILE`: the file is the desired state; every other object is deleted.
pub(super) fn desired_state(client: &Client, path: &str) -> CliResult<()> {
    let batch = read_intent(path)?.to_batch(true, &Existing::default())?;
    report(client, &batch, "desired state applied")
}

/// `-add-cfg FILE`: the file's objects are created or replaced.
pub(super) fn add(client: &Client, path: &str) -> CliResult<()> {
    let file = read_intent(path)?;
    let batch = file.to_batch(false, &existing(client)?)?;
    report(client, &batch, "added")
}

/// `-del-cfg FILE`: the file's endpoints are deleted, with what nothing else uses then.
pub(super) fn delete(client: &Client, path: &str) -> CliResult<()> {
    let file = read_intent(path)?;
    let batch = file.to_delete_batch(&existing(client)?)?;
    client.apply(&batch)?;
    println!("{} objects deleted", batch.deletes.len());
    Ok(())
}

/// `-host-bindings-cfg FILE`: containers bound to hosts (created when netmaster has none of
/// that name, as the original did).
pub(super) fn bind_hosts(client: &Client, path: &str) -> CliResult<()> {
    let bindings =
        intent_file::parse_host_bindings(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
    let bound = intent_file::bind_hosts(&bindings, &client.endpoints()?)?;
    let hosts: BTreeSet<String> = client.list(Kind::Host)?.iter().map(Object::key).collect();
    let new_hosts: BTreeSet<String> = bound
        .iter()
        .filter_map(|e| e.host.clone())
        .filter(|h| !hosts.contains(h))
        .collect();
    let count = bound.len();
    let created: Vec<String> = new_hosts.iter().cloned().collect();
    let batch = Batch {
        upserts: new_hosts
            .into_iter()
            .map(|name| {
                Object::Host(Host {
                    name,
                    vtep_ip: None,
                    uplinks: Vec::new(),
                    dpid: None,
                })
            })
            .chain(bound.into_iter().map(Object::Endpoint))
            .collect(),
        ..Batch::default()
    };
    client.apply(&batch)?;
    println!("endpoints bound: {count} objects");
    if !created.is_empty() {
        println!("hosts created: {}", created.join(", "));
    }
    Ok(())
}
