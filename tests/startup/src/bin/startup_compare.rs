//! Start-up time and idle memory of desktop apps, side by side, under one X server.
//!
//! ```text
//! startup-compare --runs 5 --app "bare=/path/bare-tauri" --app "interlog=env K=V /path/interlog"
//! ```
//!
//! Each round launches every app once, in the order given (the first is the yardstick the others
//! are compared with); a first round warms the disk cache and is not counted. For each launch:
//! - **mapped**: the first top-level window on screen;
//! - **painted**: the first time a top-level window shows content, i.e. at least
//!   [`PAINTED_COLOURS`] different colours (an empty window is one flat colour; text brings
//!   anti-aliased shades);
//! - **PSS** of the app and every process it started (WebKit's web and network processes), summed,
//!   `--settle-ms` after launch.
//!
//! - with `--raise name=command`, once app `name` is measured: the time from running `command` (a
//!   raise, say) to a new window painted (the resolver dialog).
//!
//! The app is then asked to quit with SIGTERM (killed if it has not within 10 s) and the next
//! launch waits for its windows to be gone. Commands are split on whitespace.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, ImageFormat, MapState, Window};
use x11rb::rust_connection::RustConnection;

/// A window with this many colours or more has been painted.
const PAINTED_COLOURS: usize = 4;
/// How often the screen is looked at.
const POLL: Duration = Duration::from_millis(10);

