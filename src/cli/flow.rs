//! `mhero flow check FILE...` validates RapidPro exports and prints every
//! problem with its flow, node and action; `mhero flow run FILE` runs a flow
//! in the terminal as a simulated contact (messages appear, you type the
//! replies; digits for voice flows), showing the results at the end.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::flow::clock;
use crate::flow::definition::export::Export;
use crate::flow::events::{Event, EventKind, MsgIn};
use crate::flow::resume::{Dial, Resume, ResumeKind};
use crate::flow::services::NoServices;
use crate::flow::session::{self, Session};
use crate::flow::session_assets::SessionAssets;
use crate::flow::trigger::Trigger;
use crate::flow::waits::Hint;
use crate::sip::prompts::PromptLibrary;

use super::flow_prompts::{missing_prompts, TtsAvailability};

/// Where `flow check` looks for prompts when not told (the gateway's default).
const DEFAULT_PROMPTS: &str = "prompts";

/// The simulated contact's phone number (a reserved-looking Rwandan number).
const SIMULATOR_URN: &str = "tel:+250788000000";

#[derive(Debug, Args)]
pub struct FlowArgs {
    #[command(subcommand)]
    pub command: FlowCommand,
}

#[derive(Debug, Subcommand)]
pub enum FlowCommand {
    /// Validate RapidPro exports (or bare flow definitions); exits non-zero
    /// when any flow has a problem.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Prompt directory (`<lang>/<name>.wav`) voice flows are checked
        /// against; default `prompts` when it exists.
        #[arg(long)]
        prompts: Option<PathBuf>,
        /// Whether text without a recording can be spoken (auto: espeak-ng
        /// installed here).
        #[arg(long, value_enum, default_value_t = TtsAvailability::Auto)]
        tts: TtsAvailability,
    },
    /// Run a flow in the terminal as a simulated contact.
    Run {
        file: PathBuf,
        /// The flow to start, by name (default: the export's first flow).
        #[arg(long)]
        flow: Option<String>,
        /// The contact's language (ISO-639-3), for translated flows.
        #[arg(long)]
        lang: Option<String>,
        /// A contact field value, `key=value`; may be repeated.
        #[arg(long = "contact-field", value_parser = parse_key_value)]
        contact_fields: Vec<(String, String)>,
    },
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("expected key=value, got '{s}'")),
    }
}

/// Runs a `flow` subcommand; the result is whether everything was fine.
pub fn run(args: FlowArgs) -> anyhow::Result<bool> {
    match args.command {
        FlowCommand::Check { files, prompts, tts } => {
            let prompts = prompts.or_else(|| {
                let default = PathBuf::from(DEFAULT_PROMPTS);
                default.is_dir().then_some(default)
            });
            Ok(check_with(&files, prompts.as_deref(), tts.resolve()))
        }
        FlowCommand::Run {
            file,
            flow,
            lang,
            contact_fields,
        } => {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let mut out = std::io::stdout();
            simulate(
                &file,
                flow.as_deref(),
                lang.as_deref(),
                &contact_fields,
                &mut input,
                &mut out,
            )?;
            Ok(true)
        }
    }
}

/// Checks each file, printing one line per problem; true if all are clean.
pub fn check(files: &[PathBuf]) -> bool {
    check_with(files, None, false)
}

/// [`check`], and when `prompts` is given, every voice flow's say/play
/// actions against that prompt directory (`tts`: text can be spoken).
pub fn check_with(files: &[PathBuf], prompts: Option<&Path>, tts: bool) -> bool {
    let library = match prompts.map(PromptLibrary::load).transpose() {
        Ok(library) => library,
        Err(e) => {
            println!("prompts: {e}");
            return false;
        }
    };
    let mut clean = true;
    for file in files {
        let checked = check_file(file).and_then(|mut lines| {
            if let (Some(dir), Some(library)) = (prompts, &library) {
                lines.extend(check_prompts(file, library, dir, tts)?);
            }
            Ok(lines)
        });
        match checked {
            Ok(lines) if lines.is_empty() => {}
            Ok(lines) => {
                clean = false;
                lines.iter().for_each(|l| println!("{l}"));
            }
            Err(e) => {
                clean = false;
                println!("{}: {e:#}", file.display());
            }
        }
    }
    clean
}

/// The problems of one export file, each prefixed with the file name; an
/// `OK` line summarises a clean file.
pub fn check_file(file: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let export = Export::parse(&text)?;
    let problems: Vec<String> = export
        .problems
        .iter()
        .map(|p| format!("{}: {p}", file.display()))
        .collect();
    if problems.is_empty() {
        println!("{}: OK ({} flows)", file.display(), export.flows.len());
    }
    Ok(problems)
}

/// The say/play actions of a file's voice flows with nothing to play, one
/// line each, prefixed with the file name.
pub fn check_prompts(
    file: &Path,
    library: &PromptLibrary,
    dir: &Path,
    tts: bool,
) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let export = Export::parse(&text)?;
    Ok(missing_prompts(&export.flows, library, dir, tts)
        .iter()
        .map(|m| format!("{}: {m}", file.display()))
        .collect())
}

