//! The Interlog desktop app: the Tauri shell around the agent runtime.
//!
//! - `cli`: the command line (the same binary runs the app, `--headless` and the CLI).
//! - `commands`: the Tauri commands the UI calls.
//! - `windows`: the history window and the resolver dialog, and the events they get.
//! - `headless`, `cli_commands`: the window-less entry points.
//! - `signals`: SIGTERM/SIGINT as a clean shutdown, for the app and the headless agent alike.

pub mod cli;
pub mod cli_commands;
pub mod commands;
pub mod export;
pub mod headless;
pub mod hosted;
pub mod launcher;
pub mod remembered;
pub mod retention;
pub mod samples;
pub mod signals;
pub mod sources;
/// Only the drift test uses the generated declarations; the app never needs them at run time.
#[cfg(test)]
mod ui_types;
pub mod window_export;
pub mod windows;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use interlog_server::directory_sources::DirectorySources;
use interlog_server::icons::IconCache;
use interlog_server::{AgentHandle, RunningAgent, ServerConfig};
use tauri::Manager;

/// What the commands reach through `State`.
pub struct DesktopState {
    pub handle: AgentHandle,
    /// Directory apps' icons, fetched by the agent so the windows need no network (strict CSP).
    pub icons: IconCache,
    /// Kept so the socket and the discovery file live as long as the app.
    pub running: Mutex<Option<RunningAgent>>,
    /// The directory's sources, as the settings window edits them.
    pub sources: Arc<DirectorySources>,
    /// What was wrong when the directory was last read.
    pub source_problems: Mutex<Vec<String>>,
    pub data_dir: std::path::PathBuf,
    /// The history window's export, while one runs.
    pub exports: window_export::Exports,
    /// How long records are kept (the settings window changes it).
    pub retention: interlog_server::retention::Retention,
}

impl DesktopState {
    /// The state for an agent started with `config`; `command_line` are the `--appd` sources
    /// (shown, not saved).
    pub fn new(config: &ServerConfig, command_line: Vec<String>, running: RunningAgent) -> Self {
        DesktopState {
            handle: running.handle.clone(),
            icons: IconCache::fetch_in_background(running.icon_urls.clone()),
            retention: running.retention.clone(),
            source_problems: Mutex::new(running.directory_problems.clone()),
            running: Mutex::new(Some(running)),
            sources: Arc::new(DirectorySources::new(
                &config.data_dir,
                command_line,
                config.source_reader(),
            )),
            data_dir: config.data_dir.clone(),
            exports: window_export::Exports::default(),
        }
    }
}

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("INTERLOG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Registers the commands and state on a builder; shared by the real app and the tests.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::history_list,
        commands::history_detail,
        commands::history_unconfirmed,
        commands::history_count,
        commands::history_people,
        commands::history_resend,
        commands::history_chart,
        window_export::history_export,
        window_export::history_export_cancel,
        window_export::history_export_suggest,
        window_export::history_export_choose,
        commands::ledger_health,
        commands::resolver_current,
        commands::resolver_choose,
        commands::raise_example,
        launcher::launcher_view,
        launcher::launcher_open,
        launcher::instance_focus,
        launcher::instance_close,
        launcher::window_show,
        sources::sources_list,
        sources::sources_check,
        sources::sources_add,
        sources::sources_remove,
        remembered::remembered_list,
        remembered::remembered_remove,
        retention::retention_view,
        retention::retention_preview,
        retention::retention_set,
        hosted::commands::hosted_post,
        hosted::commands::hosted_close,
    ])
}

/// A start that fails says why on stderr and, for someone who opened Interlog from the desktop
/// menu (stderr is no terminal), in a dialog too: otherwise the app would just not appear.
/// `INTERLOG_NO_DIALOG=1` keeps it to stderr (scripts, services).
fn cannot_start(message: &str, mut signals: signals::ShutdownSignals) -> ExitCode {
    use std::io::IsTerminal;
    eprintln!("interlog: {message}");
    let quiet = std::env::var_os("INTERLOG_NO_DIALOG").is_some_and(|v| v != "0");
    if !quiet && !std::io::stderr().is_terminal() {
        // The signals are caught from the start; while the dialog waits, one still ends the process.
        tauri::async_runtime::spawn(async move {
            signals.recv().await;
            std::process::exit(1);
        });
        show_error_dialog(message);
    }
    ExitCode::FAILURE
}

