//! The expression lexer: the text inside `@( … )` to tokens. Knows the
//! token shapes of Excellent only; precedence lives in the parser.

use std::fmt;

/// One lexical token, with the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Name(String),
    /// Digits with an optional fraction, as written.
    Number(String),
    Text(String),
    True,
    False,
    Null,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Arrow,
    Plus,
    Minus,
    Times,
    Divide,
    Caret,
    Amp,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    /// A character that starts no token; the parser reports it.
    Invalid(String),
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Tok::Name(n) | Tok::Number(n) | Tok::Invalid(n) => n,
            Tok::Text(t) => return write!(f, "\"{t}\""),
            Tok::True => "true",
            Tok::False => "false",
            Tok::Null => "null",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::Arrow => "=>",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Times => "*",
            Tok::Divide => "/",
            Tok::Caret => "^",
            Tok::Amp => "&",
            Tok::Eq => "=",
            Tok::Neq => "!=",
            Tok::Lt => "<",
            Tok::Lte => "<=",
            Tok::Gt => ">",
            Tok::Gte => ">=",
            Tok::Eof => "",
        };
        f.write_str(s)
    }
}

/// Splits an expression into tokens, each with its start offset; always ends with `Eof`.
pub fn tokenize(src: &str) -> Vec<(Tok, usize)> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let next = chars.get(i + 1).map(|&(_, n)| n);
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '.' => (Tok::Dot, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Times, 1),
            '/' => (Tok::Divide, 1),
            '^' => (Tok::Caret, 1),
            '&' => (Tok::Amp, 1),
            '=' if next == Some('>') => (Tok::Arrow, 2),
            '=' => (Tok::Eq, 1),
            '!' if next == Some('=') => (Tok::Neq, 2),
            '<' if next == Some('=') => (Tok::Lte, 2),
            '<' if next == Some('>') => (Tok::Neq, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some('=') => (Tok::Gte, 2),
            '>' => (Tok::Gt, 1),
            '"' => lex_text(&chars[i..]),
            c if c.is_ascii_digit() => {
                let mut j = i;
                while j < chars.len() && chars[j].1.is_ascii_digit() {
                    j += 1;
                }
                if j + 1 < chars.len() && chars[j].1 == '.' && chars[j + 1].1.is_ascii_digit() {
                    j += 1;
                    while j < chars.len() && chars[j].1.is_ascii_digit() {
                        j += 1;
                    }
                }
                (Tok::Number(chars[i..j].iter().map(|&(_, c)| c).collect()), j - i)
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i;
                while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_') {
                    j += 1;
                }
                let word: String = chars[i..j].iter().map(|&(_, c)| c).collect();
                let tok = if word.eq_ignore_ascii_case("true") {
                    Tok::True
                } else if word.eq_ignore_ascii_case("false") {
                    Tok::False
                } else if word.eq_ignore_ascii_case("null") {
                    Tok::Null
                } else {
                    Tok::Name(word)
                };
                (tok, j - i)
            }
            _ => {
                let mut j = i + 1;
                while j < chars.len() && !chars[j].1.is_whitespace() {
                    j += 1;
                }
                (Tok::Invalid(chars[i..j].iter().map(|&(_, c)| c).collect()), j - i)
            }
        };
        out.push((tok, pos));
        i += len;
    }
    out.push((Tok::Eof, src.len()));
    out
}

/// A `"…"` literal with `\"`, `\\`, `\n`, `\r`, `\t`, `\uXXXX`, `\UXXXXXXXX`
/// escapes; unterminated text is an invalid token.
fn lex_text(chars: &[(usize, char)]) -> (Tok, usize) {
    let mut s = String::new();
    let mut j = 1;
    while j < chars.len() {
        let c = chars[j].1;
        match c {
            '"' => return (Tok::Text(s), j + 1),
            '\\' if j + 1 < chars.len() => {
                let e = chars[j + 1].1;
                let hex_len = match e {
                    'u' => 4,
                    'U' => 8,
                    _ => 0,
                };
                if hex_len > 0 && j + 1 + hex_len < chars.len() {
                    let hex: String = chars[j + 2..j + 2 + hex_len].iter().map(|&(_, c)| c).collect();
                    if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        s.push(ch);
                        j += 2 + hex_len;
                        continue;
                    }
                }
                match e {
                    '"' => s.push('"'),
                    '\\' => s.push('\\'),
                    'n' => s.push('\n'),
                    'r' => s.push('\r'),
                    't' => s.push('\t'),
                    other => {
                        s.push('\\');
                        s.push(other);
                    }
                }
                j += 2;
            }
            _ => {
                s.push(c);
                j += 1;
            }
        }
    }
    let raw: String = chars.iter().map(|&(_, c)| c).collect();
    (Tok::Invalid(raw), chars.len())
}
