//! Text functions: case, trimming, slicing, words, fields, replacing,
//! encoding. Word functions use UAX#29 segmentation unless given delimiters.

use std::sync::Arc;

use unicode_segmentation::UnicodeSegmentation;

use super::args::{integer, text};
use crate::flow::expressions::convert::Fail;
use crate::flow::expressions::evaluator::Ctx;
use crate::flow::expressions::text::{tokenize_by_chars, tokenize_segments};
use crate::flow::expressions::value::Value;

/// `repeat` refuses to build text longer than this many characters: one
/// message never needs more, and it bounds memory per evaluation.
pub const MAX_REPEAT_LEN: usize = 10_000;

type R = Result<Value, Fail>;

pub fn upper(c: &Ctx<'_>, a: &[Value]) -> R {
    // Go's ToUpper maps character by character: "ß" stays "ß", not "SS".
    let s = text(c, a, 0)?;
    Ok(Value::Text(
        s.chars()
            .map(|ch| {
                let mut up = ch.to_uppercase();
                match (up.next(), up.next()) {
                    (Some(u), None) => u,
                    _ => ch,
                }
            })
            .collect(),
    ))
}

pub fn lower(c: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::Text(text(c, a, 0)?.to_lowercase()))
}

pub fn title(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for ch in s.chars() {
        if ch.is_alphanumeric() || ch == '\'' {
            if at_start {
                out.extend(ch.to_uppercase());
            } else {
                out.extend(ch.to_lowercase());
            }
            at_start = false;
        } else {
            out.push(ch);
            at_start = true;
        }
    }
    Ok(Value::Text(out))
}

pub fn char(c: &Ctx<'_>, a: &[Value]) -> R {
    let n = integer(c, a, 0)?;
    u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .map(|ch| Value::Text(ch.to_string()))
        .ok_or_else(|| format!("{n} is not a valid character code"))
}

pub fn code(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    match s.chars().next() {
        Some(ch) => Ok(Value::number(ch as u32)),
        None => Err("requires a string of at least one character".into()),
    }
}

pub fn clean(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    Ok(Value::Text(s.chars().filter(|ch| !ch.is_control()).collect()))
}

pub fn text_length(c: &Ctx<'_>, a: &[Value]) -> R {
    Ok(Value::number(text(c, a, 0)?.chars().count() as u64))
}

