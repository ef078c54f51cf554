//! `interlog`: the desktop app (default), `--headless` agent, and command line.

use std::process::ExitCode;

use clap::Parser;
use interlog_app::cli::{Cli, Command};

// The agent allocates and frees a JSON tree per message on one thread and hands ledger writes to
// another; mimalloc's thread-local free lists make that markedly cheaper than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    interlog_app::init_tracing();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Raise {
            intent,
            context,
            app,
            instance,
            timeout,
        }) => {
            interlog_app::cli_commands::raise(&cli.agent, &intent, &context, app, instance, timeout)
        }
        Some(Command::History {
            json,
            limit,
            search,
        }) => interlog_app::cli_commands::history(&cli.agent, json, limit, search),
        None if cli.agent.headless => interlog_app::headless::run(&cli.agent),
        None => interlog_app::run_desktop(cli.agent),
    }
}
