//! What the directory of health workers counts: how many contacts a query
//! matches, evaluated the same way as a listing and a smart group's
//! rebuild, so "N match" is the number a smart group made of them holds.

use super::{Result, Store, StoreError};
use crate::core::query::{Query, QueryError};

impl Store {
    /// How many contacts match `query` (every contact without one).
    pub async fn count_matching(&self, query: Option<&Query>) -> Result<i64> {
        match query {
            Some(q) => Ok(self.query_contact_ids(q).await?.len() as i64),
            None => self.count_contacts().await,
        }
    }
}

impl Store {
    /// `q` parsed and checked against the custom fields, as a listing or a
    /// count takes it. A value or operator that does not fit its field is
    /// refused as `query.<field>`, anything else as `query`.
    pub async fn contact_query(&self, q: &str) -> Result<Query> {
        let parsed = Query::parse(q).map_err(|e| StoreError::invalid("query", e.to_string()))?;
        parsed
            .check(&self.field_types().await?, false)
            .map_err(|e| StoreError::invalid(query_field(&e), e.to_string()))?;
        Ok(parsed)
    }
}

fn query_field(e: &QueryError) -> String {
    match e {
        QueryError::BadValue { attr, .. } | QueryError::BadOperator { attr, .. } => format!("query.{attr}"),
        QueryError::UnknownField(attr) => format!("query.{attr}"),
        _ => "query".to_string(),
    }
}

impl Store {
    /// The custom fields' keys, in key order.
    pub async fn field_keys(&self) -> Result<Vec<String>> {
        Ok(self
            .list_fields()
            .await?
            .iter()
            .filter_map(|f| f["key"].as_str().map(str::to_string))
            .collect())
    }
}
