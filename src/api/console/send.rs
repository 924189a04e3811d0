//! The send wizard (senders): recipients (groups, a filter, numbers; a
//! broadcast or a flow start) → the message, per language, with a live
//! count of characters and segments → the review (who receives it after
//! exclusions, segments, the links and their rates, the time it takes and
//! the cost) → send now, at a time, or every day. Each step posts the
//! previous steps' answers again in hidden fields: nothing is kept on the
//! server until the send, which works without JavaScript. The review is
//! `Gateway::preview_broadcast` / `preview_flow_start`, which
//! `POST /api/v1/broadcasts/preview` and `/flow_starts/preview` answer; the
//! send is `Store::create_broadcast` / `create_flow_start`, which
//! `POST /api/v1/broadcasts` and `/flow_starts` call.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form::FieldErrors;
use super::page::{self, redirect_with, render, Ctx};
use crate::api::audit::Audit;
use crate::api::ApiState;
use crate::core::segments::{self, Counted, Encoding};
use crate::core::time::{Schedule, SendingHours};
use crate::dispatch::preview::SendPreview;
use crate::store::{Exclusions, FlowRow, Group, NewBroadcast, NewStart, Reach, Recipients, StoreError};

/// Everything the wizard has been told so far, from any step's form.
#[derive(Debug, Default, Clone)]
pub struct SendForm {
    /// `broadcast` or `flow`.
    pub kind: String,
    pub flow: String,
    /// A flow start leaves out those already waiting in a flow.
    pub skip_in_flow: bool,
    pub groups: Vec<String>,
    pub query: String,
    pub numbers: String,
    /// Text per language code (`text_<code>` fields).
    pub texts: BTreeMap<String, String>,
    /// `now`, `at` or `daily`.
    pub when: String,
    pub at: String,
    pub daily: String,
}

