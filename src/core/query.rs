//! The contact query language used by smart groups and targeted sends:
//!
//! ```text
//! cadre = "midwife" AND district = "Kilosa"
//! (cadre = nurse OR cadre = midwife) AND NOT has training_date
//! age >= 30 AND facility ~ "dispensary" AND group = "Trained 2026"
//! ```
//!
//! Comparisons follow the field's type: text and location compare without
//! case, numbers as decimals, datetimes by instant (`=` by UTC day). `= ""`
//! means "not set" and `!= ""` "set"; `has field` is "set"; `field has word`
//! and `field ~ text` are "contains". A missing value never equals anything.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use rust_decimal::Decimal;

use super::contact::{parse_datetime, parse_decimal, FieldType};

/// Longest query we accept: queries are typed by people and stored in rows.
pub const MAX_QUERY_LEN: usize = 4096;
/// Nesting limit, so a hostile query cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "~",
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Not(Box<Query>),
    Has(String),
    Cmp { attr: String, op: Op, value: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("query is empty")]
    Empty,
    #[error("query is longer than {MAX_QUERY_LEN} characters")]
    TooLong,
    #[error("query nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("at character {pos}: {msg}")]
    Syntax { pos: usize, msg: String },
    #[error("unknown field {0:?}")]
    UnknownField(String),
    #[error("{attr:?} is a {ty} field: operator {op} does not apply")]
    BadOperator { attr: String, ty: String, op: Op },
    #[error("{attr:?} is a {ty} field and {value:?} is not a valid {ty}")]
    BadValue { attr: String, ty: String, value: String },
    #[error("smart groups cannot be defined by group membership")]
    GroupInSmartGroup,
}

/// Built-in contact attributes a query may name besides custom fields.
const ATTRIBUTES: &[&str] = &[
    "name", "language", "status", "tel", "urn", "uuid", "group", "tickets",
];

/// The type a built-in attribute compares as: `tickets` counts open tickets.
fn attribute_type(attr: &str) -> FieldType {
    if attr == "tickets" {
        FieldType::Number
    } else {
        FieldType::Text
    }
}

/// What a query is evaluated against.
pub struct ContactView<'a> {
    pub uuid: &'a str,
    pub name: Option<&'a str>,
    pub language: Option<&'a str>,
    pub status: &'a str,
    pub urns: &'a [String],
    pub fields: &'a BTreeMap<String, serde_json::Value>,
    pub groups: &'a [String],
    /// How many open tickets the contact has.
    pub tickets: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(Op),
    LParen,
    RParen,
}

