//! Rewriting context references inside templates, for migrations that
//! rename things (`@webhook` → `@webhook.json`) or shorten result keys. The
//! scan only finds dotted name chains at expression level: text outside
//! `@`-expressions and string literals inside them are left alone.

/// Rewrites each top-level dotted name chain of `template` through `f`,
/// which returns the replacement chain or `None` to keep it.
pub fn rewrite(template: &str, f: &dyn Fn(&str) -> Option<String>) -> String {
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '@' {
            out.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('@') => {
                out.push_str("@@");
                i += 2;
            }
            Some('(') => {
                let end = expression_end(&chars, i + 1);
                out.push('@');
                out.push_str(&rewrite_expression(&chars[i + 1..end], f));
                i = end;
            }
            Some(n) if n.is_alphabetic() || *n == '_' => {
                let end = chain_end(&chars, i + 1);
                let chain: String = chars[i + 1..end].iter().collect();
                out.push('@');
                out.push_str(&f(&chain).unwrap_or(chain));
                i = end;
            }
            _ => {
                out.push('@');
                i += 1;
            }
        }
    }
    out
}

/// Index just past the balanced `( … )` starting at `start`, or the end.
fn expression_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            if c == '\\' {
                i += 1;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '(' {
            depth += 1;
        } else if c == ')' {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    chars.len()
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Index just past a dotted name chain starting at `start`; a dot belongs to
/// the chain only when a name character follows it.
fn chain_end(chars: &[char], start: usize) -> usize {
    let mut i = start;
    while i < chars.len() {
        let dot_then_name = chars[i] == '.' && chars.get(i + 1).is_some_and(|c| is_name_char(*c));
        if is_name_char(chars[i]) || dot_then_name {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn rewrite_expression(chars: &[char], f: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            out.extend(&chars[start..i]);
        } else if (c.is_alphabetic() || c == '_')
            && (i == 0 || !(is_name_char(chars[i - 1]) || chars[i - 1] == '.'))
        {
            let end = chain_end(chars, i);
            let chain: String = chars[i..end].iter().collect();
            let is_call = chars.get(end) == Some(&'(');
            out.push_str(&if is_call { None } else { f(&chain) }.unwrap_or(chain));
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhook(chain: &str) -> Option<String> {
        let lower = chain.to_lowercase();
        (lower == "webhook" || lower.starts_with("webhook."))
            .then(|| format!("webhook.json{}", &chain["webhook".len()..]))
    }

    #[test]
    fn rewrites_only_top_level_references() {
        assert_eq!(
            rewrite(
                "@webhook @(webhook[\"foo\"]) @contact.fields.webhook x@@y.com",
                &webhook
            ),
            "@webhook.json @(webhook.json[\"foo\"]) @contact.fields.webhook x@@y.com"
        );
        assert_eq!(
            rewrite("@(\"webhook\" & upper(webhook.a))", &webhook),
            "@(\"webhook\" & upper(webhook.json.a))"
        );
    }

    #[test]
    fn leaves_text_without_references_unchanged() {
        for t in ["", "plain", "a@b.com", "@", "@(", "@(1 + \"unterminated)"] {
            assert_eq!(rewrite(t, &webhook), t);
        }
    }
}