fn show_error_dialog(message: &str) {
    use gtk::prelude::*;
    if gtk::init().is_err() {
        return;
    }
    let dialog = gtk::MessageDialog::new(
        None::<&gtk::Window>,
        gtk::DialogFlags::MODAL,
        gtk::MessageType::Error,
        gtk::ButtonsType::Close,
        "Interlog cannot start",
    );
    dialog.set_title("Interlog");
    dialog.set_position(gtk::WindowPosition::Center);
    dialog.set_secondary_text(Some(message));
    dialog.run();
    dialog.close();
}

pub fn run_desktop(args: cli::AgentArgs) -> ExitCode {
    // Without a display GTK would abort; say what to do instead.
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!("interlog: no display (DISPLAY/WAYLAND_DISPLAY unset); run with --headless for the agent without windows");
        return ExitCode::FAILURE;
    }
    let (mut config, problems) = args.agent_config();
    // The desktop has windows to open web apps in.
    config.agent.launch_web = true;
    // The sample apps are served by Interlog itself; their directory is `interlog:samples`.
    match tauri::async_runtime::block_on(samples::serve()) {
        Ok(addr) => {
            config.bundled_sources.insert(
                samples::SAMPLES_SOURCE.to_owned(),
                samples::directory(&samples::origin(addr)),
            );
        }
        Err(e) => eprintln!("interlog: cannot serve the sample apps: {e}"),
    }
    let command_line: Vec<String> = args
        .appd
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    let data_dir = config.data_dir.clone();
    for problem in &problems {
        eprintln!("interlog: {problem}");
    }
    // Caught before the discovery file is written, so no signal can leave it behind.
    let signals = tauri::async_runtime::block_on(async { signals::ShutdownSignals::install() });
    let mut signals = match signals {
        Ok(s) => s,
        Err(e) => {
            eprintln!("interlog: cannot catch SIGTERM/SIGINT: {e}");
            return ExitCode::FAILURE;
        }
    };
    let running = match tauri::async_runtime::block_on(interlog_server::start(config.clone())) {
        Ok(r) => r,
        Err(e) => return cannot_start(&e.to_string(), signals),
    };
    for problem in &running.directory_problems {
        eprintln!("interlog: app directory: {problem}");
    }
    let handle = running.handle.clone();
    let state = DesktopState::new(&config, command_line, running);
    let forwarded_icons = state.icons.clone();
    let hosted = Arc::new(hosted::HostedApps::new(handle.clone(), &data_dir));
    let app = with_commands(tauri::Builder::default())
        .manage(hosted)
        .manage(state)
        .setup(move |app| {
            handle.set_web_host(Arc::new(hosted::WindowHost {
                app: app.handle().clone(),
            }));
            windows::create(app.handle())?;
            windows::forward_ledger_health(app.handle().clone(), &handle);
            windows::forward_agent_events(
                app.handle().clone(),
                handle.clone(),
                forwarded_icons,
                data_dir.clone(),
            );
            // SIGTERM (logout, `kill`, a service manager) and Ctrl-C are requests for a clean
            // shutdown: leave through the event loop so `RunEvent::Exit` below closes the agent
            // and removes the discovery file, as the app-connection contract requires.
            // A panic in the agent task (a bug) ends the app the same clean way, so that it is
            // restarted rather than left accepting apps nobody serves.
            let exiting = app.handle().clone();
            let watched = handle.clone();
            tauri::async_runtime::spawn(async move {
                tokio::select! {
                    () = signals.recv() => {
                        tracing::info!("shutting down");
                        exiting.exit(0);
                    }
                    status = watched.ended() => {
                        eprintln!("interlog: the agent stopped ({status:?}); shutting down");
                        exiting.exit(1);
                    }
                }
            });
            Ok(())
        })
        .build(tauri::generate_context!("tauri.conf.json"));
    let app = match app {
        Ok(a) => a,
        Err(e) => {
            // No dialog: the window system that would show it is what failed.
            eprintln!("interlog: cannot start the window system: {e}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event {
            let state = app.state::<DesktopState>();
            let running = state.running.lock().ok().and_then(|mut r| r.take());
            if let Some(running) = running {
                tauri::async_runtime::block_on(running.shutdown());
            }
        }
    });
    ExitCode::SUCCESS
}