fn tokenize(src: &str) -> Result<Vec<(usize, Tok)>, QueryError> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((pos, Tok::LParen));
                i += 1
            }
            ')' => {
                out.push((pos, Tok::RParen));
                i += 1
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(QueryError::Syntax {
                                pos,
                                msg: "unterminated string".into(),
                            })
                        }
                        Some((_, '"')) => break,
                        Some((_, '\\')) if i + 1 < chars.len() => {
                            s.push(chars[i + 1].1);
                            i += 2;
                            continue;
                        }
                        Some((_, ch)) => s.push(*ch),
                    }
                    i += 1;
                }
                i += 1;
                out.push((pos, Tok::Str(s)));
            }
            '=' | '!' | '<' | '>' | '~' => {
                let next = chars.get(i + 1).map(|x| x.1);
                let (op, len) = match (c, next) {
                    ('!', Some('=')) => (Op::Ne, 2),
                    ('<', Some('=')) => (Op::Le, 2),
                    ('>', Some('=')) => (Op::Ge, 2),
                    ('=', _) => (Op::Eq, 1),
                    ('<', _) => (Op::Lt, 1),
                    ('>', _) => (Op::Gt, 1),
                    ('~', _) => (Op::Contains, 1),
                    _ => {
                        return Err(QueryError::Syntax {
                            pos,
                            msg: "expected != ".into(),
                        })
                    }
                };
                out.push((pos, Tok::Op(op)));
                i += len;
            }
            _ => {
                let start = i;
                while i < chars.len() {
                    let ch = chars[i].1;
                    if ch.is_whitespace() || "()\"=!<>~".contains(ch) {
                        break;
                    }
                    i += 1;
                }
                let word: String = chars[start..i].iter().map(|x| x.1).collect();
                out.push((pos, Tok::Word(word)));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.1)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.at).map(|t| t.0).unwrap_or(self.end)
    }
    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    fn err<T>(&self, msg: impl Into<String>) -> Result<T, QueryError> {
        Err(QueryError::Syntax {
            pos: self.pos(),
            msg: msg.into(),
        })
    }

    fn or(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut left = self.and(depth)?;
        while self.keyword("or") {
            self.at += 1;
            let right = self.and(depth)?;
            left = Query::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut left = self.not(depth)?;
        while self.keyword("and") {
            self.at += 1;
            let right = self.not(depth)?;
            left = Query::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self, depth: usize) -> Result<Query, QueryError> {
        if depth > MAX_DEPTH {
            return Err(QueryError::TooDeep);
        }
        if self.keyword("not") {
            self.at += 1;
            return Ok(Query::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Query, QueryError> {
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.at += 1;
                let q = self.or(depth + 1)?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.err("expected )");
                }
                self.at += 1;
                Ok(q)
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("has") => {
                self.at += 1;
                match self.peek().cloned() {
                    Some(Tok::Word(f)) => {
                        self.at += 1;
                        Ok(Query::Has(f.to_lowercase()))
                    }
                    _ => self.err("expected a field name after has"),
                }
            }
            Some(Tok::Word(attr)) => {
                self.at += 1;
                let op = match self.peek().cloned() {
                    Some(Tok::Op(op)) => op,
                    Some(Tok::Word(w)) if w.eq_ignore_ascii_case("has") => Op::Contains,
                    _ => return self.err(format!("expected an operator after {attr:?}")),
                };
                self.at += 1;
                let value = match self.peek().cloned() {
                    Some(Tok::Word(v)) | Some(Tok::Str(v)) => v,
                    _ => return self.err("expected a value"),
                };
                self.at += 1;
                Ok(Query::Cmp {
                    attr: attr.to_lowercase(),
                    op,
                    value,
                })
            }
            Some(_) => self.err("expected a condition"),
            None => self.err("unexpected end of query"),
        }
    }
}

impl Query {
    pub fn parse(src: &str) -> Result<Query, QueryError> {
        if src.len() > MAX_QUERY_LEN {
            return Err(QueryError::TooLong);
        }
        let toks = tokenize(src)?;
        if toks.is_empty() {
            return Err(QueryError::Empty);
        }
        let mut p = Parser {
            toks,
            at: 0,
            end: src.len(),
        };
        let q = p.or(0)?;
        if p.at < p.toks.len() {
            return p.err("unexpected text after the query (missing AND/OR?)");
        }
        Ok(q)
    }

    /// Check field names, operators and values against the field types.
    pub fn check(&self, fields: &HashMap<String, FieldType>, smart_group: bool) -> Result<(), QueryError> {
        match self {
            Query::And(a, b) | Query::Or(a, b) => {
                a.check(fields, smart_group)?;
                b.check(fields, smart_group)
            }
            Query::Not(a) => a.check(fields, smart_group),
            Query::Has(f) => {
                if ATTRIBUTES.contains(&f.as_str()) || fields.contains_key(f) {
                    Ok(())
                } else {
                    Err(QueryError::UnknownField(f.clone()))
                }
            }
            Query::Cmp { attr, op, value } => {
                if attr == "group" && smart_group {
                    return Err(QueryError::GroupInSmartGroup);
                }
                let ty = if ATTRIBUTES.contains(&attr.as_str()) {
                    attribute_type(attr)
                } else {
                    *fields
                        .get(attr)
                        .ok_or_else(|| QueryError::UnknownField(attr.clone()))?
                };
                let bad_op = || QueryError::BadOperator {
                    attr: attr.clone(),
                    ty: ty.to_string(),
                    op: *op,
                };
                let bad_value = || QueryError::BadValue {
                    attr: attr.clone(),
                    ty: ty.to_string(),
                    value: value.clone(),
                };
                match ty {
                    FieldType::Text | FieldType::Location => {
                        if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) {
                            return Err(bad_op());
                        }
                    }
                    FieldType::Number => {
                        if *op == Op::Contains {
                            return Err(bad_op());
                        }
                        if !value.is_empty() && parse_decimal(value).is_none() {
                            return Err(bad_value());
                        }
                    }
                    FieldType::Datetime => {
                        if *op == Op::Contains {
                            return Err(bad_op());
                        }
                        if !value.is_empty() && parse_datetime(value).is_none() {
                            return Err(bad_value());
                        }
                    }
                }
                Ok(())
            }
        }
    }

    pub fn matches(&self, c: &ContactView<'_>, fields: &HashMap<String, FieldType>) -> bool {
        match self {
            Query::And(a, b) => a.matches(c, fields) && b.matches(c, fields),
            Query::Or(a, b) => a.matches(c, fields) || b.matches(c, fields),
            Query::Not(a) => !a.matches(c, fields),
            Query::Has(f) => !values_of(c, f).is_empty(),
            Query::Cmp { attr, op, value } => {
                if attr == "group" {
                    let member = c.groups.iter().any(|g| g.eq_ignore_ascii_case(value));
                    return match op {
                        Op::Eq => member,
                        Op::Ne => !member,
                        _ => false,
                    };
                }
                let ty = fields.get(attr).copied().unwrap_or_else(|| attribute_type(attr));
                let have = values_of(c, attr);
                if value.is_empty() {
                    return match op {
                        Op::Eq => have.is_empty(),
                        Op::Ne => !have.is_empty(),
                        _ => false,
                    };
                }
                match op {
                    Op::Ne => !have.iter().any(|h| compare(ty, h, Op::Eq, value)),
                    _ => have.iter().any(|h| compare(ty, h, *op, value)),
                }
            }
        }
    }
}

fn values_of(c: &ContactView<'_>, attr: &str) -> Vec<String> {
    let one = |v: Option<&str>| {
        v.filter(|s| !s.is_empty())
            .map(|s| vec![s.to_string()])
            .unwrap_or_default()
    };
    match attr {
        "name" => one(c.name),
        "language" => one(c.language),
        "status" => one(Some(c.status)),
        "uuid" => one(Some(c.uuid)),
        "urn" => c.urns.to_vec(),
        "tel" => c
            .urns
            .iter()
            .filter_map(|u| u.strip_prefix("tel:").map(str::to_string))
            .collect(),
        "group" => c.groups.to_vec(),
        "tickets" => vec![c.tickets.to_string()],
        field => match c.fields.get(field) {
            None | Some(serde_json::Value::Null) => vec![],
            Some(serde_json::Value::String(s)) if s.is_empty() => vec![],
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(other) => vec![other.to_string()],
        },
    }
}

fn compare(ty: FieldType, have: &str, op: Op, want: &str) -> bool {
    match ty {
        FieldType::Text => {
            let (h, w) = (have.to_lowercase(), want.to_lowercase());
            match op {
                Op::Eq => h == w,
                Op::Contains => h.contains(&w),
                _ => false,
            }
        }
        FieldType::Location => {
            let h = have.to_lowercase();
            let w = want.to_lowercase();
            let last = h.rsplit('>').next().unwrap_or(&h).trim().to_string();
            match op {
                Op::Eq => h == w || last == w,
                Op::Contains => h.contains(&w),
                _ => false,
            }
        }
        FieldType::Number => match (parse_decimal(have), parse_decimal(want)) {
            (Some(h), Some(w)) => ord_matches(op, h.cmp(&w)),
            _ => false,
        },
        FieldType::Datetime => match (parse_datetime(have), parse_datetime(want)) {
            (Some(h), Some(w)) => {
                if op == Op::Eq {
                    h.date_naive() == w.date_naive()
                } else {
                    ord_matches(op, h.cmp(&w))
                }
            }
            _ => false,
        },
    }
}

fn ord_matches(op: Op, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => ord == Equal,
        Op::Ne => ord != Equal,
        Op::Lt => ord == Less,
        Op::Le => ord != Greater,
        Op::Gt => ord == Greater,
        Op::Ge => ord != Less,
        Op::Contains => false,
    }
}

