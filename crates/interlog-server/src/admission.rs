//! Which TCP connections the socket server keeps: a bound on all connections, and a smaller one
//! on those that have not yet proved an identity (still upgrading, or upgraded but silent).
//!
//! A local process can open connections much faster than the 5 s it takes to time one out. When
//! the not-yet-identified bound is reached, the **oldest** such connection is closed to make room
//! (a real app upgrades and identifies within milliseconds, so a flood of idle connections cannot
//! keep it out); when the total bound is reached, new connections are refused and the identified
//! apps keep being served.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Connections of every kind at once.
    pub max_connections: usize,
    /// Connections that have not (yet) identified, at once.
    pub max_unidentified: usize,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        AdmissionLimits {
            max_connections: 2048,
            max_unidentified: 128,
        }
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("too many connections")]
    TooManyConnections,
}

pub struct Admission {
    limits: AdmissionLimits,
    total: AtomicUsize,
    next_id: AtomicU64,
    /// The not-yet-identified connections, oldest first.
    unidentified: Mutex<VecDeque<(u64, Arc<Notify>)>>,
    refused: AtomicU64,
}

impl Admission {
    pub fn new(limits: AdmissionLimits) -> Arc<Admission> {
        Arc::new(Admission {
            limits,
            total: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            unidentified: Mutex::new(VecDeque::new()),
            refused: AtomicU64::new(0),
        })
    }

    pub fn limits(&self) -> AdmissionLimits {
        self.limits
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// A slot for a new connection, unidentified; the oldest unidentified connection is told to
    /// close if there are too many of them.
    pub fn admit(self: &Arc<Self>) -> Result<Slot, Refusal> {
        let taken = self.total.fetch_add(1, Ordering::AcqRel);
        if taken >= self.limits.max_connections {
            self.total.fetch_sub(1, Ordering::AcqRel);
            let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    open = taken,
                    refused,
                    "connection limit reached: refusing new connections"
                );
            }
            return Err(Refusal::TooManyConnections);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let evict = Arc::new(Notify::new());
        let mut pending = self.lock();
        if pending.len() >= self.limits.max_unidentified {
            if let Some((old, notify)) = pending.pop_front() {
                tracing::debug!(
                    connection = old,
                    "too many unidentified connections: closing the oldest"
                );
                notify.notify_one();
            }
        }
        pending.push_back((id, evict.clone()));
        drop(pending);
        Ok(Slot {
            admission: self.clone(),
            id,
            evict,
            identified: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(u64, Arc<Notify>)>> {
        // The queue holds no invariant a panic could break half-way.
        self.unidentified
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn forget_unidentified(&self, id: u64) {
        let mut pending = self.lock();
        if let Some(pos) = pending.iter().position(|(i, _)| *i == id) {
            pending.remove(pos);
        }
    }
}

/// One admitted connection; dropping it frees its place.
pub struct Slot {
    admission: Arc<Admission>,
    id: u64,
    evict: Arc<Notify>,
    identified: AtomicBool,
}

impl Slot {
    /// The connection proved an identity: it no longer counts as unidentified and is never
    /// evicted for newcomers.
    pub fn identified(&self) {
        if !self.identified.swap(true, Ordering::AcqRel) {
            self.admission.forget_unidentified(self.id);
        }
    }

    pub fn is_identified(&self) -> bool {
        self.identified.load(Ordering::Acquire)
    }

    /// Completes when this (unidentified) connection must make room for a newer one.
    pub async fn evicted(&self) {
        self.evict.notified().await
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !self.identified.load(Ordering::Acquire) {
            self.admission.forget_unidentified(self.id);
        }
        self.admission.total.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_oldest_unidentified_connection_makes_room() {
        let admission = Admission::new(AdmissionLimits {
            max_connections: 10,
            max_unidentified: 2,
        });
        let first = admission.admit().unwrap();
        let second = admission.admit().unwrap();
        second.identified();
        let third = admission.admit().unwrap();
        // Two unidentified (first, third): a fourth evicts the first, never the identified one.
        let _fourth = admission.admit().unwrap();
        tokio::time::timeout(Duration::from_secs(1), first.evicted())
            .await
            .expect("the oldest unidentified connection is told to close");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), second.evicted())
                .await
                .is_err()
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(50), third.evicted())
                .await
                .is_err()
        );
        assert_eq!(admission.open(), 4);
    }

    #[tokio::test]
    async fn the_total_is_a_hard_limit_and_slots_are_given_back() {
        let admission = Admission::new(AdmissionLimits {
            max_connections: 2,
            max_unidentified: 2,
        });
        let a = admission.admit().unwrap();
        let _b = admission.admit().unwrap();
        assert_eq!(admission.admit().err(), Some(Refusal::TooManyConnections));
        drop(a);
        assert!(admission.admit().is_ok());
    }
}
