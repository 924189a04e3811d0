//! The directory of health workers: the list with a filter on any field
//! and a search box, a page at a time by cursor (row ids, never an offset),
//! how many match, "make a smart group of these"; and one health worker's
//! page with fields, groups, every message (its status over time and why
//! it failed) and every flow run with its results.
//!
//! The filter is written in the query language smart groups keep
//! (`core::query`), so the list, the count and the group made of it are
//! the same store evaluation (`GET /api/v1/contacts?query=`,
//! `/contacts/count`, `POST /groups`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::contacts_filter::Filter;
use super::form::{FieldErrors, Form};
use super::page::{self, redirect_with, render, Ctx};
use crate::api::audit::Audit;
use crate::api::ApiState;
use crate::config::Role;
use crate::core::contact::Contact;
use crate::store::{ContactFilter, MsgFilter, MsgRow, Paging, RunFilter, StoreError};

/// Health workers per page: a screen's worth on a laptop, light on 3G.
const PAGE_ROWS: i64 = 50;

/// Custom fields shown as columns of the list (all are on a worker's page).
const FIELD_COLUMNS: usize = 4;

/// Messages and runs a worker's page shows, newest first.
const HISTORY_ROWS: i64 = 100;

/// Contact statuses the filter offers.
const STATUSES: &[&str] = &["active", "stopped", "blocked"];

/// A custom field: its key and the name people read.
#[derive(Debug, Clone)]
pub struct FieldInfo {
    pub key: String,
    pub name: String,
}

pub async fn fields(s: &ApiState) -> Result<Vec<FieldInfo>, StoreError> {
    Ok(s.gw
        .store
        .list_fields()
        .await?
        .iter()
        .filter_map(|f| {
            Some(FieldInfo {
                key: f["key"].as_str()?.to_string(),
                name: f["name"].as_str()?.to_string(),
            })
        })
        .collect())
}

/// One health worker as a row of the list.
pub struct Row {
    pub uuid: String,
    pub name: String,
    pub phone: String,
    pub cells: Vec<String>,
    pub language: String,
    pub status: String,
}

/// A stored field value as text.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn row(c: &Contact, columns: &[FieldInfo]) -> Row {
    Row {
        uuid: c.uuid.to_string(),
        name: c.name.clone().unwrap_or_default(),
        phone: c.urns.first().map(|u| u.path().to_string()).unwrap_or_default(),
        cells: columns
            .iter()
            .map(|f| c.fields.get(&f.key).map(shown).unwrap_or_default())
            .collect(),
        language: c.language.clone().unwrap_or_default(),
        status: c.status.as_str().to_string(),
    }
}

#[derive(Template)]
#[template(path = "contacts.html")]
pub struct ContactsPage {
    pub ctx: Ctx,
    pub fields: Vec<FieldInfo>,
    pub columns: Vec<FieldInfo>,
    pub statuses: Vec<&'static str>,
    pub filter: Filter,
    pub rows: Vec<Row>,
    pub count: i64,
    pub next: Option<String>,
    pub prev: Option<String>,
    pub group_name: String,
    pub errors: FieldErrors,
    pub can_change: bool,
}

impl ContactsPage {
    pub fn status_name(&self, s: &str) -> String {
        self.ctx.t(&format!("contact-status-{s}"))
    }
}

/// What a list request asked for besides its filter.
#[derive(Default)]
struct Asked {
    after: Option<i64>,
    before: Option<i64>,
    group_name: String,
    errors: FieldErrors,
}

fn pairs_of(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

pub async fn list(State(s): State<ApiState>, ctx: Ctx, RawQuery(raw): RawQuery) -> Response {
    let pairs = pairs_of(raw.as_deref());
    let cursor = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse::<i64>().ok())
    };
    let asked = Asked {
        after: cursor("after"),
        before: cursor("before"),
        ..Asked::default()
    };
    page(&s, ctx, &pairs, asked).await
}

