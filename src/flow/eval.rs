//! The engine's seam onto the expression language: the few calls the engine
//! makes (templates, router tests), kept in one place so the engine does not
//! depend on the expression module's internals.

/// Router test names (case `type`s) the engine accepts.
const ROUTER_TESTS: &[&str] = &[
    "has_all_words",
    "has_any_word",
    "has_beginning",
    "has_category",
    "has_date",
    "has_date_eq",
    "has_date_gt",
    "has_date_lt",
    "has_district",
    "has_email",
    "has_error",
    "has_group",
    "has_intent",
    "has_number",
    "has_number_between",
    "has_number_eq",
    "has_number_gt",
    "has_number_gte",
    "has_number_lt",
    "has_number_lte",
    "has_only_phrase",
    "has_only_text",
    "has_pattern",
    "has_phone",
    "has_phrase",
    "has_state",
    "has_text",
    "has_time",
    "has_top_intent",
    "has_value",
    "has_ward",
];

/// True if `test` names a router test.
pub fn is_router_test(test: &str) -> bool {
    ROUTER_TESTS.contains(&test)
}