#[derive(Parser)]
struct Args {
    /// `name=command`, the first being the yardstick. Repeat for each app.
    #[arg(long = "app", required = true)]
    apps: Vec<String>,
    /// Counted rounds (one more, first, warms up).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// When memory is measured, after launch.
    #[arg(long, default_value_t = 5000)]
    settle_ms: u64,
    /// A launch that has not painted by then fails.
    #[arg(long, default_value_t = 30000)]
    timeout_ms: u64,
    /// `name=command`: once app `name` has settled and its memory is measured, run `command` (a
    /// raise that makes the app show a window) and time until a new window is painted.
    #[arg(long = "raise")]
    raises: Vec<String>,
    /// Also write every launch's figures here, one JSON object per line.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
struct Launch {
    app: String,
    round: usize,
    mapped_ms: f64,
    painted_ms: f64,
    pss_mb: f64,
    processes: Vec<String>,
    /// From the `--raise` command's start to its window painted.
    raise_painted_ms: Option<f64>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let apps: Vec<(String, Vec<String>)> = args
        .apps
        .iter()
        .map(|a| named_command("--app", a))
        .collect();
    let raises: HashMap<String, Vec<String>> = args
        .raises
        .iter()
        .map(|r| named_command("--raise", r))
        .collect();
    let (conn, screen) = match x11rb::connect(None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "startup-compare: no X display ({e}); run it under Xvfb (scripts/startup.sh does)"
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let root = conn.setup().roots[screen].root;
    let mut launches: Vec<Launch> = Vec::new();
    let mut failed = false;
    for round in 0..=args.runs {
        for (name, command) in &apps {
            wait_for_empty_screen(&conn, root);
            match launch(&conn, root, command, raises.get(name), &args) {
                Ok(mut l) => {
                    l.app = name.clone();
                    l.round = round;
                    eprintln!(
                        "{}{name}: mapped {:.0} ms, painted {:.0} ms, PSS {:.1} MB over {} processes{}",
                        if round == 0 { "(warm-up) " } else { "" },
                        l.mapped_ms,
                        l.painted_ms,
                        l.pss_mb,
                        l.processes.len(),
                        l.raise_painted_ms
                            .map(|ms| format!(", raise to window painted {ms:.0} ms"))
                            .unwrap_or_default()
                    );
                    if round > 0 {
                        launches.push(l);
                    }
                }
                Err(e) => {
                    eprintln!("{name} (round {round}): {e}");
                    failed = true;
                }
            }
        }
    }
    if let Some(path) = &args.json {
        let lines: String = launches
            .iter()
            .map(|l| serde_json::to_string(l).expect("serialisable") + "\n")
            .collect();
        if let Err(e) = std::fs::write(path, lines) {
            eprintln!("cannot write {}: {e}", path.display());
        }
    }
    report(&apps, &launches);
    if failed {
        eprintln!("startup-compare: some launches failed (above)");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

/// Why a launch gave no figures.
#[derive(Debug)]
enum LaunchError {
    /// The program could not be started.
    Start {
        program: String,
        error: std::io::Error,
    },
    /// The app ended before any window of it was painted.
    ExitedBeforePaint(std::process::ExitStatus),
    /// No window painted within `--timeout-ms` of the launch.
    NoPaint { timeout_ms: u64 },
    /// No new window painted within `--timeout-ms` of the `--raise` command.
    NoRaisedWindow { timeout_ms: u64 },
}

impl std::fmt::Display for LaunchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaunchError::Start { program, error } => write!(f, "cannot start {program}: {error}"),
            LaunchError::ExitedBeforePaint(status) => {
                write!(f, "exited before painting a window ({status})")
            }
            LaunchError::NoPaint { timeout_ms } => {
                write!(f, "no painted window within {timeout_ms} ms")
            }
            LaunchError::NoRaisedWindow { timeout_ms } => {
                write!(
                    f,
                    "no new window painted within {timeout_ms} ms of the raise"
                )
            }
        }
    }
}

fn launch(
    conn: &RustConnection,
    root: Window,
    command: &[String],
    raise: Option<&Vec<String>>,
    args: &Args,
) -> Result<Launch, LaunchError> {
    let start = Instant::now();
    let mut child = spawn(command)?;
    let mut result = watch(conn, root, &mut child, start, args);
    if let (Ok(launch), Some(raise)) = (&mut result, raise) {
        match raised_window(conn, root, raise, args) {
            Ok(ms) => launch.raise_painted_ms = Some(ms),
            Err(e) => result = Err(e),
        }
    }
    quit(&mut child);
    result
}

/// `name=command` as given to `flag`: the name, and the command split into program and arguments.
/// Anything else ends the run with a clear error.
fn named_command(flag: &str, value: &str) -> (String, Vec<String>) {
    let words =
        |command: &str| -> Vec<String> { command.split_whitespace().map(str::to_owned).collect() };
    match value.split_once('=') {
        Some((name, command)) if !words(command).is_empty() => (name.to_owned(), words(command)),
        _ => {
            eprintln!("{flag} {value}: expected name=command");
            std::process::exit(2)
        }
    }
}

/// Starts `command` (program and arguments), its output discarded but for errors.
fn spawn(command: &[String]) -> Result<Child, LaunchError> {
    Command::new(&command[0])
        .args(&command[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|error| LaunchError::Start {
            program: command[0].clone(),
            error,
        })
}

/// Runs `raise` and times until a window that was not on screen before is painted.
fn raised_window(
    conn: &RustConnection,
    root: Window,
    raise: &[String],
    args: &Args,
) -> Result<f64, LaunchError> {
    let before = shown_windows(conn, root);
    let start = Instant::now();
    let mut raiser = spawn(raise)?;
    let timeout = Duration::from_millis(args.timeout_ms);
    let painted = loop {
        if start.elapsed() > timeout {
            break Err(LaunchError::NoRaisedWindow {
                timeout_ms: args.timeout_ms,
            });
        }
        let new = shown_windows(conn, root)
            .into_iter()
            .filter(|w| !before.contains(w))
            .any(|w| colours(conn, w) >= PAINTED_COLOURS);
        if new {
            break Ok(start.elapsed().as_secs_f64() * 1000.0);
        }
        sleep(POLL);
    };
    // It waits for the user's choice: nobody makes one.
    let _ = raiser.kill();
    let _ = raiser.wait();
    painted
}

fn watch(
    conn: &RustConnection,
    root: Window,
    child: &mut Child,
    start: Instant,
    args: &Args,
) -> Result<Launch, LaunchError> {
    let timeout = Duration::from_millis(args.timeout_ms);
    let mut mapped = None;
    let painted = loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(LaunchError::ExitedBeforePaint(status));
        }
        let elapsed = start.elapsed();
        if elapsed > timeout {
            return Err(LaunchError::NoPaint {
                timeout_ms: args.timeout_ms,
            });
        }
        let windows = shown_windows(conn, root);
        if !windows.is_empty() && mapped.is_none() {
            mapped = Some(elapsed);
        }
        if windows.iter().any(|&w| colours(conn, w) >= PAINTED_COLOURS) {
            break elapsed;
        }
        sleep(POLL);
    };
    let settle = Duration::from_millis(args.settle_ms);
    if let Some(rest) = settle.checked_sub(start.elapsed()) {
        sleep(rest);
    }
    let (pss_kb, processes) = pss_tree(child.id());
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(Launch {
        app: String::new(),
        round: 0,
        mapped_ms: ms(mapped.unwrap_or(painted)),
        painted_ms: ms(painted),
        pss_mb: pss_kb as f64 / 1024.0,
        processes,
        raise_painted_ms: None,
    })
}

