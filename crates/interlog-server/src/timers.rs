//! The agent's timers: woken in deadline order, and cancelled when what they guard is over (a
//! finished raise's deadline is not kept for the minutes it had left).

use std::collections::{BTreeMap, HashMap};

use interlog_core::message::Millis;
use interlog_core::Timer;

#[derive(Default)]
pub struct TimerQueue {
    /// By deadline, then the order they were set in.
    by_due: BTreeMap<(Millis, u64), Timer>,
    /// Where each timer sits in `by_due` (a timer may be set more than once).
    by_timer: HashMap<Timer, Vec<(Millis, u64)>>,
    seq: u64,
}

impl TimerQueue {
    pub fn set(&mut self, at_ms: Millis, timer: Timer) {
        self.seq += 1;
        let slot = (at_ms, self.seq);
        self.by_timer.entry(timer.clone()).or_default().push(slot);
        self.by_due.insert(slot, timer);
    }

    /// Forgets every setting of `timer`.
    pub fn cancel(&mut self, timer: &Timer) {
        for slot in self.by_timer.remove(timer).unwrap_or_default() {
            self.by_due.remove(&slot);
        }
    }

    /// When the next timer is due.
    pub fn next_due(&self) -> Option<Millis> {
        self.by_due.keys().next().map(|(at, _)| *at)
    }

    /// The next timer due at or before `now`, taken out of the queue.
    pub fn pop_due(&mut self, now: Millis) -> Option<Timer> {
        let (&slot, _) = self
            .by_due
            .iter()
            .next()
            .filter(|((at, _), _)| *at <= now)?;
        let timer = self.by_due.remove(&slot)?;
        if let Some(slots) = self.by_timer.get_mut(&timer) {
            slots.retain(|s| *s != slot);
            if slots.is_empty() {
                self.by_timer.remove(&timer);
            }
        }
        Some(timer)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_due.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.by_due.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(key: &str) -> Timer {
        Timer::ResultDeadline { key: key.into() }
    }

    #[test]
    fn due_in_deadline_order_then_setting_order() {
        let mut q = TimerQueue::default();
        q.set(20, result("b"));
        q.set(10, result("a"));
        q.set(20, Timer::Heartbeat);
        assert_eq!(q.next_due(), Some(10));
        assert_eq!(q.pop_due(5), None);
        assert_eq!(q.pop_due(30), Some(result("a")));
        assert_eq!(q.pop_due(30), Some(result("b")));
        assert_eq!(q.pop_due(30), Some(Timer::Heartbeat));
        assert!(q.is_empty());
    }

    #[test]
    fn a_cancelled_timer_is_gone_every_time_it_was_set() {
        let mut q = TimerQueue::default();
        for i in 0..1000 {
            q.set(300_000 + i, result(&format!("k{i}")));
        }
        q.set(10, result("k1"));
        for i in 0..1000 {
            q.cancel(&result(&format!("k{i}")));
        }
        assert!(q.is_empty());
        assert!(q.by_timer.is_empty());
        // Cancelling what is not there is nothing.
        q.cancel(&Timer::Heartbeat);
        assert_eq!(q.len(), 0);
    }
}
