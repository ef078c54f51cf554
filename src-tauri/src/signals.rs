//! Stopping on SIGTERM and SIGINT, shared by the headless agent and the desktop app.

/// SIGTERM and SIGINT, caught from the moment `install` returns: a signal that arrives while the
/// app is still starting waits here instead of killing the process with its discovery file left
/// behind. The headless agent and the desktop app both stop on the first one.
pub struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Must run inside a Tokio runtime (the streams register with its signal driver).
    pub fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Resolves on the first SIGTERM or SIGINT (including one that came before this call).
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