async fn page(s: &ApiState, ctx: Ctx, pairs: &[(String, String)], mut asked: Asked) -> Response {
    let fields = match fields(s).await {
        Ok(f) => f,
        Err(e) => return page::store_failed(ctx, e),
    };
    let filter = Filter::from_pairs(pairs, &fields);
    let query = match filter.query() {
        Some(q) => match s.gw.store.contact_query(&q).await {
            Ok(parsed) => Some(parsed),
            Err(StoreError::Invalid { field, .. }) => {
                let key = field.strip_prefix("query.").unwrap_or_default();
                match fields.iter().find(|f| f.key == key) {
                    Some(f) => asked.errors.add(
                        &format!("field-{key}"),
                        ctx.t1("contacts-filter-bad-value", "field", &f.name),
                    ),
                    None => asked.errors.general = Some(ctx.t("contacts-filter-bad")),
                }
                None
            }
            Err(e) => return page::store_failed(ctx, e),
        },
        None => None,
    };
    let refused = !asked.errors.is_empty();
    let (rows, count, next, prev) = if refused && query.is_none() && filter.query().is_some() {
        (Vec::new(), 0, None, None)
    } else {
        let backwards = asked.before.is_some() && asked.after.is_none();
        let paging = Paging::new(asked.after, asked.before, backwards, Some(PAGE_ROWS));
        let listed =
            s.gw.store
                .list_contacts(&ContactFilter {
                    query: query.clone(),
                    group_id: None,
                    page: paging,
                })
                .await;
        let mut found = match listed {
            Ok(c) => c,
            Err(e) => return page::store_failed(ctx, e),
        };
        let full = found.len() as i64 >= PAGE_ROWS;
        if backwards {
            found.reverse();
        }
        let count = match s.gw.store.count_matching(query.as_ref()).await {
            Ok(n) => n,
            Err(e) => return page::store_failed(ctx, e),
        };
        let (first, last) = (found.first().map(|c| c.id), found.last().map(|c| c.id));
        let more_after = if backwards { true } else { full };
        let more_before = if backwards { full } else { asked.after.is_some() };
        let next = last
            .filter(|_| more_after)
            .map(|id| filter.href(Some(("after", id))));
        let prev = first
            .filter(|_| more_before)
            .map(|id| filter.href(Some(("before", id))));
        (found, count, next, prev)
    };
    let columns: Vec<FieldInfo> = fields.iter().take(FIELD_COLUMNS).cloned().collect();
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ContactsPage {
        can_change: ctx.role() >= Some(Role::Sender),
        rows: rows.iter().map(|c| row(c, &columns)).collect(),
        columns,
        fields,
        statuses: STATUSES.to_vec(),
        filter,
        count,
        next,
        prev,
        group_name: std::mem::take(&mut asked.group_name),
        errors: asked.errors,
        ctx,
    };
    render(&page.ctx, status, &page)
}

/// "Make a smart group of these N": the filter (as the list's hidden
/// fields) becomes the group's query, with the name given.
pub async fn smart_group(
    State(s): State<ApiState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let fields = match fields(&s).await {
        Ok(f) => f,
        Err(e) => return page::store_failed(ctx, e),
    };
    let filter = Filter::from_pairs(&pairs, &fields);
    let name = pairs
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let Some(query) = filter.query() else {
        let mut errors = FieldErrors::default();
        errors.general = Some(ctx.t("contacts-group-needs-filter"));
        let asked = Asked {
            group_name: name,
            errors,
            ..Asked::default()
        };
        return page(&s, ctx, &pairs, asked).await;
    };
    match s.gw.store.create_group(&name, Some(&query)).await {
        Ok(g) => (
            Audit::action("group.create").target("group", &g.uuid).after(&g),
            redirect_with(&format!("/groups/{}", g.uuid), "flash-group-created"),
        )
            .into_response(),
        Err(e) => match FieldErrors::from_store(ctx.lang, e) {
            Ok(errors) => {
                let asked = Asked {
                    group_name: name,
                    errors,
                    ..Asked::default()
                };
                let mut res = page(&s, ctx, &pairs, asked).await;
                *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                res
            }
            Err(e) => page::store_failed(ctx, e),
        },
    }
}

