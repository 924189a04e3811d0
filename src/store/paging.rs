//! One page of a list in row id order: rows after and/or before a cursor,
//! ascending or descending. Every list the API pages goes through this, so
//! `after`, `before` and `order` mean the same thing everywhere.

/// Rows per page when the caller does not say, and the most it may ask for:
/// a page is read and serialised in one go.
pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 1000;

/// A window of row ids and a direction. Ids are the table's integer key,
/// which grows with insertion, so ascending is oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Only rows with a greater id.
    pub after: Option<i64>,
    /// Only rows with a smaller id.
    pub before: Option<i64>,
    /// Newest first.
    pub desc: bool,
    /// Rows at most; kept within 1..=[`MAX_PAGE`] by [`Paging::new`].
    pub limit: i64,
}

impl Default for Paging {
    fn default() -> Self {
        Paging::new(None, None, false, None)
    }
}

impl Paging {
    pub fn new(after: Option<i64>, before: Option<i64>, desc: bool, limit: Option<i64>) -> Paging {
        Paging {
            after,
            before,
            desc,
            limit: limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE),
        }
    }

    /// ` AND col > a AND col < b` for the cursors that are set. The bounds
    /// are integers formatted here, never text from the request, so they are
    /// written into the statement rather than bound (the callers' statements
    /// number their own parameters).
    pub(super) fn bounds(&self, col: &str) -> String {
        let mut sql = String::new();
        if let Some(a) = self.after {
            sql.push_str(&format!(" AND {col} > {a}"));
        }
        if let Some(b) = self.before {
            sql.push_str(&format!(" AND {col} < {b}"));
        }
        sql
    }

    /// [`Paging::bounds`] then [`Paging::order_limit`]: what follows a
    /// statement's own `WHERE` conditions.
    pub(super) fn sql(&self, col: &str) -> String {
        format!("{}{}", self.bounds(col), self.order_limit(col))
    }

    /// ` ORDER BY col [DESC] LIMIT n`.
    pub(super) fn order_limit(&self, col: &str) -> String {
        self.order_limit_n(col, self.limit)
    }

    /// As [`Paging::order_limit`] with another row count (a scan that reads
    /// more rows than it returns).
    pub(super) fn order_limit_n(&self, col: &str, n: i64) -> String {
        let dir = if self.desc { " DESC" } else { "" };
        format!(" ORDER BY {col}{dir} LIMIT {n}")
    }

    /// The same window continued past the row with id `last`, in this
    /// direction.
    pub fn past(&self, last: i64) -> Paging {
        let mut next = *self;
        if self.desc {
            next.before = Some(last);
        } else {
            next.after = Some(last);
        }
        next
    }

    /// The cursor for the following page (the id of the last row, to pass
    /// as `after` ascending or `before` descending), when this page was full.
    pub fn next<T>(&self, rows: &[T], id: impl Fn(&T) -> i64) -> Option<i64> {
        if rows.len() as i64 >= self.limit {
            rows.last().map(id)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_order_follow_the_cursors() {
        let p = Paging::new(Some(5), Some(50), true, Some(10));
        assert_eq!(p.bounds("m.id"), " AND m.id > 5 AND m.id < 50");
        assert_eq!(p.order_limit("m.id"), " ORDER BY m.id DESC LIMIT 10");
        assert_eq!(Paging::default().bounds("id"), "");
        assert_eq!(Paging::default().order_limit("id"), " ORDER BY id LIMIT 100");
    }

    #[test]
    fn the_next_page_continues_in_its_direction() {
        let asc = Paging::new(None, None, false, Some(2));
        assert_eq!(asc.past(7).after, Some(7));
        assert_eq!(asc.next(&[3, 7], |x| *x), Some(7));
        assert_eq!(asc.next(&[3], |x| *x), None);
        let desc = Paging::new(Some(1), None, true, Some(2));
        let next = desc.past(4);
        assert_eq!((next.after, next.before), (Some(1), Some(4)));
    }

    #[test]
    fn limits_are_kept_in_range() {
        assert_eq!(Paging::new(None, None, false, Some(0)).limit, 1);
        assert_eq!(Paging::new(None, None, false, Some(1_000_000)).limit, MAX_PAGE);
    }
}
