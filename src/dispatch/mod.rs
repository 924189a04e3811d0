//! Joins store, links and the flow engine: inbound, outbox dispatcher, broadcasts, scheduler.
