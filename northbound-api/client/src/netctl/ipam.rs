//! `netctl ipam import|export`: addresses managed elsewhere, brought into netmaster and taken
//! out of it (see [`crate::ipam_file`]).

use super::files::{existing, read};
use super::CliResult;
use crate::batch::Batch;
use crate::client::Client;
use crate::ipam_file::{self, Format};
use clap::{Args, Subcommand};

/// What to do with addresses.
#[derive(Subcommand)]
pub(super) enum IpamVerb {
    /// Imports addresses (CSV with the header `tenant,network,address,mac,owner,host`, or a
    /// JSON array of rows): every row becomes its owner's endpoint. All or nothing: a file
    /// with a row at fault changes nothing, and every such row is named.
    Import(ImportArgs),
    /// Writes netmaster's addresses in the format `import` reads.
    Export(ExportArgs),
}

/// `ipam import`.
#[derive(Args)]
pub(super) struct ImportArgs {
    /// The file (`-`: standard input).
    file: String,
    /// Import the valid rows and list the others, instead of refusing the file.
    #[arg(long)]
    skip_invalid: bool,
}

/// `ipam export`.
#[derive(Args)]
pub(super) struct ExportArgs {
    /// Write JSON instead of CSV.
    #[arg(short, long)]
    json: bool,
    /// Only this tenant's addresses.
    #[arg(short, long)]
    tenant: Option<String>,
}

/// Runs an `ipam` command.
pub(super) fn ipam_command(client: &Client, verb: IpamVerb) -> CliResult<()> {
    match verb {
        IpamVerb::Import(args) => import(client, &args),
        IpamVerb::Export(args) => {
            let mut endpoints = client.endpoints()?;
            endpoints.retain(|e| args.tenant.as_ref().is_none_or(|t| *t == e.tenant_name));
            let format = if args.json { Format::Json } else { Format::Csv };
            print!(
                "{}",
                ipam_file::write(&ipam_file::export(&endpoints), format)
            );
            Ok(())
        }
    }
}

fn import(client: &Client, args: &ImportArgs) -> CliResult<()> {
    let path = &args.file;
    let rows = ipam_file::parse(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
    let plan = ipam_file::plan(&rows, &existing(client)?);
    let refused: Vec<String> = plan.refused.iter().map(|r| format!("  {r}")).collect();
    if !refused.is_empty() && !args.skip_invalid {
        return Err(format!(
            "{path}: nothing imported: {} of {} rows cannot be:\n{}",
            refused.len(),
            rows.len(),
            refused.join("\n")
        )
        .into());
    }
    let imported = rows.len() - refused.len();
    if imported > 0 {
        client.apply(&Batch {
            upserts: plan.upserts,
            ..Batch::default()
        })?;
    }
    println!("imported {imported} rows");
    if !refused.is_empty() {
        println!("skipped {}:\n{}", refused.len(), refused.join("\n"));
    }
    Ok(())
}
