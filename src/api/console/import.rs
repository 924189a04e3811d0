//! Importing a roster from a CSV file (senders and admins): upload the
//! file, see its first rows with a choice per column of what it holds,
//! import. All or nothing: one bad row and nothing is imported, every bad
//! row listed with its line and column. The file is read and mapped by
//! `api::roster_csv` and imported by `Store::import_contacts`, as
//! `POST /api/v1/contacts/import/preview` and `/contacts/import/csv` do.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::contacts::fields;
use super::form::{FieldErrors, Form};
use super::multipart;
use super::page::{self, redirect_with, render, Ctx};
use crate::api::audit::Audit;
use crate::api::roster_csv::{self, Table};
use crate::api::ApiState;
use crate::store::StoreError;

/// A bad row as the page lists it.
pub struct RowProblem {
    pub line: usize,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub ctx: Ctx,
    /// The file was read: show its rows and the mapping.
    pub preview: bool,
    pub csv: String,
    pub table: Table,
    pub shown_rows: Vec<Vec<String>>,
    pub mapping: Vec<String>,
    /// (target, label) a column may be mapped to.
    pub targets: Vec<(String, String)>,
    pub problems: Vec<RowProblem>,
    /// Problems found beyond those listed.
    pub unlisted: usize,
    pub errors: FieldErrors,
}

impl ImportPage {
    pub fn picked(&self, i: &usize, target: &str) -> bool {
        self.mapping.get(*i).is_some_and(|m| m == target)
    }
}

/// What one import page shows.
#[derive(Default)]
struct Shown {
    csv: String,
    table: Option<Table>,
    mapping: Vec<String>,
    problems: Vec<RowProblem>,
    unlisted: usize,
    errors: FieldErrors,
}

async fn import_page(s: &ApiState, ctx: Ctx, status: StatusCode, shown: Shown) -> Response {
    let fields = match fields(s).await {
        Ok(f) => f,
        Err(e) => return page::store_failed(ctx, e),
    };
    let mut targets: Vec<(String, String)> = roster_csv::TARGETS
        .iter()
        .map(|t| {
            let key = if t.is_empty() {
                "import-skip".to_string()
            } else {
                format!("import-target-{}", t.replace('_', "-"))
            };
            (t.to_string(), ctx.t(&key))
        })
        .collect();
    targets.extend(
        fields
            .iter()
            .map(|f| (format!("fields.{}", f.key), f.name.clone())),
    );
    let preview = shown.table.is_some();
    let table = shown.table.unwrap_or_default();
    let page = ImportPage {
        preview,
        csv: shown.csv,
        shown_rows: table
            .rows
            .iter()
            .take(roster_csv::PREVIEW_ROWS)
            .cloned()
            .collect(),
        table,
        mapping: shown.mapping,
        targets,
        problems: shown.problems,
        unlisted: shown.unlisted,
        errors: shown.errors,
        ctx,
    };
    render(&page.ctx, status, &page)
}

/// The upload form again with `message` beside the file field.
async fn file_refused(s: &ApiState, ctx: Ctx, message: String) -> Response {
    let mut errors = FieldErrors::default();
    errors.add("file", message);
    let shown = Shown {
        errors,
        ..Shown::default()
    };
    import_page(s, ctx, StatusCode::UNPROCESSABLE_ENTITY, shown).await
}

pub async fn upload_page(State(s): State<ApiState>, ctx: Ctx) -> Response {
    import_page(&s, ctx, StatusCode::OK, Shown::default()).await
}

/// The uploaded file (a `multipart/form-data` post), read and shown with
/// the mapping guessed from its header line.
pub async fn preview(State(s): State<ApiState>, ctx: Ctx, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let file = multipart::boundary(content_type)
        .and_then(|b| {
            multipart::parts(&body, &b)?
                .into_iter()
                .find(|p| p.name == "file")
                .map(|p| p.data.to_vec())
        })
        .filter(|d| !d.is_empty());
    let Some(file) = file else {
        let m = ctx.t("import-no-file");
        return file_refused(&s, ctx, m).await;
    };
    let table = match roster_csv::read(&file) {
        Ok(t) => t,
        Err(e) => {
            let m = format!("{} ({e})", ctx.t("import-bad-file"));
            return file_refused(&s, ctx, m).await;
        }
    };
    let keys = match s.gw.store.field_keys().await {
        Ok(k) => k,
        Err(e) => return page::store_failed(ctx, e),
    };
    let shown = Shown {
        // Read as UTF-8 above, so this loses nothing.
        csv: String::from_utf8_lossy(&file).into_owned(),
        mapping: table
            .headers
            .iter()
            .map(|h| roster_csv::guess(h, &keys))
            .collect(),
        table: Some(table),
        ..Shown::default()
    };
    import_page(&s, ctx, StatusCode::OK, shown).await
}

/// The file again (carried by the preview form) with the mapping chosen.
pub async fn import(
    State(s): State<ApiState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let csv = pairs
        .iter()
        .find(|(k, _)| k == "csv")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let table = match roster_csv::read(csv.as_bytes()) {
        Ok(t) => t,
        Err(_) => {
            let m = ctx.t("import-no-file");
            return file_refused(&s, ctx, m).await;
        }
    };
    let mapping: Vec<String> = (0..table.headers.len())
        .map(|i| {
            let name = format!("map_{i}");
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect();
    let done = match roster_csv::contacts(&table, &mapping) {
        Ok(rows) => {
            s.gw.store
                .import_contacts(rows, s.gw.config.contacts.default_country.as_deref())
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(report) => (
            Audit::action("contacts.import")
                .after(&serde_json::json!({"created": report.created, "updated": report.updated})),
            redirect_with("/contacts", "flash-contacts-imported"),
        )
            .into_response(),
        Err(e) => {
            let total = match &e {
                StoreError::Refused { total, .. } => *total,
                _ => 0,
            };
            let errors = match FieldErrors::from_store(ctx.lang, e) {
                Ok(errors) => errors,
                Err(e) => return page::store_failed(ctx, e),
            };
            let (problems, errors) = by_row(errors, &table, &mapping, &ctx);
            let shown = Shown {
                csv,
                unlisted: total.saturating_sub(problems.len()),
                problems,
                mapping,
                table: Some(table),
                errors,
            };
            import_page(&s, ctx, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}

/// Rows' problems as a list by line; the mapping's stay beside their
/// columns' selects.
fn by_row(
    errors: FieldErrors,
    table: &Table,
    mapping: &[String],
    ctx: &Ctx,
) -> (Vec<RowProblem>, FieldErrors) {
    let mut rows = Vec::new();
    let mut rest = FieldErrors::default();
    rest.general = errors.general.clone();
    for (field, message) in errors.each() {
        match roster_csv::row_of(field) {
            Some(i) => rows.push((
                i,
                RowProblem {
                    line: roster_csv::line_of(i),
                    column: roster_csv::column_of(field, table, mapping)
                        .map(str::to_string)
                        .unwrap_or_default(),
                    message: message.to_string(),
                },
            )),
            None if field == "mapping" => {
                rest.general = Some(format!("{} ({message})", ctx.t("import-bad-mapping")))
            }
            None => rest.add(field, message.to_string()),
        }
    }
    rows.sort_by_key(|(i, _)| *i);
    if !rows.is_empty() && rest.general.is_none() {
        rest.general = Some(ctx.t("import-rows-refused"));
    }
    (rows.into_iter().map(|(_, p)| p).collect(), rest)
}