impl SendForm {
    fn parse(body: &[u8]) -> SendForm {
        let mut f = SendForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "kind" => f.kind = v,
                "flow" => f.flow = v,
                "skip_in_flow" => f.skip_in_flow = v == "1",
                "group" => f.groups.push(v),
                "query" => f.query = v,
                "numbers" => f.numbers = v,
                "when" => f.when = v,
                "at" => f.at = v,
                "daily" => f.daily = v,
                other => {
                    if let Some(lang) = other.strip_prefix("text_") {
                        f.texts.insert(lang.to_string(), v);
                    }
                }
            }
        }
        if f.kind != "flow" {
            f.kind = "broadcast".into();
        }
        f
    }

    pub fn is_flow(&self) -> bool {
        self.kind == "flow"
    }

    pub fn has_group(&self, uuid: &str) -> bool {
        self.groups.iter().any(|g| g == uuid)
    }

    fn recipients(&self) -> Recipients {
        Recipients {
            contacts: Vec::new(),
            groups: self.groups.clone(),
            query: Some(self.query.trim().to_string()).filter(|q| !q.is_empty()),
            urns: self
                .numbers
                .split(['\n', ',', ';'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    fn broadcast(&self, base: &str, schedule: Option<Schedule>) -> NewBroadcast {
        NewBroadcast {
            translations: self.texts.clone(),
            base_language: base.to_string(),
            recipients: self.recipients(),
            schedule,
            respect_hours: true,
        }
    }

    fn start(&self, schedule: Option<Schedule>) -> NewStart {
        NewStart {
            flow: self.flow.clone(),
            recipients: self.recipients(),
            exclusions: Exclusions {
                in_a_flow: self.skip_in_flow,
                ..Exclusions::default()
            },
            params: None,
            origin: "api".into(),
            schedule,
        }
    }

    /// The previous steps' answers, for hidden fields.
    pub fn hidden(&self, with_texts: bool) -> Vec<(String, String)> {
        let mut out = vec![
            ("kind".to_string(), self.kind.clone()),
            ("flow".to_string(), self.flow.clone()),
            ("query".to_string(), self.query.clone()),
            ("numbers".to_string(), self.numbers.clone()),
        ];
        if self.skip_in_flow {
            out.push(("skip_in_flow".to_string(), "1".to_string()));
        }
        out.extend(self.groups.iter().map(|g| ("group".to_string(), g.clone())));
        if with_texts {
            out.extend(self.texts.iter().map(|(l, t)| (format!("text_{l}"), t.clone())));
        }
        out
    }
}

/// The live counter of one text, in words.
pub struct Counter {
    pub encoding: &'static str,
    /// "80 characters · 2 message parts of 67 characters each"
    pub summary: String,
    /// The characters that force UCS-2.
    pub ucs2: Vec<String>,
    pub ucs2_note: String,
}

impl Counter {
    fn new(ctx: &Ctx, text: &str) -> Counter {
        let c: Counted = segments::describe(text);
        let parts = if c.segments == 1 {
            ctx.t1("send-parts-one", "size", ctx.num(&i64::from(c.per_segment)))
        } else {
            ctx.lang.t_args(
                "send-parts-other",
                &[
                    ("count", ctx.num(&i64::from(c.segments))),
                    ("size", ctx.num(&i64::from(c.per_segment))),
                ],
            )
        };
        Counter {
            encoding: encoding_name(c.encoding),
            summary: format!("{} · {parts}", counted(ctx, "send-chars", c.chars as usize)),
            ucs2_note: ctx.t("send-ucs2-because"),
            ucs2: c.ucs2_chars,
        }
    }
}

/// One language's text area.
pub struct LangText {
    pub code: String,
    /// The form field: `text_<code>`.
    pub field: String,
    pub name: String,
    pub text: String,
    /// "1,999 health workers" who get this text.
    pub who: String,
    pub counter: Counter,
}

#[derive(Template)]
#[template(path = "send_recipients.html")]
pub struct RecipientsPage {
    pub ctx: Ctx,
    pub form: SendForm,
    pub groups: Vec<Group>,
    pub flows: Vec<FlowRow>,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "send_message.html")]
pub struct MessagePage {
    pub ctx: Ctx,
    pub form: SendForm,
    pub langs: Vec<LangText>,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "send_review.html")]
pub struct ReviewPage {
    pub ctx: Ctx,
    pub form: SendForm,
    /// Sentences: who receives it, who is left out.
    pub who: Vec<String>,
    pub excluded: Vec<String>,
    /// (language, recipients, encoding, characters, segments each, segments in all, UCS-2 characters)
    pub languages: Vec<[String; 7]>,
    /// (link, recipients, segments, rate)
    pub routes: Vec<[String; 4]>,
    pub eta: String,
    /// The sending hours, when some are set.
    pub hours_note: Option<String>,
    pub cost: Option<String>,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "send_counter.html")]
pub struct CounterFragment {
    pub ctx: Ctx,
    pub counter: Counter,
}

/// A count said in words: `key-one` for 1, else `key-other`, with `count`.
fn counted(ctx: &Ctx, key: &str, n: usize) -> String {
    let k = if n == 1 {
        format!("{key}-one")
    } else {
        format!("{key}-other")
    };
    ctx.t1(&k, "count", ctx.num(&(n as i64)))
}

/// The language's own name when the console knows it, else its code.
fn lang_name(code: &str) -> String {
    super::i18n::Lang::from_code(code)
        .map(|l| l.own_name().to_string())
        .unwrap_or_else(|| code.to_string())
}

/// Step 1.
pub async fn start(State(s): State<ApiState>, ctx: Ctx) -> Response {
    let form = SendForm {
        kind: "broadcast".into(),
        ..SendForm::default()
    };
    recipients_page(&s, ctx, StatusCode::OK, form, FieldErrors::default()).await
}

/// Step 1 again, its answers kept (the "back" button of step 2 or 3).
pub async fn back(State(s): State<ApiState>, ctx: Ctx, body: Bytes) -> Response {
    let form = SendForm::parse(&body);
    recipients_page(&s, ctx, StatusCode::OK, form, FieldErrors::default()).await
}

async fn recipients_page(
    s: &ApiState,
    ctx: Ctx,
    status: StatusCode,
    form: SendForm,
    errors: FieldErrors,
) -> Response {
    let groups = match s.gw.store.list_groups().await {
        Ok(g) => g,
        Err(e) => return page::store_failed(ctx, e),
    };
    let flows = match s.gw.store.list_flows().await {
        Ok(f) => f,
        Err(e) => return page::store_failed(ctx, e),
    };
    let page = RecipientsPage {
        ctx,
        form,
        groups,
        flows,
        errors,
    };
    render(&page.ctx, status, &page)
}

