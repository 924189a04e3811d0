//! The engine's seam onto the expression language: the few calls the engine
//! makes (templates, router tests), kept in one place so the engine does not
//! depend on the expression module's internals.

/// True if `test` names a router test.
pub fn is_router_test(test: &str) -> bool {
    crate::flow::cases::case_arity(test).is_some()
}
