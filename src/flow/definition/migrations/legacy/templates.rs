//! Legacy templates (spec ≤ 11) to Excellent: `@flow.color.category` becomes
//! `@results.color.category_localized`, `@contact.tel` becomes a formatted
//! URN, `@extra.x` becomes `@legacy_extra.x`, and the Excel-style functions
//! inside `@( … )` get their current names and argument order. Text that is
//! not a legacy reference is kept as written (`@@` stays escaped).

use crate::flow::expressions::parser::{parse, BinOp, Expr};
use crate::flow::expressions::scanner::{scan, Token};

/// The top-level names of the legacy context; `@other` is literal text.
const LEGACY_TOP_LEVELS: &[&str] = &[
    "contact", "flow", "step", "extra", "date", "channel", "parent", "child",
];

/// URN schemes a legacy `@contact.<scheme>` may name.
pub const URN_SCHEMES: &[&str] = &[
    "tel",
    "facebook",
    "twitter",
    "twitterid",
    "viber",
    "line",
    "telegram",
    "mailto",
    "ext",
    "jiochat",
    "wechat",
    "fcm",
    "whatsapp",
    "freshchat",
    "vk",
    "discord",
    "rocketchat",
    "instagram",
    "webchat",
    "slack",
];

/// Migrates one legacy template.
pub fn migrate_template(template: &str) -> String {
    let is_top = |name: &str| LEGACY_TOP_LEVELS.contains(&name.to_ascii_lowercase().as_str());
    let mut out = String::with_capacity(template.len());
    for token in scan(template, &is_top) {
        match token {
            Token::Body(text) => push_literal(&mut out, &text),
            Token::Identifier(chain) => match parse(chain) {
                Ok(expr) => match migrate_expr(expr) {
                    e @ (Expr::Name(_) | Expr::Dot(..)) => {
                        out.push('@');
                        out.push_str(&e.to_string());
                    }
                    e => {
                        out.push_str("@(");
                        out.push_str(&e.to_string());
                        out.push(')');
                    }
                },
                Err(_) => {
                    out.push('@');
                    out.push_str(chain);
                }
            },
            Token::Expression(inner) => {
                let body = inner
                    .strip_prefix('(')
                    .and_then(|s| s.strip_suffix(')'))
                    .unwrap_or(inner);
                out.push_str("@(");
                match parse(body) {
                    Ok(expr) => out.push_str(&migrate_expr(expr).to_string()),
                    Err(_) => out.push_str(body),
                }
                out.push(')');
            }
        }
    }
    out
}

/// Names that start an expression in today's templates: a literal `@`
/// before one of them (or before `(`) must be doubled to stay literal.
const CURRENT_TOP_LEVELS: &[&str] = &[
    "contact",
    "fields",
    "urns",
    "results",
    "input",
    "run",
    "child",
    "parent",
    "node",
    "trigger",
    "resume",
    "webhook",
    "globals",
    "ticket",
    "legacy_extra",
    "locals",
];

fn push_literal(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let starts_expression = after.starts_with('(')
            || after.starts_with('@')
            || CURRENT_TOP_LEVELS.contains(&name.to_ascii_lowercase().as_str());
        out.push_str(if starts_expression { "@@" } else { "@" });
        rest = after;
    }
    out.push_str(rest);
}

/// A dotted reference split into lower-cased segments, or `None` when the
/// expression is not a plain chain of names.
fn chain_of(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::Name(n) => Some(vec![n.to_ascii_lowercase()]),
        Expr::Dot(inner, key) => {
            let mut chain = chain_of(inner)?;
            chain.push(key.to_ascii_lowercase());
            Some(chain)
        }
        _ => None,
    }
}

fn path(segments: &[&str]) -> Expr {
    let mut expr = Expr::Name(segments[0].to_owned());
    for s in &segments[1..] {
        expr = Expr::Dot(Box::new(expr), (*s).to_owned());
    }
    expr
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(Box::new(Expr::Name(name.to_owned())), args)
}

fn text(s: &str) -> Expr {
    Expr::Text(s.to_owned())
}

fn number(n: i64) -> Expr {
    Expr::Number(n.to_string())
}

