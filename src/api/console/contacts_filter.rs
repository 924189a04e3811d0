//! The directory's filter: what the list's form asks (a search, the
//! language, the status, a value per custom field), as GET parameters and
//! as a query in the language smart groups keep (`core::query`), so the
//! list, its count and a smart group made of it match the same workers.

use super::contacts::FieldInfo;

/// The list's filter, as GET parameters and as a query.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub search: String,
    pub language: String,
    pub status: String,
    /// (field key, wanted value) for every custom field.
    pub fields: Vec<(String, String)>,
}

impl Filter {
    pub fn from_pairs(pairs: &[(String, String)], fields: &[FieldInfo]) -> Filter {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        Filter {
            search: get("q"),
            language: get("language"),
            status: get("status"),
            fields: fields
                .iter()
                .map(|f| (f.key.clone(), get(&format!("field-{}", f.key))))
                .collect(),
        }
    }

    /// The wanted value of field `key`.
    pub fn value(&self, key: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The conditions, all of which a worker meets; `None` for everyone.
    pub fn query(&self) -> Option<String> {
        let mut conds = Vec::new();
        if !self.search.is_empty() {
            let v = quoted(&self.search);
            // A number as people write it (0713 ...) is stored
            // international (+255713...): its digits after the 0 match too.
            let digits: String = self.search.chars().filter(|c| !c.is_whitespace()).collect();
            let local = match digits.strip_prefix('0') {
                Some(rest) if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) => {
                    format!(" OR tel ~ {}", quoted(rest))
                }
                _ => String::new(),
            };
            conds.push(format!("(name ~ {v} OR tel ~ {v}{local})"));
        }
        if !self.language.is_empty() {
            conds.push(format!("language = {}", quoted(&self.language)));
        }
        if !self.status.is_empty() {
            conds.push(format!("status = {}", quoted(&self.status)));
        }
        for (k, v) in self.fields.iter().filter(|(_, v)| !v.is_empty()) {
            conds.push(format!("{k} = {}", quoted(v)));
        }
        (!conds.is_empty()).then(|| conds.join(" AND "))
    }

    /// The GET parameters that say this filter (empty ones left out).
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("q".to_string(), self.search.clone()),
            ("language".to_string(), self.language.clone()),
            ("status".to_string(), self.status.clone()),
        ];
        out.extend(self.fields.iter().map(|(k, v)| (format!("field-{k}"), v.clone())));
        out.retain(|(_, v)| !v.is_empty());
        out
    }

    /// `/contacts?...` for this filter and a cursor.
    pub fn href(&self, cursor: Option<(&str, i64)>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            q.append_pair(&k, &v);
        }
        if let Some((k, id)) = cursor {
            q.append_pair(k, &id.to_string());
        }
        format!("/contacts?{}", q.finish())
    }
}

/// A value as a query string literal.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_a_query_of_all_its_conditions() {
        let f = Filter {
            search: "0713 000".into(),
            status: "stopped".into(),
            fields: vec![
                ("district".into(), "Kilosa \"North\"".into()),
                ("cadre".into(), String::new()),
            ],
            ..Filter::default()
        };
        assert_eq!(
            f.query().as_deref(),
            Some(
                "(name ~ \"0713 000\" OR tel ~ \"0713 000\" OR tel ~ \"713000\") AND status = \"stopped\" \
                 AND district = \"Kilosa \\\"North\\\"\""
            )
        );
        assert!(crate::core::query::Query::parse(&f.query().unwrap()).is_ok());
        assert_eq!(Filter::default().query(), None);
        assert_eq!(f.pairs().len(), 3);
    }
}