/// A store refusal of the recipients, beside the field it is about.
fn recipient_errors(ctx: &Ctx, e: StoreError) -> Result<FieldErrors, StoreError> {
    let (field, raw) = match &e {
        StoreError::Invalid { field, message } => (Some(field.clone()), message.clone()),
        _ => (None, String::new()),
    };
    let translated = FieldErrors::from_store(ctx.lang, e)?;
    let mut out = FieldErrors::default();
    out.general = translated.general.clone();
    if let Some(field) = field {
        let place = if field.starts_with("recipients.query") {
            "query"
        } else if field.starts_with("recipients.urns") {
            "numbers"
        } else if field == "flow" {
            "flow"
        } else if field == "text" {
            "text"
        } else {
            "recipients"
        };
        let message = if field == "recipients" && raw.starts_with("name at least one") {
            ctx.t("send-no-recipients")
        } else if field == "recipients" {
            ctx.t("send-nobody")
        } else {
            translated.get(&field)
        };
        out.add(place, message);
    }
    Ok(out)
}

/// Step 1 posted: the recipients checked, then the message (a broadcast)
/// or the review (a flow start).
pub async fn message(State(s): State<ApiState>, ctx: Ctx, body: Bytes) -> Response {
    let form = SendForm::parse(&body);
    if form.is_flow() {
        return review_page(&s, ctx, form, FieldErrors::default(), StatusCode::OK).await;
    }
    let default_country = s.gw.config.contacts.default_country.as_deref();
    let audience =
        s.gw.store
            .preview_audience(&form.recipients(), default_country, Reach::Text, false)
            .await;
    let audience = match audience {
        Ok(a) => a,
        Err(e) => {
            return match recipient_errors(&ctx, e) {
                Ok(errors) => recipients_page(&s, ctx, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await,
                Err(e) => page::store_failed(ctx, e),
            }
        }
    };
    // A text box per language the recipients speak, the default first.
    let base = s.gw.config.contacts.default_language.clone();
    let mut who: BTreeMap<String, usize> = BTreeMap::from([(base.clone(), 0)]);
    for r in &audience.reached {
        *who.entry(r.language.clone().unwrap_or_else(|| base.clone()))
            .or_default() += 1;
    }
    message_page(ctx, form, &base, who, FieldErrors::default(), StatusCode::OK)
}

fn message_page(
    ctx: Ctx,
    form: SendForm,
    base: &str,
    who: BTreeMap<String, usize>,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let mut codes: Vec<String> = who.keys().cloned().collect();
    codes.sort_by_key(|c| c != base);
    let langs = codes
        .into_iter()
        .map(|code| {
            let text = form.texts.get(&code).cloned().unwrap_or_default();
            LangText {
                name: lang_name(&code),
                who: counted(&ctx, "send-health-workers", who[&code]),
                counter: Counter::new(&ctx, &text),
                field: format!("text_{code}"),
                text,
                code,
            }
        })
        .collect();
    let page = MessagePage {
        ctx,
        form,
        langs,
        errors,
    };
    render(&page.ctx, status, &page)
}

/// The live counter (htmx, on typing): the same count the review and the
/// outbox make.
pub async fn counter(ctx: Ctx, body: Bytes) -> Response {
    let form = SendForm::parse(&body);
    let text = form.texts.into_values().next().unwrap_or_default();
    let counter = Counter::new(&ctx, &text);
    let page = CounterFragment { ctx, counter };
    render(&page.ctx, StatusCode::OK, &page)
}

/// Step 2 posted: the review.
pub async fn review(State(s): State<ApiState>, ctx: Ctx, body: Bytes) -> Response {
    let form = SendForm::parse(&body);
    review_page(&s, ctx, form, FieldErrors::default(), StatusCode::OK).await
}

async fn preview(
    s: &ApiState,
    form: &SendForm,
    schedule: Option<Schedule>,
) -> Result<SendPreview, StoreError> {
    if form.is_flow() {
        s.gw.preview_flow_start(&form.start(schedule)).await
    } else {
        let base = &s.gw.config.contacts.default_language;
        s.gw.preview_broadcast(&form.broadcast(base, schedule)).await
    }
}

async fn review_page(
    s: &ApiState,
    ctx: Ctx,
    form: SendForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let p = match preview(s, &form, None).await {
        Ok(p) => p,
        Err(e) => return refused(s, ctx, form, e).await,
    };
    let mut who = vec![counted(&ctx, "send-will-receive", p.recipients)];
    if form.is_flow() {
        who = vec![counted(&ctx, "send-will-start", p.recipients)];
    }
    let x = &p.excluded;
    let excluded: Vec<String> = [
        ("send-excluded-opted-out", x.opted_out),
        ("send-excluded-blocked", x.blocked),
        ("send-excluded-no-phone", x.no_phone),
        ("send-excluded-duplicate", x.duplicate),
        ("send-excluded-in-flow", x.already_in_flow),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(k, n)| counted(&ctx, k, n))
    .collect();
    let languages = p
        .languages
        .iter()
        .map(|l| {
            [
                lang_name(&l.lang),
                ctx.num(&(l.recipients as i64)),
                encoding_name(l.encoding).to_string(),
                ctx.num(&i64::from(l.chars)),
                ctx.num(&i64::from(l.segments_per_msg)),
                ctx.num(&(l.segments_total as i64)),
                l.ucs2_chars.join(" "),
            ]
        })
        .collect();
    let routes = p
        .routes
        .iter()
        .map(|r| {
            [
                r.link.clone().unwrap_or_else(|| ctx.t("send-no-link")),
                ctx.num(&(r.recipients as i64)),
                ctx.num(&(r.segments as i64)),
                if r.rate_per_s > 0.0 {
                    ctx.t1("send-rate", "rate", format_rate(r.rate_per_s))
                } else {
                    ctx.t("send-rate-unlimited")
                },
            ]
        })
        .collect();
    let eta = match p.eta_seconds {
        Some(secs) => ctx.t1("send-eta", "duration", duration(&ctx, secs)),
        None if form.is_flow() => ctx.t("send-eta-flow"),
        None => ctx.t("send-eta-unknown"),
    };
    let hours = s.gw.config.sending.window();
    let hours_note = (!form.is_flow() && hours != SendingHours::ALWAYS).then(|| {
        ctx.lang.t_args(
            "send-hours-note",
            &[
                ("hours", hours.to_string()),
                ("start", ctx.when_text(&p.starts_on)),
            ],
        )
    });
    let cost = p.cost.as_ref().map(|c| {
        ctx.t1(
            "send-cost",
            "amount",
            format!("{} {}", ctx.num(&(c.amount.round() as i64)), c.currency),
        )
    });
    let page = ReviewPage {
        ctx,
        form,
        who,
        excluded,
        languages,
        routes,
        eta,
        hours_note,
        cost,
        errors,
    };
    render(&page.ctx, status, &page)
}

/// A refused step: the recipients' step for their problems, the message's
/// for the text's.
async fn refused(s: &ApiState, ctx: Ctx, form: SendForm, e: StoreError) -> Response {
    let errors = match recipient_errors(&ctx, e) {
        Ok(errors) => errors,
        Err(e) => return page::store_failed(ctx, e),
    };
    if errors.has("text") {
        // The store refuses an empty text or none in the base language:
        // either way the box to fill is the first empty one.
        let base = &s.gw.config.contacts.default_language;
        let mut errors = errors;
        let empty = form
            .texts
            .iter()
            .find(|(_, t)| t.trim().is_empty())
            .map(|(l, _)| l.clone())
            .unwrap_or_else(|| base.clone());
        errors.add(&format!("text_{empty}"), ctx.t("send-text-empty"));
        let who = form.texts.keys().map(|l| (l.clone(), 0usize)).collect();
        return message_page_again(s, ctx, form, who, errors).await;
    }
    recipients_page(s, ctx, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await
}

/// The message step again after a refusal, with who gets each text counted.
async fn message_page_again(
    s: &ApiState,
    ctx: Ctx,
    form: SendForm,
    mut who: BTreeMap<String, usize>,
    errors: FieldErrors,
) -> Response {
    let base = s.gw.config.contacts.default_language.clone();
    who.entry(base.clone()).or_default();
    let default_country = s.gw.config.contacts.default_country.as_deref();
    if let Ok(a) =
        s.gw.store
            .preview_audience(&form.recipients(), default_country, Reach::Text, false)
            .await
    {
        who.values_mut().for_each(|n| *n = 0);
        for r in &a.reached {
            *who.entry(r.language.clone().unwrap_or_else(|| base.clone()))
                .or_default() += 1;
        }
    }
    message_page(ctx, form, &base, who, errors, StatusCode::UNPROCESSABLE_ENTITY)
}

fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Gsm7 => "GSM-7",
        Encoding::Ucs2 => "UCS-2",
    }
}

