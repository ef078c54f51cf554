//! `interlog`: the desktop app (default), `--headless` agent, and command line.

use std::process::ExitCode;

use clap::Parser;
use interlog_app::cli::{Cli, Command};

// The agent allocates and frees a JSON tree per message on one thread and hands ledger writes to
// another. Measured with the round-trip benchmark: about 5% less agent CPU than glibc's malloc, for
// about 12 MB more resident memory in the headless agent. Without transparent huge pages
// (`no_thp`): with them the desktop app's idle PSS was 15 MB higher (scripts/startup.sh).
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
        Some(Command::Open {
            app,
            context,
            timeout,
        }) => interlog_app::cli_commands::open(&cli.agent, &app, context.as_deref(), timeout),
        Some(Command::History {
            json,
            limit,
            filter,
        }) => interlog_app::cli_commands::history(&cli.agent, json, &filter.query(limit)),
        Some(Command::Export {
            format,
            output,
            filter,
        }) => interlog_app::cli_commands::export(
            &cli.agent,
            &filter.query(0),
            format,
            output.as_deref(),
        ),
        Some(Command::Verify { json }) => interlog_app::cli_commands::verify(&cli.agent, json),
        None if cli.agent.headless => interlog_app::headless::run(&cli.agent),
        None => interlog_app::run_desktop(cli.agent),
    }
}
