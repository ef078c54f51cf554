//! `--headless`: the agent, the store and the socket, no windows. Stops on SIGINT/SIGTERM.

use std::process::ExitCode;

use crate::cli::AgentArgs;
use crate::signals::ShutdownSignals;

pub fn run(args: &AgentArgs) -> ExitCode {
    // One thread for the agent task and every connection: no cross-thread wake-ups on the
    // hot path (the ledger writes on its own thread either way).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("interlog: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (config, problems) = args.agent_config();
    for problem in &problems {
        eprintln!("interlog: {problem}");
    }
    runtime.block_on(async {
        let mut signals = match ShutdownSignals::install() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("interlog: cannot catch SIGTERM/SIGINT: {e}");
                return ExitCode::FAILURE;
            }
        };
        let agent = match interlog_server::start(config).await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("interlog: {e}");
                return ExitCode::FAILURE;
            }
        };
        for problem in &agent.directory_problems {
            eprintln!("interlog: app directory: {problem}");
        }
        // A panic in the agent task ends the process (cleanly: discovery file removed, ledger
        // closed) rather than leaving a socket that accepts apps nobody serves.
        let code = tokio::select! {
            () = signals.recv() => {
                tracing::info!("shutting down");
                ExitCode::SUCCESS
            }
            status = agent.ended() => {
                eprintln!("interlog: the agent stopped ({status:?}); shutting down");
                ExitCode::FAILURE
            }
        };
        agent.shutdown().await;
        code
    })
}