/// Rewrites a whole expression tree: references first, then calls.
fn migrate_expr(expr: Expr) -> Expr {
    if let Some(chain) = chain_of(&expr) {
        if let Some(migrated) = migrate_reference(&chain) {
            return migrated;
        }
    }
    match expr {
        Expr::Call(callee, args) => {
            let args: Vec<Expr> = args.into_iter().map(migrate_expr).collect();
            match *callee {
                Expr::Name(name) => migrate_call(&name.to_ascii_lowercase(), args),
                other => Expr::Call(Box::new(migrate_expr(other)), args),
            }
        }
        Expr::Dot(inner, key) => Expr::Dot(Box::new(migrate_expr(*inner)), key),
        Expr::Index(inner, idx) => Expr::Index(Box::new(migrate_expr(*inner)), Box::new(migrate_expr(*idx))),
        Expr::Paren(inner) => Expr::Paren(Box::new(migrate_expr(*inner))),
        Expr::Negate(inner) => Expr::Negate(Box::new(migrate_expr(*inner))),
        Expr::Binary(BinOp::Add, l, r) => {
            // Legacy `+` also added days to dates; legacy_add keeps both meanings.
            call("legacy_add", vec![migrate_expr(*l), migrate_expr(*r)])
        }
        Expr::Binary(op, l, r) => Expr::Binary(op, Box::new(migrate_expr(*l)), Box::new(migrate_expr(*r))),
        other => other,
    }
}

/// The Excellent expression for a legacy context reference.
fn migrate_reference(chain: &[String]) -> Option<Expr> {
    let segs: Vec<&str> = chain.iter().map(String::as_str).collect();
    Some(match segs.as_slice() {
        ["contact", rest @ ..] => contact_reference(&["contact"], rest),
        // All results, one "Name: value" line each (the legacy rendering).
        ["flow"] => {
            let of_key = |prop: &str| {
                Expr::Dot(
                    Box::new(Expr::Index(Box::new(path(&["results"])), Box::new(path(&["k"])))),
                    prop.to_owned(),
                )
            };
            let line = Expr::Binary(
                BinOp::Concat,
                Box::new(Expr::Binary(
                    BinOp::Concat,
                    Box::new(of_key("name")),
                    Box::new(text(": ")),
                )),
                Box::new(of_key("value")),
            );
            let lines = call(
                "foreach",
                vec![
                    call("keys", vec![path(&["results"])]),
                    Expr::Lambda(vec!["k".to_owned()], std::sync::Arc::new(line)),
                ],
            );
            call("join", vec![lines, text("\n")])
        }
        ["flow", "contact", rest @ ..] => contact_reference(&["contact"], rest),
        ["flow", key, rest @ ..] => result_reference(&["results", key], rest),
        ["step"] | ["step", "value"] => path(&["input"]),
        ["step", "text"] => path(&["input", "text"]),
        ["step", "attachments", rest @ ..] => {
            let mut p = vec!["input", "attachments"];
            p.extend(rest);
            path(&p)
        }
        ["step", "time"] => path(&["input", "created_on"]),
        ["step", "contact", rest @ ..] => contact_reference(&["contact"], rest),
        ["extra", rest @ ..] => {
            let mut p = vec!["legacy_extra"];
            p.extend(rest);
            path(&p)
        }
        ["date"] | ["date", "now"] => call("now", vec![]),
        ["date", "today"] => call("format_date", vec![call("today", vec![])]),
        ["date", "tomorrow"] => call(
            "format_date",
            vec![call(
                "datetime_add",
                vec![call("today", vec![]), number(1), text("D")],
            )],
        ),
        ["date", "yesterday"] => call(
            "format_date",
            vec![call(
                "datetime_add",
                vec![call("today", vec![]), number(-1), text("D")],
            )],
        ),
        ["channel"] => path(&["contact", "channel"]),
        ["channel", "name"] => path(&["contact", "channel", "name"]),
        ["channel", "tel"] | ["channel", "tel_e164"] => path(&["contact", "channel", "address"]),
        ["parent" | "child", "contact", rest @ ..] => contact_reference(&[segs[0], "contact"], rest),
        ["parent" | "child"] => path(&[segs[0], "results"]),
        ["parent" | "child", key, rest @ ..] => result_reference(&[segs[0], "results", key], rest),
        _ => return None,
    })
}