fn format_rate(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// "about 2 minutes", "less than a minute", "about 3 hours".
fn duration(ctx: &Ctx, secs: u64) -> String {
    if secs < 60 {
        ctx.t1("duration-seconds", "count", ctx.num(&(secs as i64)))
    } else if secs < 3600 {
        ctx.t1("duration-minutes", "count", ctx.num(&(secs.div_ceil(60) as i64)))
    } else {
        ctx.t1("duration-hours", "count", ctx.num(&(secs.div_ceil(3600) as i64)))
    }
}

/// When the send goes, from the review's choice; a field error otherwise.
fn schedule(ctx: &Ctx, form: &SendForm) -> Result<Option<Schedule>, FieldErrors> {
    let mut errors = FieldErrors::default();
    match form.when.as_str() {
        "at" => {
            let local = chrono::NaiveDateTime::parse_from_str(&form.at, "%Y-%m-%dT%H:%M").ok();
            let at = local.and_then(|l| l.and_local_timezone(ctx.tz).earliest());
            match at {
                Some(at) => Ok(Some(Schedule::Once {
                    at: at.with_timezone(&chrono::Utc),
                })),
                None => {
                    errors.add("at", ctx.t("send-at-bad"));
                    Err(errors)
                }
            }
        }
        "daily" => match chrono::NaiveTime::parse_from_str(&form.daily, "%H:%M") {
            Ok(time) => Ok(Some(Schedule::Daily {
                time,
                timezone: Some(ctx.tz_name.clone()),
            })),
            Err(_) => {
                errors.add("daily", ctx.t("send-daily-bad"));
                Err(errors)
            }
        },
        _ => Ok(None),
    }
}

/// The review posted with its choice of time: the send, then its page.
pub async fn send(State(s): State<ApiState>, ctx: Ctx, body: Bytes) -> Response {
    let form = SendForm::parse(&body);
    let schedule = match schedule(&ctx, &form) {
        Ok(sch) => sch,
        Err(errors) => return review_page(&s, ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let default_country = s.gw.config.contacts.default_country.as_deref();
    let made = if form.is_flow() {
        let start = form.start(schedule);
        match s.gw.store.create_flow_start(&start, default_country, false).await {
            Ok(a) => {
                s.gw.wake_starts();
                Ok((
                    Audit::action("flow_start.create")
                        .target("flow_start", &a.send.uuid)
                        .after(&a.send),
                    a.send.uuid,
                ))
            }
            Err(e) => Err(e),
        }
    } else {
        let b = form.broadcast(&s.gw.config.contacts.default_language, schedule);
        match s.gw.store.create_broadcast(b, default_country, false).await {
            Ok(a) => Ok((
                Audit::action("broadcast.create")
                    .target("broadcast", &a.send.uuid)
                    .after(&a.send),
                a.send.uuid,
            )),
            Err(e) => Err(e),
        }
    };
    match made {
        Ok((audit, uuid)) => (
            audit,
            redirect_with(&format!("/sends/{uuid}"), "flash-send-accepted"),
        )
            .into_response(),
        Err(e) => match recipient_errors(&ctx, e) {
            Ok(errors) => review_page(&s, ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(e) => page::store_failed(ctx, e),
        },
    }
}