/// Runs a flow, reading replies from `input` and writing the conversation
/// to `out`.
pub fn simulate(
    file: &Path,
    flow_name: Option<&str>,
    lang: Option<&str>,
    contact_fields: &[(String, String)],
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Session> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let raw: serde_json::Value = serde_json::from_str(&text).context("not valid JSON")?;
    let assets = SessionAssets::from_value(raw)?;
    for p in &assets.broken {
        writeln!(out, "! skipped {p}")?;
    }
    let flow = match flow_name {
        Some(name) => assets
            .flows
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .with_context(|| format!("no flow named '{name}' in {}", file.display()))?,
        None => assets
            .flows
            .first()
            .with_context(|| format!("no readable flow in {}", file.display()))?,
    };
    let language = lang.unwrap_or(&flow.language).to_owned();
    // Every language the flow is translated to may be chosen mid-flow.
    let mut languages = vec![language.clone(), flow.language.clone()];
    languages.extend(flow.localization.keys().cloned());
    languages.dedup();
    let fields: serde_json::Map<String, serde_json::Value> = contact_fields
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::json!({"text": v})))
        .collect();
    let trigger: Trigger = serde_json::from_value(serde_json::json!({
        "type": "manual",
        "flow": {"uuid": flow.uuid, "name": flow.name},
        "contact": {
            "uuid": uuid::Uuid::new_v4().to_string(),
            "name": "Simulator",
            "language": language,
            "urns": [SIMULATOR_URN],
            "fields": fields,
        },
        "environment": {"allowed_languages": languages},
    }))?;
    writeln!(
        out,
        "Starting '{}' ({} flow). Type replies; end input to stop.",
        flow.name,
        flow.flow_type.wire_name()
    )?;
    let (mut session, events) = session::start(&assets, &NoServices, trigger, clock::system())?;
    show(&events, out)?;
    while session.is_waiting() {
        let Some(resume) = next_resume(&session, &events_wait(&session), input, out)? else {
            let expire = Resume {
                kind: ResumeKind::RunExpiration {},
                contact: None,
                environment: None,
                resumed_on: None,
            };
            let events = session::resume(&assets, &NoServices, &mut session, expire, clock::system())?;
            show(&events, out)?;
            break;
        };
        let events = session::resume(&assets, &NoServices, &mut session, resume, clock::system())?;
        show(&events, out)?;
    }
    writeln!(out, "Session {:?}.", session.status)?;
    for run in &session.runs {
        for r in run.results.values() {
            writeln!(out, "  {} = {:?} ({})", r.name, r.value, r.category)?;
        }
    }
    Ok(session)
}

/// What the session waits for, as the prompt should show it.
fn events_wait(session: &Session) -> String {
    session
        .wait
        .as_ref()
        .map(|w| w.wait_type.clone())
        .unwrap_or_default()
}

fn next_resume(
    session: &Session,
    wait_type: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Option<Resume>> {
    let prompt = if wait_type == "dial" {
        "dial status (answered/no_answer/busy/failed)> "
    } else {
        "> "
    };
    write!(out, "{prompt}")?;
    out.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        writeln!(out)?;
        return Ok(None);
    }
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    let kind = if wait_type == "dial" {
        ResumeKind::Dial {
            dial: Dial {
                status: line.trim().to_owned(),
                duration: 0,
            },
        }
    } else {
        let urn = session.contact.urns.first().cloned();
        ResumeKind::Msg {
            msg: MsgIn {
                uuid: uuid::Uuid::new_v4().to_string(),
                urn,
                text: line,
                ..MsgIn::default()
            },
        }
    };
    Ok(Some(Resume {
        kind,
        contact: None,
        environment: None,
        resumed_on: None,
    }))
}

fn show(events: &[Event], out: &mut dyn Write) -> anyhow::Result<()> {
    for event in events {
        match &event.kind {
            EventKind::MsgCreated { msg } | EventKind::IvrCreated { msg } => {
                if !msg.text.is_empty() {
                    writeln!(out, "< {}", msg.text)?;
                }
                for a in &msg.attachments {
                    writeln!(out, "  [attachment {a}]")?;
                }
                if !msg.quick_replies.is_empty() {
                    let replies: Vec<String> = msg
                        .quick_replies
                        .iter()
                        .map(|q| format!("[{}]", q.text))
                        .collect();
                    writeln!(out, "  {}", replies.join(" "))?;
                }
            }
            EventKind::MsgWait { hint: Some(hint), .. } => match hint {
                Hint::Digits { count: Some(n), .. } => writeln!(out, "  (press {n} digit(s))")?,
                Hint::Digits { terminated_by, .. } => writeln!(
                    out,
                    "  (enter digits, end with {})",
                    terminated_by.as_deref().unwrap_or("#")
                )?,
                Hint::Audio => writeln!(out, "  (record a message: type a description)")?,
                _ => {}
            },
            EventKind::DialWait { urn, .. } => writeln!(out, "  (dialling {urn})")?,
            EventKind::ContactFieldChanged { field, value } => writeln!(
                out,
                "  * field {} = {}",
                field.key,
                value.as_ref().map(|v| v.text.as_str()).unwrap_or("(cleared)")
            )?,
            EventKind::ContactNameChanged { name } => writeln!(out, "  * name = {name}")?,
            EventKind::ContactLanguageChanged { language } => writeln!(out, "  * language = {language}")?,
            EventKind::FlowEntered { flow, .. } => writeln!(out, "  -> entering '{}'", flow.name)?,
            EventKind::Error { text } => writeln!(out, "! error: {text}")?,
            EventKind::Failure { text } => writeln!(out, "! failure: {text}")?,
            _ => {}
        }
    }
    Ok(())
}
