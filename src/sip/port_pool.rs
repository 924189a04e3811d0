//! The RTP port range: hands out even ports (RTP) with the odd port above kept
//! for RTCP, binds them, and takes them back when the call's lease drops.
//! Sized from the configured call concurrency. Knows nothing of SIP or codecs.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};

use thiserror::Error;

/// Ports per call: one for RTP and the odd one above it for RTCP (RFC 3550 §11).
pub const PORTS_PER_CALL: u32 = 2;
/// Extra pairs beyond the concurrency: other processes may hold ports in the range,
/// and freed pairs wait at the back of the queue so late packets of an ended call
/// do not reach the next call.
pub const HEADROOM_PERCENT: u32 = 25;

/// Why no RTP port could be had.
#[derive(Debug, Error)]
pub enum PortPoolError {
    #[error("RTP port range {first}-{last} holds no even/odd pair")]
    EmptyRange { first: u16, last: u16 },
    #[error("RTP port range for {concurrency} calls starting at {first} runs past port 65535")]
    RangeTooLarge { first: u16, concurrency: u32 },
    #[error("all {0} RTP port pairs are in use or could not be bound")]
    Exhausted(usize),
}

/// A range of RTP port pairs shared by all calls on one address.
#[derive(Debug)]
pub struct PortPool {
    ip: IpAddr,
    free: Mutex<VecDeque<u16>>,
    pairs: usize,
}

impl PortPool {
    /// Every even port from `first` to `last` whose odd partner is also in range.
    pub fn new(ip: IpAddr, first: u16, last: u16) -> Result<Arc<Self>, PortPoolError> {
        let start = first + first % 2;
        let free: VecDeque<u16> = (start..last).step_by(2).collect();
        if free.is_empty() {
            return Err(PortPoolError::EmptyRange { first, last });
        }
        let pairs = free.len();
        Ok(Arc::new(PortPool {
            ip,
            free: Mutex::new(free),
            pairs,
        }))
    }

    /// A range starting at `first` big enough for `concurrency` calls plus headroom.
    pub fn for_concurrency(ip: IpAddr, first: u16, concurrency: u32) -> Result<Arc<Self>, PortPoolError> {
        let pairs = concurrency + (concurrency * HEADROOM_PERCENT).div_ceil(100);
        let last = u32::from(first) + first as u32 % 2 + pairs * PORTS_PER_CALL;
        let last = u16::try_from(last).map_err(|_| PortPoolError::RangeTooLarge { first, concurrency })?;
        Self::new(ip, first, last)
    }

    /// Port pairs in the range.
    pub fn capacity(&self) -> usize {
        self.pairs
    }

    /// Pairs not leased right now.
    pub fn available(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<u16>> {
        // A panic while holding this lock cannot leave the queue half-updated.
        self.free.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Bind the next free RTP port, skipping any another process holds.
    pub fn bind(self: &Arc<Self>) -> Result<(UdpSocket, PortLease), PortPoolError> {
        let mut free = self.lock();
        for _ in 0..free.len() {
            let Some(port) = free.pop_front() else { break };
            match UdpSocket::bind(SocketAddr::new(self.ip, port)) {
                Ok(socket) => {
                    return Ok((
                        socket,
                        PortLease {
                            pool: Arc::clone(self),
                            port,
                        },
                    ))
                }
                Err(err) => {
                    tracing::debug!(port, %err, "RTP port busy, trying the next");
                    free.push_back(port);
                }
            }
        }
        Err(PortPoolError::Exhausted(self.pairs))
    }
}

/// A leased RTP port; returned to the back of the pool on drop.
#[derive(Debug)]
pub struct PortLease {
    pool: Arc<PortPool>,
    port: u16,
}

impl PortLease {
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        self.pool.lock().push_back(self.port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn localhost() -> IpAddr {
        IpAddr::from([127, 0, 0, 1])
    }

    #[test]
    fn sized_for_concurrency_with_headroom() {
        let pool = PortPool::for_concurrency(localhost(), 30000, 100).unwrap();
        assert_eq!(pool.capacity(), 125);
        assert!(matches!(
            PortPool::for_concurrency(localhost(), 65000, 1000),
            Err(PortPoolError::RangeTooLarge { .. })
        ));
        assert!(matches!(
            PortPool::new(localhost(), 5001, 5002),
            Err(PortPoolError::EmptyRange { .. })
        ));
    }

    #[test]
    fn leases_even_ports_skip_busy_ones_and_come_back_last() {
        // Occupy the first even port of a private range so the pool must skip it.
        let first = {
            let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
            let port = probe.local_addr().unwrap().port();
            (port.min(60000) / 2) * 2
        };
        let squatter = UdpSocket::bind(SocketAddr::new(localhost(), first));
        let pool = PortPool::new(localhost(), first, first + 8).unwrap();
        assert_eq!(pool.capacity(), 4);
        let (socket_a, lease_a) = pool.bind().unwrap();
        assert_eq!(lease_a.port() % 2, 0);
        assert_eq!(socket_a.local_addr().unwrap().port(), lease_a.port());
        if squatter.is_ok() {
            assert_ne!(lease_a.port(), first);
        }
        let (_socket_b, lease_b) = pool.bind().unwrap();
        assert_ne!(lease_a.port(), lease_b.port());
        let released = lease_a.port();
        drop((socket_a, lease_a));
        let mut order = Vec::new();
        let mut held = Vec::new();
        while let Ok((socket, lease)) = pool.bind() {
            order.push(lease.port());
            held.push((socket, lease));
        }
        assert_eq!(order.last(), Some(&released), "freed port is reused last");
        assert!(matches!(pool.bind(), Err(PortPoolError::Exhausted(4))));
        drop(held);
        assert!(pool.available() >= 3);
    }
}
