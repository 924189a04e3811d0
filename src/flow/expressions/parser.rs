//! The Excellent expression parser: tokens to an [`Expr`] tree, and the tree
//! back to canonical text (`Display`), so parse → print → parse is stable.
//! Knows precedence and atoms; knows nothing of values or the context.

use std::fmt;
use std::sync::Arc;

use super::lexer::{tokenize, Tok};

/// Nesting deeper than this is refused: keeps recursion off the stack's edge
/// for hostile templates (the fuzz target feeds them).
pub const MAX_EXPRESSION_DEPTH: usize = 64;

/// Expressions longer than this (bytes) are refused before lexing.
pub const MAX_EXPRESSION_LEN: usize = 64 * 1024;

/// Calls with more arguments than this are refused (`object()` pairs are
/// matched quadratically; no real call needs more).
pub const MAX_CALL_ARGS: usize = 256;

/// A binary operator, lowest precedence first in `BinOp::precedence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Concat,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinOp {
    fn from_tok(t: &Tok) -> Option<BinOp> {
        Some(match t {
            Tok::Amp => BinOp::Concat,
            Tok::Eq => BinOp::Eq,
            Tok::Neq => BinOp::Neq,
            Tok::Lt => BinOp::Lt,
            Tok::Lte => BinOp::Lte,
            Tok::Gt => BinOp::Gt,
            Tok::Gte => BinOp::Gte,
            Tok::Plus => BinOp::Add,
            Tok::Minus => BinOp::Sub,
            Tok::Times => BinOp::Mul,
            Tok::Divide => BinOp::Div,
            Tok::Caret => BinOp::Pow,
            _ => return None,
        })
    }

    fn precedence(self) -> u8 {
        match self {
            BinOp::Concat => 1,
            BinOp::Eq | BinOp::Neq => 2,
            BinOp::Lt | BinOp::Lte | BinOp::Gt | BinOp::Gte => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div => 5,
            BinOp::Pow => 6,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Concat => "&",
            BinOp::Eq => "=",
            BinOp::Neq => "!=",
            BinOp::Lt => "<",
            BinOp::Lte => "<=",
            BinOp::Gt => ">",
            BinOp::Gte => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Text(String),
    /// A number literal as written (exactness is the evaluator's business).
    Number(String),
    Boolean(bool),
    Null,
    /// A name: a local, a function or a top-level of the context.
    Name(String),
    Call(Box<Expr>, Vec<Expr>),
    /// `x.name` or `x.0`
    Dot(Box<Expr>, String),
    /// `x[expr]`
    Index(Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
    Negate(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Lambda(Vec<String>, Arc<Expr>),
}

/// The expression could not be parsed; `at` is the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("syntax error at {at}")]
    Unexpected { at: String },
    #[error("expression nests deeper than {MAX_EXPRESSION_DEPTH}")]
    TooDeep,
    #[error("expression longer than {MAX_EXPRESSION_LEN} bytes")]
    TooLong,
    #[error("function call with more than {MAX_CALL_ARGS} arguments")]
    TooManyArguments,
}

/// Parses a bare expression (no `@`).
pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    if src.len() > MAX_EXPRESSION_LEN {
        return Err(SyntaxError::TooLong);
    }
    let toks = tokenize(src);
    let mut p = Parser {
        toks,
        pos: 0,
        src,
        depth: 0,
    };
    let e = p.expression(0)?;
    match p.peek() {
        Tok::Eof => Ok(e),
        _ => Err(p.unexpected()),
    }
}

struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    src: &'a str,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map(|(t, _)| t).unwrap_or(&Tok::Eof)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks.get(self.pos + n).map(|(t, _)| t).unwrap_or(&Tok::Eof)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    /// goflow reports the rest of the input from the offending token.
    fn unexpected(&self) -> SyntaxError {
        let at = match self.toks.get(self.pos) {
            Some((Tok::Eof, _)) | None => String::new(),
            Some((Tok::Invalid(s), _)) => s.clone(),
            Some((t, start)) => {
                let after = self
                    .toks
                    .get(self.pos + 1)
                    .map(|(_, s)| *s)
                    .unwrap_or(self.src.len());
                match t {
                    Tok::Dot => {
                        self.src[*start..after].trim_end().to_string()
                            + &self
                                .toks
                                .get(self.pos + 1)
                                .map(|(t, _)| t.to_string())
                                .unwrap_or_default()
                    }
                    _ => self.src[*start..after].trim_end().to_string(),
                }
            }
        };
        SyntaxError::Unexpected { at }
    }

    fn expect(&mut self, t: Tok) -> Result<(), SyntaxError> {
        if *self.peek() == t {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_EXPRESSION_DEPTH {
            return Err(SyntaxError::TooDeep);
        }
        Ok(())
    }

    /// Precedence climbing over binary operators (all left-associative).
    fn expression(&mut self, min_prec: u8) -> Result<Expr, SyntaxError> {
        self.enter()?;
        let mut lhs = self.unary()?;
        while let Some(op) = BinOp::from_tok(self.peek()) {
            if op.precedence() <= min_prec {
                break;
            }
            self.pos += 1;
            let rhs = self.expression(op.precedence())?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if *self.peek() == Tok::Minus {
            self.pos += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Negate(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        match self.peek().clone() {
            Tok::Text(s) => {
                self.pos += 1;
                Ok(Expr::Text(s))
            }
            Tok::Number(n) => {
                self.pos += 1;
                Ok(Expr::Number(n))
            }
            Tok::True => {
                self.pos += 1;
                Ok(Expr::Boolean(true))
            }
            Tok::False => {
                self.pos += 1;
                Ok(Expr::Boolean(false))
            }
            Tok::Null => {
                self.pos += 1;
                Ok(Expr::Null)
            }
            Tok::LParen if self.is_lambda() => self.lambda(),
            Tok::LParen | Tok::Name(_) => self.atom(),
            _ => Err(self.unexpected()),
        }
    }

    /// `(` names `)` `=>` starts an anonymous function.
    fn is_lambda(&self) -> bool {
        let mut n = 1;
        if *self.peek_at(n) == Tok::RParen {
            return *self.peek_at(n + 1) == Tok::Arrow;
        }
        loop {
            if !matches!(self.peek_at(n), Tok::Name(_)) {
                return false;
            }
            n += 1;
            match self.peek_at(n) {
                Tok::Comma => n += 1,
                Tok::RParen => return *self.peek_at(n + 1) == Tok::Arrow,
                _ => return false,
            }
        }
    }

    fn lambda(&mut self) -> Result<Expr, SyntaxError> {
        self.expect(Tok::LParen)?;
        let mut params = Vec::new();
        while let Tok::Name(n) = self.peek().clone() {
            self.pos += 1;
            params.push(n);
            if *self.peek() == Tok::Comma {
                self.pos += 1;
            }
        }
        self.expect(Tok::RParen)?;
        self.expect(Tok::Arrow)?;
        let body = self.expression(0)?;
        Ok(Expr::Lambda(params, Arc::new(body)))
    }

    fn atom(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = match self.bump() {
            Tok::Name(n) => Expr::Name(n),
            Tok::LParen => {
                let inner = self.expression(0)?;
                self.expect(Tok::RParen)?;
                Expr::Paren(Box::new(inner))
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected());
            }
        };
        loop {
            match self.peek() {
                Tok::LParen => {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if *self.peek() != Tok::RParen {
                        loop {
                            args.push(self.expression(0)?);
                            if args.len() > MAX_CALL_ARGS {
                                return Err(SyntaxError::TooManyArguments);
                            }
                            if *self.peek() == Tok::Comma {
                                self.pos += 1;
                                continue;
                            }
                            break;
                        }
                    }
                    self.expect(Tok::RParen)?;
                    e = Expr::Call(Box::new(e), args);
                }
                Tok::Dot => {
                    self.pos += 1;
                    let key = match self.bump() {
                        Tok::Name(n) | Tok::Number(n) => n,
                        Tok::True => "true".into(),
                        Tok::False => "false".into(),
                        Tok::Null => "null".into(),
                        _ => {
                            self.pos -= 2;
                            return Err(self.unexpected());
                        }
                    };
                    e = Expr::Dot(Box::new(e), key);
                }
                Tok::LBracket => {
                    self.pos += 1;
                    let idx = self.expression(0)?;
                    self.expect(Tok::RBracket)?;
                    e = Expr::Index(Box::new(e), Box::new(idx));
                }
                _ => return Ok(e),
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Text(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\r' => f.write_str("\\r")?,
                        '\t' => f.write_str("\\t")?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            Expr::Number(n) => f.write_str(n),
            Expr::Boolean(b) => write!(f, "{b}"),
            Expr::Null => f.write_str("null"),
            Expr::Name(n) => f.write_str(n),
            Expr::Call(callee, args) => {
                write!(f, "{callee}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Dot(e, key) => write!(f, "{e}.{key}"),
            Expr::Index(e, idx) => write!(f, "{e}[{idx}]"),
            Expr::Paren(e) => write!(f, "({e})"),
            Expr::Negate(e) => write!(f, "-{e}"),
            Expr::Binary(op, l, r) => write!(f, "{l} {} {r}", op.symbol()),
            Expr::Lambda(params, body) => write!(f, "({}) => {body}", params.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(src: &str) {
        let first = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let printed = first.to_string();
        let second = parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
        assert_eq!(first, second, "{src} printed as {printed}");
    }

    #[test]
    fn parse_print_parse_is_stable() {
        for src in [
            "1 + 2 * 3 - -4 ^ 2",
            "\"a \\\"b\\\"\\n\" & upper(contact.name)",
            "array1d[0][2].foo",
            "((x, y) => x + y)(1, 2)",
            "foreach(array(1, 2), (x) => x * 2)",
            "a.0 = b != c < d <= e > f >= g",
            "(1 + 2) * 3",
            "TRUE = null & false",
            "x.1.5",
        ] {
            round_trip(src);
        }
    }

    #[test]
    fn precedence_matches_excellent() {
        let e = parse("1 + 2 = 3 & \"x\"").unwrap();
        assert!(matches!(e, Expr::Binary(BinOp::Concat, _, _)));
        let e = parse("2 * 3 ^ 2").unwrap();
        match e {
            Expr::Binary(BinOp::Mul, _, r) => assert!(matches!(*r, Expr::Binary(BinOp::Pow, _, _))),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn literals_are_not_atoms() {
        assert_eq!(parse("NULL.x"), Err(SyntaxError::Unexpected { at: ".x".into() }));
        assert_eq!(parse("1.1.0"), Err(SyntaxError::Unexpected { at: ".0".into() }));
        assert_eq!(parse("0 / "), Err(SyntaxError::Unexpected { at: "".into() }));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let src = "(".repeat(500) + &")".repeat(500);
        assert_eq!(parse(&src), Err(SyntaxError::TooDeep));
    }
}
