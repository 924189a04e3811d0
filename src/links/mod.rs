//! The link set: routing by prefix, failover, rate limits, the simulator link.
