//! `mhero account create|list|disable|reset-password`: operator accounts
//! made and changed on the configured database directly, with no server
//! running (a running one sees the change at its next request). A password
//! is generated and printed alone on stdout, once, for `create` and
//! `reset-password`; the person must change it at the first login. Every
//! change is written to the audit log as the CLI's.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::config::Role;
use crate::store::{AccountPatch, ActorKind, NewAccount, NewAudit, Store};

#[derive(Debug, Args)]
pub struct AccountArgs {
    #[command(subcommand)]
    pub command: AccountCommand,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Make an account and print its first password (shown this once).
    Create {
        /// Lower-case letters, digits, . _ - (e.g. amina.juma).
        username: String,
        /// viewer (read), sender (also send and manage health workers;
        /// `operator` is accepted), or admin (also accounts and settings).
        #[arg(long)]
        role: Role,
        /// The person's name as the console shows it (default: the user name).
        #[arg(long)]
        name: Option<String>,
        /// eng, fra, swa or por (default: the browser's).
        #[arg(long, default_value = "")]
        language: String,
    },
    /// List accounts: user name, role, state, name (never a password).
    List,
    /// Disable an account: logged out at once, its tokens stop working.
    Disable { username: String },
    /// Give an account a new generated password (printed once), to be
    /// changed at its next login.
    ResetPassword { username: String },
}

/// Who the CLI acts as in the audit log: the operating-system user.
pub fn cli_actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "cli".to_string())
}

/// Write one CLI change to the audit log.
pub async fn audit(
    store: &Store,
    action: &str,
    target: (&str, &str),
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> anyhow::Result<()> {
    store
        .record_audit(&NewAudit {
            actor_kind: ActorKind::Cli,
            actor: cli_actor(),
            account: None,
            action: action.to_string(),
            target_type: Some(target.0.to_string()),
            target_id: Some(target.1.to_string()),
            before,
            after,
            result: "ok".into(),
            status: None,
        })
        .await
        .context("writing the audit log")
}

/// Print `secret` alone on stdout.
fn print_secret(secret: &str) -> std::io::Result<()> {
    writeln!(std::io::stdout().lock(), "{secret}")
}

pub async fn run(config_path: Option<&Path>, args: AccountArgs) -> anyhow::Result<()> {
    let config = crate::config::load(config_path)?;
    let store = Store::open(config.database.url.expose(), 1)
        .await
        .context("opening the database")?;
    let result = command(&store, args.command).await;
    store.close().await;
    result
}

async fn command(store: &Store, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create {
            username,
            role,
            name,
            language,
        } => {
            let password = crate::core::password::generate();
            let account = store
                .create_account(NewAccount {
                    display_name: name.unwrap_or_else(|| username.clone()),
                    username,
                    role,
                    language,
                    password: password.clone(),
                    must_change_password: true,
                })
                .await?;
            audit(
                store,
                "account.create",
                ("account", &account.username),
                None,
                serde_json::to_value(&account).ok(),
            )
            .await?;
            if let Err(e) = print_secret(&password) {
                bail!(
                    "could not print the password ({e}); run `mhero account reset-password {}`",
                    account.username
                );
            }
            eprintln!(
                "account {:?} ({}) created; its first password above is shown this once and must be changed at the first login",
                account.username,
                account.role.name()
            );
            Ok(())
        }
        AccountCommand::List => {
            let mut out = String::new();
            for a in store.list_accounts().await? {
                let state = if a.disabled() {
                    "disabled"
                } else if a.must_change_password {
                    "must-change-password"
                } else {
                    "active"
                };
                out.push_str(&format!(
                    "{}\t{}\t{state}\t{}\n",
                    a.username,
                    a.role.name(),
                    a.display_name
                ));
            }
            std::io::stdout()
                .lock()
                .write_all(out.as_bytes())
                .context("printing the accounts")
        }
        AccountCommand::Disable { username } => {
            let patch = AccountPatch {
                disabled: Some(true),
                ..AccountPatch::default()
            };
            let (before, after) = store.update_account(&username, &patch).await?;
            audit(
                store,
                "account.update",
                ("account", &username),
                serde_json::to_value(&before).ok(),
                serde_json::to_value(&after).ok(),
            )
            .await?;
            eprintln!("account {username:?} disabled");
            Ok(())
        }
        AccountCommand::ResetPassword { username } => {
            let password = crate::core::password::generate();
            store.set_password(&username, None, &password, true, None).await?;
            audit(
                store,
                "account.password_reset",
                ("account", &username),
                None,
                None,
            )
            .await?;
            if let Err(e) = print_secret(&password) {
                bail!("could not print the password ({e}); run the command again");
            }
            eprintln!("account {username:?} has a new password (above, shown once); it must be changed at the next login");
            Ok(())
        }
    }
}
