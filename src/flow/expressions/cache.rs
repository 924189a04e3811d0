//! A per-thread cache of parsed expressions: a flow evaluates the same few
//! templates for every contact, so each expression is lexed and parsed once.
//! Knows only the parser.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::parser::{parse, Expr, SyntaxError};

/// Distinct expressions remembered per thread before the cache starts over;
/// bounds memory when templates are generated rather than authored.
pub const MAX_CACHED_EXPRESSIONS: usize = 4096;

/// Expressions longer than this are parsed every time instead of cached.
pub const MAX_CACHED_LEN: usize = 1024;

type Parsed = Result<Arc<Expr>, SyntaxError>;

thread_local! {
    static PARSED: RefCell<HashMap<Box<str>, Parsed>> = RefCell::new(HashMap::new());
}

/// The parse of `src`, from the cache when seen before on this thread.
pub fn parsed(src: &str) -> Parsed {
    if src.len() > MAX_CACHED_LEN {
        return parse(src).map(Arc::new);
    }
    PARSED.with(|cell| {
        let mut cache = cell.borrow_mut();
        if let Some(hit) = cache.get(src) {
            return hit.clone();
        }
        let result = parse(src).map(Arc::new);
        if cache.len() >= MAX_CACHED_EXPRESSIONS {
            cache.clear();
        }
        cache.insert(src.into(), result.clone());
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_and_fresh_parses_agree() {
        for src in ["1 + 2", "upper(contact.name)", "1 +", "1 + 2"] {
            assert_eq!(parsed(src).map(|e| (*e).clone()), parse(src));
        }
    }

    #[test]
    fn the_cache_stays_bounded() {
        for i in 0..MAX_CACHED_EXPRESSIONS + 10 {
            let _ = parsed(&format!("{i} + 1"));
        }
        PARSED.with(|cell| assert!(cell.borrow().len() <= MAX_CACHED_EXPRESSIONS));
    }
}