/// Top-level windows on screen (bigger than a pixel: toolkits map 1×1 helper windows).
fn shown_windows(conn: &RustConnection, root: Window) -> Vec<Window> {
    let Ok(tree) = conn
        .query_tree(root)
        .map_err(drop)
        .and_then(|c| c.reply().map_err(drop))
    else {
        return Vec::new();
    };
    tree.children
        .into_iter()
        .filter(|&w| {
            let viewable = conn
                .get_window_attributes(w)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|a| a.map_state == MapState::VIEWABLE);
            viewable
                && conn
                    .get_geometry(w)
                    .ok()
                    .and_then(|c| c.reply().ok())
                    .is_some_and(|g| g.width > 1 && g.height > 1)
        })
        .collect()
}

/// How many different colours the window shows, counting up to [`PAINTED_COLOURS`].
fn colours(conn: &RustConnection, window: Window) -> usize {
    let Some(geometry) = conn.get_geometry(window).ok().and_then(|c| c.reply().ok()) else {
        return 0;
    };
    let image = conn
        .get_image(
            ImageFormat::Z_PIXMAP,
            window,
            0,
            0,
            geometry.width,
            geometry.height,
            !0,
        )
        .ok()
        .and_then(|c| c.reply().ok());
    let Some(image) = image else { return 0 };
    let mut seen: Vec<&[u8]> = Vec::with_capacity(PAINTED_COLOURS);
    // 32 bits per pixel at depths 24 and 32; the padding byte is not a colour.
    for pixel in image.data.chunks_exact(4) {
        let rgb = &pixel[..3];
        if !seen.contains(&rgb) {
            seen.push(rgb);
            if seen.len() >= PAINTED_COLOURS {
                break;
            }
        }
    }
    seen.len()
}

/// Waits (at most 10 s) until no window of an earlier launch is left on screen.
fn wait_for_empty_screen(conn: &RustConnection, root: Window) {
    let until = Instant::now() + Duration::from_secs(10);
    while !shown_windows(conn, root).is_empty() && Instant::now() < until {
        sleep(POLL);
    }
}

/// SIGTERM, as a desktop session ends an app; SIGKILL after 10 s.
fn quit(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        sleep(POLL);
    }
    eprintln!("did not quit within 10 s of SIGTERM: killed");
    let _ = child.kill();
    let _ = child.wait();
}

/// PSS in kB of `pid` and all its descendants, with each one's name and share.
fn pss_tree(pid: u32) -> (u64, Vec<String>) {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        let after = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
        if let Some(ppid) = after.split(' ').nth(1).and_then(|s| s.parse().ok()) {
            children.entry(ppid).or_default().push(p);
        }
    }
    let mut total = 0;
    let mut names = Vec::new();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        let kb = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Pss:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .unwrap_or(0);
        let name = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
        total += kb;
        names.push(format!("{} {:.0} MB", name.trim(), kb as f64 / 1024.0));
        stack.extend(children.get(&p).into_iter().flatten());
    }
    (total, names)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn range(xs: &[f64]) -> (f64, f64) {
    xs.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

fn report(apps: &[(String, Vec<String>)], launches: &[Launch]) {
    let of = |name: &str, f: fn(&Launch) -> f64| -> Vec<f64> {
        launches.iter().filter(|l| l.app == name).map(f).collect()
    };
    let yardstick = &apps[0].0;
    let base_paint = median(of(yardstick, |l| l.painted_ms));
    let base_pss = median(of(yardstick, |l| l.pss_mb));
    println!();
    println!("| app | runs | painted ms, median (min–max) | × {yardstick} | PSS MB, median (min–max) | × {yardstick} | raise → window painted, ms | processes |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, _) in apps {
        let paint = of(name, |l| l.painted_ms);
        let pss = of(name, |l| l.pss_mb);
        let (plo, phi) = range(&paint);
        let (mlo, mhi) = range(&pss);
        let processes = launches
            .iter()
            .rev()
            .find(|l| &l.app == name)
            .map(|l| l.processes.join(", "))
            .unwrap_or_default();
        let (p, m) = (median(paint.clone()), median(pss.clone()));
        let raised: Vec<f64> = launches
            .iter()
            .filter(|l| &l.app == name)
            .filter_map(|l| l.raise_painted_ms)
            .collect();
        let raised = if raised.is_empty() {
            "–".to_owned()
        } else {
            let (lo, hi) = range(&raised);
            format!("{:.0} ({lo:.0}–{hi:.0})", median(raised))
        };
        println!(
            "| {name} | {} | {p:.0} ({plo:.0}–{phi:.0}) | {:.2} | {m:.1} ({mlo:.1}–{mhi:.1}) | {:.2} | {raised} | {processes} |",
            paint.len(),
            p / base_paint,
            m / base_pss,
        );
    }
}