/// `@flow.<key>[.value|.category|.text|.time]` and the same under parent/child.
fn result_reference(base: &[&str], rest: &[&str]) -> Expr {
    let mut p = base.to_vec();
    match rest {
        [] => {}
        ["value"] => p.push("value"),
        ["category"] => p.push("category_localized"),
        ["text"] => p.push("input"),
        ["time"] => p.push("created_on"),
        other => p.extend(other),
    }
    path(&p)
}

/// `@contact.<attribute | scheme | field>` under `base` (contact, parent.contact, …).
fn contact_reference(base: &[&str], rest: &[&str]) -> Expr {
    let with = |extra: &[&str]| {
        let mut p = base.to_vec();
        p.extend(extra);
        path(&p)
    };
    let urns_of = |scheme: &str| {
        // `contact.urns.tel` of parent/child, `urns.tel` for the run's own contact.
        if base == ["contact"] {
            path(&["urns", scheme])
        } else {
            with(&["urns", scheme])
        }
    };
    match rest {
        [] => with(&[]),
        ["name" | "first_name" | "uuid" | "language" | "created_on" | "id"] => with(rest),
        ["groups"] => call("join", vec![with(&["groups"]), text(",")]),
        ["tel_e164"] => Expr::Dot(
            Box::new(call("urn_parts", vec![urns_of("tel")])),
            "path".to_owned(),
        ),
        [scheme] if URN_SCHEMES.contains(scheme) => call("format_urn", vec![urns_of(scheme)]),
        [field, more @ ..] => {
            let mut p = if base == ["contact"] {
                vec!["fields", *field]
            } else {
                let mut p = base.to_vec();
                p.extend(["fields", *field]);
                p
            };
            p.extend(more);
            path(&p)
        }
    }
}

fn arg(args: &[Expr], i: usize) -> Expr {
    args.get(i).cloned().unwrap_or(Expr::Null)
}

/// `n - 1` for the one-based positions of the Excel functions.
fn minus_one(e: Expr) -> Expr {
    match &e {
        Expr::Number(n) => match n.parse::<i64>().ok().and_then(|v| v.checked_sub(1)) {
            Some(v) => number(v),
            None => Expr::Binary(BinOp::Sub, Box::new(e), Box::new(number(1))),
        },
        _ => Expr::Binary(BinOp::Sub, Box::new(e), Box::new(number(1))),
    }
}