/// A flow run as a worker's page shows it.
pub struct RunView {
    pub flow: String,
    pub status: String,
    pub created_on: String,
    pub exited_on: Option<String>,
    /// (result name, value, category)
    pub results: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "contact.html")]
pub struct ContactPage {
    pub ctx: Ctx,
    pub contact: Contact,
    pub name: String,
    pub phones: Vec<String>,
    /// (field name, value) of every custom field.
    pub fields: Vec<(String, String)>,
    /// (group name, UUID)
    pub groups: Vec<(String, String)>,
    pub msgs: Vec<MsgRow>,
    pub runs: Vec<RunView>,
}

impl ContactPage {
    pub fn status_name(&self, s: &str) -> String {
        self.ctx.t(&format!("status-{s}"))
    }

    pub fn run_status(&self, s: &str) -> String {
        self.ctx.t(&format!("run-status-{s}"))
    }

    pub fn contact_status(&self) -> String {
        self.ctx
            .t(&format!("contact-status-{}", self.contact.status.as_str()))
    }
}

pub async fn show(State(s): State<ApiState>, ctx: Ctx, Path(uuid): Path<String>) -> Response {
    match contact_page(&s, &uuid).await {
        Ok(Some(parts)) => {
            let (contact, fields, groups, msgs, runs) = parts;
            let page = ContactPage {
                name: contact.name.clone().unwrap_or_default(),
                phones: contact
                    .urns
                    .iter()
                    .map(|u| match u.scheme() {
                        "tel" => u.path().to_string(),
                        _ => u.to_string(),
                    })
                    .collect(),
                contact,
                fields,
                groups,
                msgs,
                runs,
                ctx,
            };
            render(&page.ctx, StatusCode::OK, &page)
        }
        Ok(None) => page::not_found(ctx),
        Err(e) => page::store_failed(ctx, e),
    }
}

type ContactParts = (
    Contact,
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<MsgRow>,
    Vec<RunView>,
);

/// Everything a worker's page shows, through the functions
/// `GET /contacts/{uuid}`, `/messages?contact=` and `/contacts/{uuid}/runs`
/// call.
async fn contact_page(s: &ApiState, uuid: &str) -> Result<Option<ContactParts>, StoreError> {
    let store = &s.gw.store;
    let contact = match store.get_contact(uuid).await {
        Ok(c) => c,
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let fields = fields(s)
        .await?
        .into_iter()
        .map(|f| {
            let v = contact.fields.get(&f.key).map(shown).unwrap_or_default();
            (f.name, v)
        })
        .collect();
    let uuids: HashMap<String, String> = store
        .list_groups()
        .await?
        .into_iter()
        .map(|g| (g.name, g.uuid))
        .collect();
    let groups = contact
        .groups
        .iter()
        .filter_map(|n| uuids.get(n).map(|u| (n.clone(), u.clone())))
        .collect();
    let newest = Paging::new(None, None, true, Some(HISTORY_ROWS));
    let msgs = store
        .list_msgs(&MsgFilter {
            contact_id: Some(contact.id),
            page: newest,
            ..MsgFilter::default()
        })
        .await?;
    let flows: HashMap<String, String> = store
        .list_flows()
        .await?
        .into_iter()
        .map(|f| (f.uuid, f.name))
        .collect();
    let runs = store
        .contact_runs(
            uuid,
            &RunFilter {
                page: newest,
                ..RunFilter::default()
            },
        )
        .await?
        .into_iter()
        .map(|r| RunView {
            flow: flows.get(&r.flow).cloned().unwrap_or_else(|| r.flow.clone()),
            status: r.status,
            created_on: r.created_on,
            exited_on: r.exited_on,
            results: r
                .results
                .into_values()
                .map(|v| (v.name, v.value, v.category))
                .collect(),
        })
        .collect();
    Ok(Some((contact, fields, groups, msgs, runs)))
}