pub fn text_compare(c: &Ctx<'_>, a: &[Value]) -> R {
    let (x, y) = (text(c, a, 0)?, text(c, a, 1)?);
    Ok(Value::number(match x.cmp(&y) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

pub fn repeat(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let n = integer(c, a, 1)?;
    if n < 0 {
        return Err(format!("must be called with a positive integer, got {n}"));
    }
    let n = n as usize;
    if s.chars().count().saturating_mul(n) > MAX_REPEAT_LEN {
        return Err(format!("output would exceed {MAX_REPEAT_LEN} characters"));
    }
    Ok(Value::Text(s.repeat(n)))
}

/// Slices by character positions; negative positions count from the end.
fn slice_bounds(len: i64, start: i64, end: i64) -> (usize, usize) {
    let fix = |p: i64| if p < 0 { (len + p).max(0) } else { p.min(len) };
    let (s, e) = (fix(start), fix(end));
    (s as usize, e.max(s) as usize)
}

pub fn text_slice(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let start = integer(c, a, 1)?;
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let end = if a.len() > 2 { integer(c, a, 2)? } else { len };
    let (from, to) = slice_bounds(len, start, end);
    Ok(Value::Text(chars[from..to].iter().collect()))
}

fn trim_with(c: &Ctx<'_>, a: &[Value], left: bool, right: bool) -> R {
    let s = text(c, a, 0)?;
    let chars = if a.len() > 1 { Some(text(c, a, 1)?) } else { None };
    let is_trimmed = |ch: char| match &chars {
        Some(set) => set.contains(ch),
        None => ch.is_whitespace(),
    };
    let mut out: &str = &s;
    if left {
        out = out.trim_start_matches(is_trimmed);
    }
    if right {
        out = out.trim_end_matches(is_trimmed);
    }
    Ok(Value::Text(out.to_string()))
}

pub fn trim(c: &Ctx<'_>, a: &[Value]) -> R {
    trim_with(c, a, true, true)
}

pub fn trim_left(c: &Ctx<'_>, a: &[Value]) -> R {
    trim_with(c, a, true, false)
}

pub fn trim_right(c: &Ctx<'_>, a: &[Value]) -> R {
    trim_with(c, a, false, true)
}

/// Words of `s`: split on `delims` when given, else UAX#29 words.
fn words<'a>(s: &'a str, delims: Option<&str>) -> Vec<&'a str> {
    match delims {
        Some(d) => tokenize_by_chars(s, d),
        None => tokenize_segments(s),
    }
}

fn delimiters(c: &Ctx<'_>, a: &[Value], i: usize) -> Result<Option<String>, Fail> {
    if a.len() > i {
        Ok(Some(text(c, a, i)?))
    } else {
        Ok(None)
    }
}

pub fn word(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let idx = integer(c, a, 1)?;
    let d = delimiters(c, a, 2)?;
    let ws = words(&s, d.as_deref());
    let real = if idx < 0 { ws.len() as i64 + idx } else { idx };
    if real < 0 || real >= ws.len() as i64 {
        return Err(format!(
            "index {idx} is out of range for the number of words {}",
            ws.len()
        ));
    }
    Ok(Value::text(ws[real as usize]))
}

pub fn word_count(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let d = delimiters(c, a, 1)?;
    Ok(Value::number(words(&s, d.as_deref()).len() as u64))
}

pub fn word_slice(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let start = integer(c, a, 1)?;
    if start < 0 {
        return Err("must start with a positive index".into());
    }
    let end = if a.len() > 2 { integer(c, a, 2)? } else { -1 };
    if end > 0 && end < start {
        return Err("must have a end which is greater than the start".into());
    }
    let d = delimiters(c, a, 3)?;
    let ws = words(&s, d.as_deref());
    let from = (start as usize).min(ws.len());
    let to = if end < 0 {
        ws.len()
    } else {
        (end as usize).min(ws.len())
    };
    Ok(Value::Text(ws[from..to.max(from)].join(" ")))
}

pub fn remove_first_word(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let mut starts = s
        .split_word_bound_indices()
        .filter(|(_, w)| w.chars().any(|ch| ch.is_alphanumeric()) || tokenize_segments(w).len() == 1)
        .map(|(i, _)| i);
    let _first = starts.next();
    Ok(Value::Text(match starts.next() {
        Some(i) => s[i..].to_string(),
        None => String::new(),
    }))
}

pub fn field(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let idx = integer(c, a, 1)?;
    let sep = text(c, a, 2)?;
    if idx < 0 {
        return Err("cannot use a negative index".into());
    }
    let fields: Vec<&str> = if sep.is_empty() {
        s.char_indices().map(|(i, ch)| &s[i..i + ch.len_utf8()]).collect()
    } else if sep.trim().is_empty() {
        s.split(sep.as_str()).filter(|f| !f.is_empty()).collect()
    } else {
        s.split(sep.as_str()).collect()
    };
    Ok(Value::text(
        fields.get(idx as usize).map(|f| f.trim()).unwrap_or(""),
    ))
}

pub fn split(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let d = match a.get(1) {
        Some(Value::Null) | None => " ".to_string(),
        Some(_) => text(c, a, 1)?,
    };
    let d = if matches!(a.get(1), Some(Value::Null)) {
        " ,".to_string()
    } else {
        d
    };
    Ok(Value::Array(Arc::new(
        tokenize_by_chars(&s, &d).into_iter().map(Value::text).collect(),
    )))
}

pub fn replace(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let old = text(c, a, 1)?;
    let new = text(c, a, 2)?;
    let count = if a.len() > 3 { integer(c, a, 3)? } else { -1 };
    if count < 0 {
        return Ok(Value::Text(replace_n(&s, &old, &new, usize::MAX)));
    }
    Ok(Value::Text(replace_n(&s, &old, &new, count as usize)))
}

/// Replaces the first `n` occurrences; an empty `old` matches between characters.
fn replace_n(s: &str, old: &str, new: &str, n: usize) -> String {
    if !old.is_empty() {
        return s.replacen(old, new, n);
    }
    let mut out = String::new();
    let mut done = 0;
    for ch in s.chars() {
        if done < n {
            out.push_str(new);
            done += 1;
        }
        out.push(ch);
    }
    if done < n {
        out.push_str(new);
    }
    out
}

pub fn url_encode(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    Ok(Value::Text(out))
}

pub fn html_decode(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    // Non-breaking spaces come out as plain spaces, as in goflow.
    Ok(Value::Text(
        html_escape::decode_html_entities(&s).replace('\u{a0}', " "),
    ))
}

pub fn regex_match(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let pattern = text(c, a, 1)?;
    let group = if a.len() > 2 { integer(c, a, 2)? } else { 0 };
    let re = regex::RegexBuilder::new(&pattern)
        .case_insensitive(true)
        .multi_line(true)
        .size_limit(crate::flow::cases::MAX_REGEX_SIZE)
        .build()
        .map_err(|_| "must be called with a valid regular expression".to_string())?;
    let caps = match re.captures(&s) {
        Some(caps) => caps,
        None => return Ok(Value::text("")),
    };
    if group < 0 || group as usize >= caps.len() {
        return Err("invalid capture group index".into());
    }
    Ok(Value::text(
        caps.get(group as usize).map(|m| m.as_str()).unwrap_or(""),
    ))
}

pub fn read_chars(c: &Ctx<'_>, a: &[Value]) -> R {
    let s = text(c, a, 0)?;
    let chars: Vec<char> = s.chars().collect();
    let size = match chars.len() {
        n if n % 3 == 0 => 3,
        n if n % 4 == 0 => 4,
        _ => 1,
    };
    let groups: Vec<String> = chars
        .chunks(size.max(1))
        .map(|g| g.iter().map(|ch| ch.to_string()).collect::<Vec<_>>().join(" "))
        .collect();
    Ok(Value::Text(groups.join(" , ")))
}