/// A legacy (Excel-style) function call in today's vocabulary.
fn migrate_call(name: &str, args: Vec<Expr>) -> Expr {
    let renamed = |to: &str| call(to, args.clone());
    match name {
        "concatenate" => {
            let mut parts = args.into_iter();
            let first = parts.next().unwrap_or_else(|| text(""));
            Expr::Paren(Box::new(parts.fold(first, |acc, p| {
                Expr::Binary(BinOp::Concat, Box::new(acc), Box::new(p))
            })))
        }
        "len" => renamed("text_length"),
        "proper" => renamed("title"),
        "substitute" => renamed("replace"),
        "average" => renamed("mean"),
        "randbetween" => renamed("rand_between"),
        "rept" => renamed("repeat"),
        "int" | "rounddown" => renamed("round_down"),
        "roundup" => renamed("round_up"),
        "read_digits" => renamed("read_chars"),
        "datevalue" => renamed("datetime"),
        "timevalue" => renamed("time"),
        "date" => renamed("date_from_parts"),
        "time" => renamed("time_from_parts"),
        "unichar" => renamed("char"),
        "unicode" => renamed("code"),
        "first_word" => call("word", vec![arg(&args, 0), number(0)]),
        "word" => {
            let mut out = vec![arg(&args, 0), minus_one(arg(&args, 1))];
            out.extend(args.into_iter().skip(2));
            call("word", out)
        }
        "word_slice" => {
            let mut out = vec![arg(&args, 0), minus_one(arg(&args, 1))];
            if args.len() > 2 {
                out.push(minus_one(arg(&args, 2)));
            }
            out.extend(args.into_iter().skip(3));
            call("word_slice", out)
        }
        "field" => call(
            "field",
            vec![arg(&args, 0), minus_one(arg(&args, 1)), arg(&args, 2)],
        ),
        "left" => call("text_slice", vec![arg(&args, 0), number(0), arg(&args, 1)]),
        "right" => call(
            "text_slice",
            vec![arg(&args, 0), Expr::Negate(Box::new(arg(&args, 1)))],
        ),
        "mid" => {
            let start = minus_one(arg(&args, 1));
            let end = Expr::Binary(BinOp::Add, Box::new(start.clone()), Box::new(arg(&args, 2)));
            call("text_slice", vec![arg(&args, 0), start, end])
        }
        "fixed" => call(
            "format_number",
            vec![arg(&args, 0), args.get(1).cloned().unwrap_or_else(|| number(2))],
        ),
        "edate" => call("datetime_add", vec![arg(&args, 0), arg(&args, 1), text("M")]),
        "days" => call("datetime_diff", vec![arg(&args, 1), arg(&args, 0), text("D")]),
        "datedif" => call("datetime_diff", args),
        "year" => call("format_date", vec![arg(&args, 0), text("YYYY")]),
        "month" => call("format_date", vec![arg(&args, 0), text("M")]),
        "day" => call("format_date", vec![arg(&args, 0), text("D")]),
        "weekday" => Expr::Binary(
            BinOp::Add,
            Box::new(call("weekday", vec![arg(&args, 0)])),
            Box::new(number(1)),
        ),
        "hour" => call("format_datetime", vec![arg(&args, 0), text("tt")]),
        "minute" => call("format_datetime", vec![arg(&args, 0), text("m")]),
        "second" => call("format_datetime", vec![arg(&args, 0), text("s")]),
        "not" => Expr::Binary(BinOp::Eq, Box::new(arg(&args, 0)), Box::new(Expr::Boolean(false))),
        "true" if args.is_empty() => Expr::Boolean(true),
        "false" if args.is_empty() => Expr::Boolean(false),
        other => call(other, args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_get_their_current_names() {
        let cases = [
            ("Hi @contact.name!", "Hi @contact.name!"),
            ("@flow.color.category @flow.beer", "@results.color.category_localized @results.beer"),
            ("@flow.age.value years, text @flow.age.text", "@results.age.value years, text @results.age.input"),
            ("@step.value", "@input"),
            ("Extra: @extra.foo", "Extra: @legacy_extra.foo"),
            ("@contact.age", "@fields.age"),
            ("@contact.tel", "@(format_urn(urns.tel))"),
            ("@contact.groups", "@(join(contact.groups, \",\"))"),
            ("You picked @child.number", "You picked @child.results.number"),
            ("@parent.contact.gender", "@parent.contact.fields.gender"),
            ("@date.today", "@(format_date(today()))"),
            (
                "@flow",
                "@(join(foreach(keys(results), (k) => results[k].name & \": \" & results[k].value), \"\\n\"))",
            ),
        ];
        for (legacy, want) in cases {
            assert_eq!(migrate_template(legacy), want, "{legacy}");
        }
    }

    #[test]
    fn text_outside_references_is_kept() {
        for t in ["plain", "mail me at bob@example.com", "50% @ noon", "@@results"] {
            assert_eq!(migrate_template(t), t, "{t}");
        }
        assert_eq!(migrate_template("a @@ b"), "a @ b");
    }

    #[test]
    fn excel_functions_take_current_names_and_positions() {
        let cases = [
            ("@(UPPER(contact.name))", "@(upper(contact.name))"),
            ("@(LEN(step.value))", "@(text_length(input))"),
            ("@(WORD(step.value, 2))", "@(word(input, 1))"),
            ("@(FIRST_WORD(flow.name))", "@(word(results.name, 0))"),
            (
                "@(CONCATENATE(contact.first_name, \" \", \"x\"))",
                "@((contact.first_name & \" \" & \"x\"))",
            ),
            ("@(date.today + 1)", "@(legacy_add(format_date(today()), 1))"),
            (
                "@(EDATE(date.today, 1))",
                "@(datetime_add(format_date(today()), 1, \"M\"))",
            ),
        ];
        for (legacy, want) in cases {
            assert_eq!(migrate_template(legacy), want, "{legacy}");
        }
    }
}
