//! Where the agent gets identifiers from. Production uses random UUIDs and secrets; tests use a
//! counter so every scenario is deterministic.

pub trait IdSource: Send {
    /// A fresh unique id (UUID text in production).
    fn uuid(&mut self) -> String;
    /// A fresh secret with at least 128 random bits (an instance's `instanceUuid`).
    fn secret(&mut self) -> String;
}

/// Deterministic ids for tests: `id-1`, `id-2`, … and `secret-1`, ….
#[derive(Debug, Default)]
pub struct CountingIds {
    next: u64,
}

impl IdSource for CountingIds {
    fn uuid(&mut self) -> String {
        self.next += 1;
        format!("id-{}", self.next)
    }
    fn secret(&mut self) -> String {
        self.next += 1;
        format!("secret-{}", self.next)
    }
}
