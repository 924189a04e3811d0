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
use super::send_form::{
    counted, duration, encoding_name, format_rate, lang_name, schedule, Counter, SendForm,
};
use crate::api::audit::Audit;
use crate::api::ApiState;
use crate::core::time::{Schedule, SendingHours};
use crate::dispatch::preview::SendPreview;
use crate::store::{FlowRow, Group, Reach, StoreError};

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
    /// The days a weekly send can go on (form value, label key).
    pub weekdays: &'static [(&'static str, &'static str)],
}

#[derive(Template)]
#[template(path = "send_counter.html")]
pub struct CounterFragment {
    pub ctx: Ctx,
    pub counter: Counter,
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
        weekdays: &super::send_form::WEEKDAYS,
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
