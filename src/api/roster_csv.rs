//! A roster as a CSV file: read into a table, each column mapped to what
//! it holds (the name, a phone number, a custom field, ...), and turned
//! into the rows `Store::import_contacts` takes. Used by
//! `POST /api/v1/contacts/import/preview` and `/contacts/import/csv`, and by
//! the console's import pages, so a file imports the same either way.
//! Knows nothing of HTTP; the store checks the values.

use std::collections::BTreeSet;

use crate::store::{NewContact, StoreError};

/// Rows a preview shows: enough to recognise the file and check a mapping.
pub const PREVIEW_ROWS: usize = 10;

/// What a column may be mapped to, besides `fields.<key>`. An empty target
/// leaves the column out.
pub const TARGETS: &[&str] = &["", "name", "phone", "language", "external_id", "group"];

/// Several groups in one cell are separated by this.
const GROUP_SEPARATOR: char = ';';

/// A CSV file: its header line and its rows (each as long as the header).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The file as a table, or why it cannot be read (field `file`).
pub fn read(bytes: &[u8]) -> Result<Table, StoreError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        StoreError::invalid(
            "file",
            format!(
                "is not UTF-8 text (byte {}); save it as \"CSV UTF-8\"",
                e.valid_up_to()
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| StoreError::invalid("file", format!("is not CSV: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(StoreError::invalid(
            "file",
            "is empty: the first line must name the columns",
        ));
    }
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| StoreError::invalid("file", format!("is not CSV: {e}")))?;
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let mut row: Vec<String> = rec.iter().map(str::to_string).collect();
        row.resize(headers.len(), String::new());
        rows.push(row);
    }
    Ok(Table { headers, rows })
}

/// The line of the file row `i` (0-based, after the header) is on, as a
/// spreadsheet numbers it.
pub fn line_of(i: usize) -> usize {
    i + 2
}

/// The row a store problem's field names (`contacts[3].fields.cadre` → 3).
pub fn row_of(field: &str) -> Option<usize> {
    field.strip_prefix("contacts[")?.split(']').next()?.parse().ok()
}

/// The column a store problem's field names, by the mapping.
pub fn column_of<'a>(field: &str, table: &'a Table, mapping: &[String]) -> Option<&'a str> {
    let rest = field.split_once("].").map(|(_, r)| r).unwrap_or("");
    let target = match rest.split(['[', '.']).next().unwrap_or("") {
        "urns" => "phone".to_string(),
        "fields" => format!("fields.{}", rest.trim_start_matches("fields.")),
        "groups" => "group".to_string(),
        other => other.to_string(),
    };
    mapping
        .iter()
        .position(|m| *m == target)
        .and_then(|i| table.headers.get(i))
        .map(String::as_str)
}

/// What a column headed `header` most likely holds.
pub fn guess(header: &str, field_keys: &[String]) -> String {
    let h: String = header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    let h = h.trim_matches('_');
    let known = match h {
        "name" | "full_name" | "names" | "jina" | "nom" | "nome" => "name",
        "phone" | "tel" | "telephone" | "phone_number" | "mobile" | "msisdn" | "simu" | "urn" => "phone",
        "language" | "lang" | "lugha" | "langue" | "lingua" => "language",
        "external_id" | "id" | "staff_id" | "hris_id" | "staff_number" => "external_id",
        "group" | "groups" => "group",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    match field_keys.iter().find(|k| k.as_str() == h) {
        Some(k) => format!("fields.{k}"),
        None => String::new(),
    }
}

/// The rows to import, `mapping[i]` naming what column `i` holds. A mapping
/// problem is refused with the column's field (`map_<i>`, or `mapping`);
/// the values are the store's to check.
pub fn contacts(table: &Table, mapping: &[String]) -> Result<Vec<NewContact>, StoreError> {
    if mapping.len() != table.headers.len() {
        return Err(StoreError::invalid(
            "mapping",
            format!(
                "gives {} columns and the file has {}",
                mapping.len(),
                table.headers.len()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, m) in mapping.iter().enumerate() {
        let field = || format!("map_{i}");
        let known = TARGETS.contains(&m.as_str()) || m.strip_prefix("fields.").is_some_and(|k| !k.is_empty());
        if !known {
            return Err(StoreError::invalid(
                field(),
                format!("unknown column target {m:?}"),
            ));
        }
        // Several phone and group columns add up; anything else twice
        // would keep one value and lose the other.
        if !matches!(m.as_str(), "" | "phone" | "group") && !seen.insert(m.as_str()) {
            return Err(StoreError::invalid(
                field(),
                format!("{m} is already given by another column"),
            ));
        }
    }
    if !mapping.iter().any(|m| m == "phone") {
        return Err(StoreError::invalid(
            "mapping",
            "one column must be the phone number",
        ));
    }
    Ok(table
        .rows
        .iter()
        .map(|row| {
            let mut c = NewContact::default();
            for (m, v) in mapping.iter().zip(row) {
                if v.is_empty() {
                    continue;
                }
                match m.as_str() {
                    "name" => c.name = Some(v.clone()),
                    "phone" => c.urns.push(v.clone()),
                    "language" => c.language = Some(v.clone()),
                    "external_id" => c.external_id = Some(v.clone()),
                    "group" => c.groups.extend(
                        v.split(GROUP_SEPARATOR)
                            .map(str::trim)
                            .filter(|g| !g.is_empty())
                            .map(str::to_string),
                    ),
                    other => {
                        if let Some(k) = other.strip_prefix("fields.") {
                            c.fields
                                .insert(k.to_string(), serde_json::Value::String(v.clone()));
                        }
                    }
                }
            }
            c
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roster_is_read_and_mapped() {
        let t =
            read("\u{feff}Name,Phone,District\nAmina,0712000001,Kilosa\n\n,0712000002\n".as_bytes()).unwrap();
        assert_eq!(t.headers, ["Name", "Phone", "District"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1], ["", "0712000002", ""]);
        let keys = vec!["district".to_string()];
        let mapping: Vec<String> = t.headers.iter().map(|h| guess(h, &keys)).collect();
        assert_eq!(mapping, ["name", "phone", "fields.district"]);
        let rows = contacts(&t, &mapping).unwrap();
        assert_eq!(rows[0].name.as_deref(), Some("Amina"));
        assert_eq!(rows[0].fields["district"], "Kilosa");
        assert!(rows[1].name.is_none() && rows[1].fields.is_empty());
    }

    #[test]
    fn a_mapping_without_a_phone_or_with_a_column_twice_is_refused() {
        let t = read(b"a,b\n1,2\n").unwrap();
        let e = contacts(&t, &["name".into(), "".into()]).unwrap_err();
        assert!(e.to_string().contains("phone"), "{e}");
        let e = contacts(&t, &["name".into(), "name".into()]).unwrap_err();
        assert!(
            matches!(e, StoreError::Invalid { ref field, .. } if field == "map_1"),
            "{e}"
        );
        assert!(read(b"\xff\xfe").is_err());
    }

    #[test]
    fn problems_point_at_their_row_and_column() {
        let t = read(b"Phone,Cadre\n1,x\n").unwrap();
        let m = vec!["phone".to_string(), "fields.cadre".to_string()];
        assert_eq!(row_of("contacts[12].urns[0]"), Some(12));
        assert_eq!(column_of("contacts[0].urns[0]", &t, &m), Some("Phone"));
        assert_eq!(column_of("contacts[0].fields.cadre", &t, &m), Some("Cadre"));
        assert_eq!(line_of(0), 2);
    }
}
