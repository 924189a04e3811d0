//! Groups of health workers: the list with member counts, a new static
//! group, and one group's page with its members a page at a time; a static
//! group's members are added by phone number and removed one by one (a
//! smart group's follow its query). Backed by the store functions
//! `/api/v1/groups` and `/groups/{g}/members` call.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::contacts::Row;
use super::form::{FieldErrors, Form};
use super::page::{self, redirect_with, render, Ctx};
use crate::api::audit::Audit;
use crate::api::ApiState;
use crate::config::Role;
use crate::store::{ContactFilter, Group, Paging, StoreError};

/// Members per page of a group.
const PAGE_ROWS: i64 = 50;

#[derive(Template)]
#[template(path = "groups.html")]
pub struct GroupsPage {
    pub ctx: Ctx,
    pub groups: Vec<Group>,
    /// The new group's name, kept when refused.
    pub new_name: String,
    pub errors: FieldErrors,
    pub can_change: bool,
}

async fn groups_page(
    s: &ApiState,
    ctx: Ctx,
    status: StatusCode,
    name: String,
    errors: FieldErrors,
) -> Response {
    let groups = match s.gw.store.list_groups().await {
        Ok(g) => g,
        Err(e) => return page::store_failed(ctx, e),
    };
    let page = GroupsPage {
        can_change: ctx.role() >= Some(Role::Sender),
        groups,
        new_name: name,
        errors,
        ctx,
    };
    render(&page.ctx, status, &page)
}

pub async fn list(State(s): State<ApiState>, ctx: Ctx) -> Response {
    groups_page(&s, ctx, StatusCode::OK, String::new(), FieldErrors::default()).await
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct NewGroupForm {
    #[serde(default)]
    name: String,
}

pub async fn create(State(s): State<ApiState>, ctx: Ctx, Form(f): Form<NewGroupForm>) -> Response {
    match s.gw.store.create_group(&f.name, None).await {
        Ok(g) => (
            Audit::action("group.create").target("group", &g.uuid).after(&g),
            redirect_with(&format!("/groups/{}", g.uuid), "flash-group-created"),
        )
            .into_response(),
        Err(e) => match FieldErrors::from_store(ctx.lang, e) {
            Ok(errors) => groups_page(&s, ctx, StatusCode::UNPROCESSABLE_ENTITY, f.name, errors).await,
            Err(e) => page::store_failed(ctx, e),
        },
    }
}

#[derive(Template)]
#[template(path = "group.html")]
pub struct GroupPage {
    pub ctx: Ctx,
    pub group: Group,
    pub members: Vec<Row>,
    pub next: Option<String>,
    pub phone: String,
    pub errors: FieldErrors,
    pub can_change: bool,
}

async fn group_page(
    s: &ApiState,
    ctx: Ctx,
    uuid: &str,
    after: Option<i64>,
    status: StatusCode,
    phone: String,
    errors: FieldErrors,
) -> Response {
    let group = match s.gw.store.get_group(uuid).await {
        Ok(g) => g,
        Err(StoreError::NotFound(_)) => return page::not_found(ctx),
        Err(e) => return page::store_failed(ctx, e),
    };
    let paging = Paging::new(after, None, false, Some(PAGE_ROWS));
    let listed =
        s.gw.store
            .list_contacts(&ContactFilter {
                query: None,
                group_id: Some(group.id),
                page: paging,
            })
            .await;
    let found = match listed {
        Ok(c) => c,
        Err(e) => return page::store_failed(ctx, e),
    };
    let next = paging
        .next(&found, |c| c.id)
        .map(|id| format!("/groups/{}?after={id}", group.uuid));
    let page = GroupPage {
        can_change: ctx.role() >= Some(Role::Sender) && group.query.is_none(),
        members: found.iter().map(|c| super::contacts::row(c, &[])).collect(),
        group,
        next,
        phone,
        errors,
        ctx,
    };
    render(&page.ctx, status, &page)
}

pub async fn show(
    State(s): State<ApiState>,
    ctx: Ctx,
    Path(uuid): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let after = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "after")
        .and_then(|(_, v)| v.parse().ok());
    group_page(
        &s,
        ctx,
        &uuid,
        after,
        StatusCode::OK,
        String::new(),
        FieldErrors::default(),
    )
    .await
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct MemberForm {
    /// A phone number (add) or a contact's UUID (remove).
    #[serde(default)]
    phone: String,
    #[serde(default)]
    contact: String,
}

pub async fn add_member(
    State(s): State<ApiState>,
    ctx: Ctx,
    Path(uuid): Path<String>,
    Form(f): Form<MemberForm>,
) -> Response {
    change(s, ctx, uuid, f.phone, false).await
}

pub async fn remove_member(
    State(s): State<ApiState>,
    ctx: Ctx,
    Path(uuid): Path<String>,
    Form(f): Form<MemberForm>,
) -> Response {
    change(s, ctx, uuid, f.contact, true).await
}

async fn change(s: ApiState, ctx: Ctx, uuid: String, who: String, remove: bool) -> Response {
    let country = s.gw.config.contacts.default_country.clone();
    let refs = [who.clone()];
    match s
        .gw
        .store
        .change_members(&uuid, &refs, remove, country.as_deref())
        .await
    {
        Ok(g) => {
            let action = if remove {
                "group.members.remove"
            } else {
                "group.members.add"
            };
            (
                Audit::action(action)
                    .target("group", &g.uuid)
                    .after(&serde_json::json!({ "contacts": refs })),
                redirect_with(&format!("/groups/{}", g.uuid), "flash-members-changed"),
            )
                .into_response()
        }
        Err(StoreError::NotFound(_)) => page::not_found(ctx),
        Err(e) => {
            let mut errors = FieldErrors::default();
            match e {
                // A member named by a phone no one has, or not a phone at all.
                StoreError::Invalid {
                    ref field,
                    ref message,
                } if field.starts_with("contacts[") => {
                    let key = if message.starts_with("no contact") {
                        "group-no-such-phone"
                    } else {
                        "group-bad-phone"
                    };
                    errors.add("phone", ctx.t(key));
                }
                StoreError::Invalid { ref field, .. } if field == "group" => {
                    errors.general = Some(ctx.t("group-smart-members"));
                }
                other => return page::store_failed(ctx, other),
            }
            let phone = if remove { String::new() } else { who };
            group_page(
                &s,
                ctx,
                &uuid,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                phone,
                errors,
            )
            .await
        }
    }
}
