//! The template scanner: splits a template into literal text, `@name.path`
//! identifiers and `@( … )` expressions. Knows nothing of expression syntax
//! beyond balancing parentheses outside string literals.

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// Literal text (with `@@` already turned into `@`).
    Body(String),
    /// `@contact.name` shorthand, without the `@`.
    Identifier(&'a str),
    /// The inside of `@( … )`.
    Expression(&'a str),
}

/// Splits `template` into tokens. `is_top_level` says whether a name may start
/// an identifier (`@name` for any other name is literal text: e-mail addresses).
pub fn scan<'a>(template: &'a str, is_top_level: &dyn Fn(&str) -> bool) -> Vec<Token<'a>> {
    let mut tokens = Vec::new();
    let mut body = String::new();
    let bytes = template.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &template[i..];
        if !rest.starts_with('@') {
            let next = rest.find('@').unwrap_or(rest.len());
            body.push_str(&rest[..next]);
            i += next;
            continue;
        }
        let after = &rest[1..];
        if after.starts_with('@') {
            body.push('@');
            i += 2;
            continue;
        }
        if after.starts_with('(') {
            match expression_end(after) {
                Some(end) => {
                    flush(&mut tokens, &mut body);
                    tokens.push(Token::Expression(&after[1..end]));
                    i += 1 + end + 1;
                }
                None => {
                    body.push_str(rest);
                    i = bytes.len();
                }
            }
            continue;
        }
        let ident_len = identifier_len(after);
        if ident_len > 0 {
            let ident = &after[..ident_len];
            let top = ident.split('.').next().unwrap_or(ident);
            if is_top_level(top) {
                flush(&mut tokens, &mut body);
                tokens.push(Token::Identifier(ident));
            } else {
                body.push('@');
                body.push_str(ident);
            }
            i += 1 + ident_len;
            continue;
        }
        body.push('@');
        i += 1;
    }
    flush(&mut tokens, &mut body);
    tokens
}

fn flush(tokens: &mut Vec<Token<'_>>, body: &mut String) {
    if !body.is_empty() {
        tokens.push(Token::Body(std::mem::take(body)));
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Length of `name(.name)*` at the start of `s`; a dot is only taken when a
/// name character follows it, so "@contact." keeps its full stop.
fn identifier_len(s: &str) -> usize {
    let mut chars = s.char_indices().peekable();
    match chars.peek() {
        Some(&(_, c)) if c.is_alphabetic() || c == '_' => {}
        _ => return 0,
    }
    let mut end = 0;
    while let Some((idx, c)) = chars.next() {
        if is_name_char(c) {
            end = idx + c.len_utf8();
        } else if c == '.' {
            match chars.peek() {
                Some(&(_, n)) if is_name_char(n) => {}
                _ => break,
            }
        } else {
            break;
        }
    }
    end
}

/// Index of the `)` closing the `(` at the start of `s`, skipping parentheses
/// inside string literals; `None` when unterminated.
fn expression_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (idx, c) in s.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(idx);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(_: &str) -> bool {
        true
    }

    #[test]
    fn splits_identifiers_expressions_and_body() {
        let toks = scan("Hi @contact.name, @(upper(\"a)\")) @@x foo@bar.com.", &|n| {
            n == "contact"
        });
        assert_eq!(
            toks,
            vec![
                Token::Body("Hi ".into()),
                Token::Identifier("contact.name"),
                Token::Body(", ".into()),
                Token::Expression("upper(\"a)\")"),
                Token::Body(" @x foo@bar.com.".into()),
            ]
        );
    }

    #[test]
    fn unterminated_expression_is_literal() {
        assert_eq!(scan("@(\")", &all), vec![Token::Body("@(\")".into())]);
        assert_eq!(
            scan("@contact...?", &all),
            vec![Token::Identifier("contact"), Token::Body("...?".into())]
        );
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;

    /// Tokens printed back as a template scan to the same tokens.
    fn print(tokens: &[Token<'_>]) -> String {
        tokens
            .iter()
            .map(|t| match t {
                Token::Body(b) => b.replace('@', "@@"),
                Token::Identifier(i) => format!("@{i}"),
                Token::Expression(e) => format!("@({e})"),
            })
            .collect()
    }

    #[test]
    fn scan_print_scan_is_stable() {
        let top = |n: &str| n == "contact" || n == "fields";
        for template in [
            "Hi @contact.name, @(upper(\"a)\")) @@x foo@bar.com.",
            "@fields.x.@contact",
            "@(\"zz\\\"zz\") @( ( ) )",
            "@(unterminated",
            "plain",
        ] {
            let first = scan(template, &top);
            let printed = print(&first);
            assert_eq!(scan(&printed, &top), first, "{template} printed as {printed}");
        }
    }
}
