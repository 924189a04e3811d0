//! `mhero registry sync [--registry NAME] [--full]`: sync health-worker
//! registries into the contacts now, with a progress bar on stderr and a
//! summary (created, updated, merged, unchanged, skipped with reasons) on
//! stdout. `mhero registry skipped` lists the records without a usable phone.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::dispatch::registry::{client_for, sync_registry, SyncProgress};
use crate::store::Store;

/// Width of the progress bar, in characters.
const BAR_WIDTH: usize = 40;
/// Skipped records listed in full; more are counted.
const SHOWN_SKIPPED: usize = 50;

#[derive(Debug, Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Sync contacts from the configured registries (all, or one).
    Sync {
        /// Only this registry (its `name` in `[[registries]]`).
        #[arg(long)]
        registry: Option<String>,
        /// Read the whole registry, not only what changed since the last sync.
        #[arg(long)]
        full: bool,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the registry records that could not become contacts, with why.
    Skipped {
        #[arg(long)]
        registry: String,
    },
}

/// Run a registry command; `false` when a sync was partial or failed.
pub async fn run(config_path: Option<&Path>, args: RegistryArgs) -> anyhow::Result<bool> {
    let config = crate::config::load(config_path)?;
    let store = Store::open(config.database.url.expose(), config.database.max_connections)
        .await
        .context("opening the database")?;
    let ok = match args.command {
        RegistryCommand::Sync { registry, full, json } => {
            let chosen: Vec<_> = config
                .registries
                .iter()
                .filter(|r| registry.as_ref().is_none_or(|n| &r.name == n))
                .collect();
            if chosen.is_empty() {
                bail!(
                    "no registry {} in the configuration ([[registries]])",
                    registry.as_deref().unwrap_or("at all")
                );
            }
            let mut ok = true;
            for reg in chosen {
                let client = client_for(reg)?;
                eprintln!("registry {}: {}", reg.name, reg.base_url);
                let report = sync_registry(&store, &config, reg, &client, full, &show_progress).await;
                eprintln!();
                let report = report?;
                ok &= report.complete && report.write_back_errors.is_empty();
                if json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                    continue;
                }
                println!("{}: {} ({} ms)", reg.name, report.summary(), report.elapsed_ms);
                for (what, n) in &report.groups {
                    println!("  groups {what}: {n}");
                }
                for s in report.skipped.iter().take(SHOWN_SKIPPED) {
                    println!("  skipped Practitioner/{}: {}", s.registry_id, s.reason);
                }
                if report.skipped.len() > SHOWN_SKIPPED {
                    println!(
                        "  ... and {} more (mhero registry skipped --registry {})",
                        report.skipped.len() - SHOWN_SKIPPED,
                        reg.name
                    );
                }
                for m in &report.malformed {
                    println!("  malformed: {m}");
                }
                for f in &report.failed {
                    println!("  failed: {f}");
                }
                for c in &report.phone_conflicts {
                    println!(
                        "  phone {} of Practitioner/{} belongs to another contact",
                        c.phone, c.practitioner_id
                    );
                }
                for e in &report.write_back_errors {
                    println!("  write-back: {e}");
                }
            }
            ok
        }
        RegistryCommand::Skipped { registry } => {
            for (id, reason) in store.registry_skipped(&registry).await? {
                println!("Practitioner/{id}\t{reason}");
            }
            true
        }
    };
    store.close().await;
    Ok(ok)
}

fn show_progress(p: SyncProgress) {
    let mut err = std::io::stderr();
    let _ = match p {
        SyncProgress::Fetching => write!(err, "\r  fetching practitioners, roles, locations..."),
        SyncProgress::Fetched { practitioners } => {
            write!(err, "\r  fetched {practitioners} practitioners{:20}\n", "")
        }
        SyncProgress::Upserted { done, total } => {
            let filled = (done * BAR_WIDTH).checked_div(total).unwrap_or(BAR_WIDTH);
            write!(
                err,
                "\r  contacts [{}{}] {done}/{total}",
                "#".repeat(filled),
                ".".repeat(BAR_WIDTH - filled)
            )
        }
        SyncProgress::WritingBack => write!(err, "\n  writing back contact ids and opt-outs..."),
    };
    let _ = err.flush();
}
