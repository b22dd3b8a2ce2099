//! The original's intent files: `-cfg`, `-add-cfg`, `-del-cfg`, `-host-bindings-cfg`.

use super::CliResult;
use crate::batch::Batch;
use crate::client::Client;
use crate::intent_file::{self, IntentFile};
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

pub(super) fn read_intent(path: &str) -> CliResult<IntentFile> {
    Ok(intent_file::parse(&read(path)?).map_err(|e| format!("{path}: {e}"))?)
}

pub(super) fn report(client: &Client, batch: &Batch, what: &str) -> CliResult<()> {
    let stored = client.apply(batch)?;
    println!("{what}: {} objects", stored.len());
    Ok(())
}
