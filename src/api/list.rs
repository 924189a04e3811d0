//! Query strings, declared once per endpoint as a plain `Deserialize` struct
//! of its filters: [`Params`] for an endpoint without paging, [`List`] for a
//! paged list, which adds `after`, `before`, `order` and `limit` (see
//! [`crate::store::Paging`]). A parameter the endpoint does not know is
//! refused with 400, naming it and the ones accepted, instead of being
//! ignored (a misspelt filter would otherwise answer everything). Adding a
//! filter is one field in the endpoint's struct.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_aux::serde_introspection::serde_introspect;
use serde_json::{json, Value};

use super::ApiError;
use crate::store::Paging;

/// The direction of a list, by row id (creation order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

/// The parameters every paged list shares.
#[derive(Debug, Default, Deserialize)]
struct PageParams {
    /// Rows with a greater id (the `next` of the previous page, ascending).
    after: Option<i64>,
    /// Rows with a smaller id (the `next` of the previous page, descending).
    before: Option<i64>,
    #[serde(default)]
    order: Order,
    limit: Option<i64>,
}

/// For endpoints that take no filter of their own.
#[derive(Debug, Default, Deserialize)]
pub struct NoFilter {}

/// For small lists answered whole (links, nodes, fields, registries): only
/// the direction, over their natural order (by name or as configured).
#[derive(Debug, Default, Deserialize)]
pub struct Ordered {
    #[serde(default)]
    order: Order,
}

impl Ordered {
    pub fn apply<T>(&self, mut rows: Vec<T>) -> Vec<T> {
        if self.order == Order::Desc {
            rows.reverse();
        }
        rows
    }
}

/// The query string of an endpoint without paging: `T`'s fields and no
/// others.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        refuse_unknown(query, &[serde_introspect::<T>()])?;
        Ok(Params(parse(query)?))
    }
}

/// The query string of a paged list: the filters `F` and the window.
pub struct List<F> {
    pub page: Paging,
    pub filter: F,
}

impl<S: Send + Sync, F: DeserializeOwned> FromRequestParts<S> for List<F> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        List::from_query(parts.uri.query().unwrap_or_default())
    }
}

impl<F: DeserializeOwned> List<F> {
    fn from_query(query: &str) -> Result<Self, ApiError> {
        refuse_unknown(
            query,
            &[serde_introspect::<F>(), serde_introspect::<PageParams>()],
        )?;
        // Both read the whole query string and skip each other's keys:
        // unknown ones were refused above.
        let p: PageParams = parse(query)?;
        let filter: F = parse(query)?;
        Ok(List {
            page: Paging::new(p.after, p.before, p.order == Order::Desc, p.limit),
            filter,
        })
    }
}

impl<F> List<F> {
    /// `{"results": [...], "next": id}`: `next` is the cursor for the
    /// following page (pass it as `after`, or as `before` with
    /// `order=desc`), null when this page was the last.
    pub fn answer<T: Serialize>(&self, rows: &[T], id: impl Fn(&T) -> i64) -> Json<Value> {
        Json(json!({ "results": rows, "next": self.page.next(rows, id) }))
    }
}

fn refuse_unknown(query: &str, accepted: &[&[&str]]) -> Result<(), ApiError> {
    for (key, _) in form_urlencoded::parse(query.as_bytes()) {
        if !accepted.iter().any(|names| names.contains(&key.as_ref())) {
            let all: Vec<&str> = accepted.iter().flat_map(|n| n.iter().copied()).collect();
            let list = if all.is_empty() {
                "this endpoint takes no parameters".to_string()
            } else {
                format!("accepted: {}", all.join(", "))
            };
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                key.as_ref(),
                format!("unknown parameter {key:?}; {list}"),
            ));
        }
    }
    Ok(())
}

/// Deserialize a query string; a bad value names its parameter.
fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| ApiError::undecodable(e, "invalid query string"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Filters {
        status: Option<String>,
    }

    fn list(query: &str) -> Result<List<Filters>, ApiError> {
        List::from_query(query)
    }

    #[test]
    fn filters_and_window_come_from_one_query_string() {
        let l = list("status=sent&order=desc&before=40&limit=5").unwrap();
        assert_eq!(l.filter.status.as_deref(), Some("sent"));
        assert_eq!(l.page, Paging::new(None, Some(40), true, Some(5)));
        assert_eq!(list("").unwrap().page, Paging::default());
    }

    #[test]
    fn an_unknown_parameter_is_named_with_the_accepted_ones() {
        let e = list("stauts=sent").err().unwrap();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.field.as_deref(), Some("stauts"));
        assert!(
            e.message
                .contains("accepted: status, after, before, order, limit"),
            "{}",
            e.message
        );
        let e = refuse_unknown("x=1", &[serde_introspect::<NoFilter>()]).unwrap_err();
        assert!(e.message.contains("takes no parameters"), "{}", e.message);
    }

    #[test]
    fn a_bad_value_names_its_parameter() {
        let e = list("order=sideways").err().unwrap();
        assert_eq!(e.field.as_deref(), Some("order"));
        let e = list("after=ten").err().unwrap();
        assert_eq!(e.field.as_deref(), Some("after"));
    }
}