/// Decimal is re-exported for callers that build numeric values.
pub type Number = Decimal;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn types() -> HashMap<String, FieldType> {
        [
            ("cadre", FieldType::Text),
            ("district", FieldType::Location),
            ("age", FieldType::Number),
            ("training_date", FieldType::Datetime),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn eval(q: &str, fields: serde_json::Value, groups: &[&str]) -> bool {
        let fields: BTreeMap<String, serde_json::Value> = serde_json::from_value(fields).unwrap();
        let groups: Vec<String> = groups.iter().map(|s| s.to_string()).collect();
        let urns = vec!["tel:+255712345678".to_string()];
        let view = ContactView {
            uuid: "u",
            name: Some("Amina"),
            language: Some("swa"),
            status: "active",
            urns: &urns,
            fields: &fields,
            groups: &groups,
            tickets: 0,
        };
        let q = Query::parse(q).unwrap();
        q.check(&types(), false).unwrap();
        q.matches(&view, &types())
    }

    #[test]
    fn the_issue_example() {
        let f = json!({"cadre": "Midwife", "district": "Tanzania > Morogoro > Kilosa"});
        assert!(eval(
            r#"cadre = "midwife" AND district = "Kilosa""#,
            f.clone(),
            &[]
        ));
        assert!(!eval(
            r#"cadre = "midwife" AND district = "Mvomero""#,
            f.clone(),
            &[]
        ));
        assert!(eval(r#"cadre = nurse OR district = kilosa"#, f.clone(), &[]));
        assert!(eval(r#"cadre != nurse"#, f, &[]));
    }

    #[test]
    fn typed_comparisons() {
        let f = json!({"age": "34", "training_date": "2026-03-01T09:00:00Z"});
        assert!(eval("age > 30 AND age < 35", f.clone(), &[]));
        assert!(!eval("age >= 35", f.clone(), &[]));
        assert!(eval("training_date = 2026-03-01", f.clone(), &[]));
        assert!(eval("training_date < 2026-04-01", f.clone(), &[]));
        assert!(eval("has age AND NOT has cadre", f.clone(), &[]));
        assert!(eval(r#"cadre = """#, f.clone(), &[]));
        assert!(eval(r#"age != """#, f.clone(), &[]));
        // A missing value never equals anything, and "!=" holds for it.
        assert!(!eval("cadre = nurse", f.clone(), &[]));
        assert!(eval("cadre != nurse", f, &[]));
    }

    #[test]
    fn attributes_and_groups() {
        let f = json!({});
        assert!(eval("name ~ ami AND language = SWA", f.clone(), &[]));
        assert!(eval("tel = +255712345678", f.clone(), &[]));
        assert!(eval(r#"group = "Trained 2026""#, f.clone(), &["trained 2026"]));
        assert!(eval("name has ami", f.clone(), &[]));
        // The test contact has no open tickets; `tickets` compares as a number.
        assert!(eval("tickets = 0", f.clone(), &[]));
        assert!(!eval("tickets > 0", f, &[]));
    }

    #[test]
    fn precedence_and_parentheses() {
        let q = Query::parse("a = 1 OR b = 2 AND c = 3").unwrap();
        assert!(matches!(q, Query::Or(_, _)));
        let q = Query::parse("(a = 1 OR b = 2) AND c = 3").unwrap();
        assert!(matches!(q, Query::And(_, _)));
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(Query::parse("  "), Err(QueryError::Empty));
        assert!(matches!(
            Query::parse("cadre ="),
            Err(QueryError::Syntax { pos: 7, .. })
        ));
        assert!(matches!(
            Query::parse("cadre = \"x"),
            Err(QueryError::Syntax { .. })
        ));
        assert!(matches!(
            Query::parse("cadre = x y"),
            Err(QueryError::Syntax { .. })
        ));
        let deep = format!("{}a = 1{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(Query::parse(&deep), Err(QueryError::TooDeep));
        let t = types();
        assert_eq!(
            Query::parse("rank = 1").unwrap().check(&t, false),
            Err(QueryError::UnknownField("rank".into()))
        );
        assert!(matches!(
            Query::parse("age ~ 3").unwrap().check(&t, false),
            Err(QueryError::BadOperator { .. })
        ));
        assert!(matches!(
            Query::parse("age = old").unwrap().check(&t, false),
            Err(QueryError::BadValue { .. })
        ));
        assert_eq!(
            Query::parse("group = x").unwrap().check(&t, true),
            Err(QueryError::GroupInSmartGroup)
        );
    }
}
