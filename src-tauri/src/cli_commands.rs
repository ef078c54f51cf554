//! `interlog raise`, `interlog open` and `interlog history`.

use std::process::ExitCode;
use std::time::Duration;

use interlog_core::builtin::CLI_IDENTITY_URL;
use interlog_server::client::Client;
use interlog_store::{HistoryQuery, HistoryReader};
use serde_json::{json, Value};

use crate::cli::AgentArgs;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("interlog: {message}");
    ExitCode::FAILURE
}

fn read_context(file: &std::path::Path) -> Result<Value, String> {
    std::fs::read_to_string(file)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// The running agent, reached as the `interlog.cli` app, and the runtime to talk to it on.
fn connect_cli(args: &AgentArgs) -> Result<(tokio::runtime::Runtime, Client), ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    let runtime_dir = args.server_config().runtime_dir();
    let client = runtime
        .block_on(Client::connect_via(&runtime_dir, CLI_IDENTITY_URL))
        .map_err(fail)?;
    Ok((runtime, client))
}

/// `interlog open APP_ID [--context FILE]`: the agent opens the app (as for `fdc3.open`).
pub fn open(
    args: &AgentArgs,
    app_id: &str,
    context_file: Option<&std::path::Path>,
    timeout: u64,
) -> ExitCode {
    let context = match context_file.map(read_context).transpose() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let (runtime, mut client) = match connect_cli(args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let mut payload = json!({ "app": { "appId": app_id } });
        if let Some(context) = context {
            payload["context"] = context;
        }
        let outcome = async {
            let id = client.request("openRequest", payload).await?;
            client
                .response(&id, "openResponse", Duration::from_secs(timeout))
                .await
        }
        .await;
        client.goodbye().await;
        match outcome {
            Ok(m) => match m["payload"]["error"].as_str() {
                Some(fdc3_error) => {
                    eprintln!("{fdc3_error}");
                    ExitCode::FAILURE
                }
                None => {
                    let id = &m["payload"]["appIdentifier"];
                    println!("{}", serde_json::to_string_pretty(id).unwrap_or_default());
                    ExitCode::SUCCESS
                }
            },
            Err(e) => fail(e),
        }
    })
}

pub fn raise(
    args: &AgentArgs,
    intent: &str,
    context_file: &std::path::Path,
    app: Option<String>,
    instance: Option<String>,
    timeout: u64,
) -> ExitCode {
    let context = match read_context(context_file) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let (runtime, mut client) = match connect_cli(args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let mut payload = json!({ "intent": intent, "context": context });
        if let Some(app_id) = app {
            payload["app"] = json!({ "appId": app_id, "instanceId": instance });
        }
        let wait = Duration::from_secs(timeout);
        let outcome = async {
            let id = client.request("raiseIntentRequest", payload).await?;
            let resolution = client.response(&id, "raiseIntentResponse", wait).await?;
            if let Some(e) = resolution["payload"]["error"].as_str() {
                return Ok(Err(e.to_owned()));
            }
            let result = client
                .response(&id, "raiseIntentResultResponse", wait)
                .await?;
            if let Some(e) = result["payload"]["error"].as_str() {
                return Ok(Err(e.to_owned()));
            }
            Ok::<_, interlog_server::client::ClientError>(Ok(json!({
                "intentResolution": resolution["payload"]["intentResolution"],
                "intentResult": result["payload"]["intentResult"],
            })))
        }
        .await;
        client.goodbye().await;
        match outcome {
            Ok(Ok(v)) => {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                ExitCode::SUCCESS
            }
            Ok(Err(fdc3_error)) => {
                eprintln!("{fdc3_error}");
                ExitCode::FAILURE
            }
            Err(e) => fail(e),
        }
    })
}

/// `query.limit` rows (any number, fetched a page of at most `MAX_LIMIT` at a time), newest
/// first.
fn all_pages(
    ledger: &HistoryReader,
    query: &HistoryQuery,
) -> Result<Vec<interlog_store::HistoryRow>, interlog_store::StoreError> {
    let wanted = query.limit as usize;
    let mut rows = Vec::new();
    let mut page = query.clone();
    while rows.len() < wanted {
        let size = (wanted - rows.len()).min(HistoryQuery::MAX_LIMIT as usize);
        page.limit = size as u32;
        let found = ledger.list(&page)?;
        let full = found.len() == size;
        page.before_id = found.last().map(|r| r.id);
        rows.extend(found);
        if !full {
            break;
        }
    }
    Ok(rows)
}

/// The ledger, read-only (the running agent owns writing and may be writing right now); a
/// missing or unreadable one is said on stderr and is the command's failure.
fn open_ledger(args: &AgentArgs) -> Result<HistoryReader, ExitCode> {
    let path = args.server_config().database_path();
    if !path.exists() {
        return Err(fail(format!(
            "no history yet ({} does not exist)",
            path.display()
        )));
    }
    HistoryReader::open(&path).map_err(fail)
}

pub fn history(args: &AgentArgs, as_json: bool, query: &HistoryQuery) -> ExitCode {
    if query.limit == 0 {
        return fail("--limit must be at least 1");
    }
    let ledger = match open_ledger(args) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let rows = match all_pages(&ledger, query) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if rows.is_empty() && !as_json {
        // Said on stderr so that scripts reading the table still get an empty one.
        let everything = interlog_store::HistoryQuery {
            limit: query.limit,
            ..Default::default()
        };
        let filtered = serde_json::to_value(query).ok() != serde_json::to_value(&everything).ok();
        eprintln!(
            "interlog: {}",
            if filtered {
                "no interactions match"
            } else {
                "the history is empty"
            }
        );
    }
    for row in &rows {
        if as_json {
            println!("{}", serde_json::to_string(row).unwrap_or_default());
        } else {
            let time = interlog_core::message::iso_time(row.raised_at_ms);
            let status = row
                .result_status
                .clone()
                .or_else(|| row.error.clone())
                .unwrap_or_else(|| row.state.clone());
            println!(
                "{time}  {:<16} {:<28} {:<18} -> {:<18} {:<24} {}",
                row.interaction_type.as_deref().unwrap_or(&row.context_type),
                row.participants.join(", "),
                row.raiser_app,
                row.handler_app.as_deref().unwrap_or("-"),
                status,
                row.record_id.as_deref().unwrap_or(""),
            );
        }
    }
    ExitCode::SUCCESS
}

/// `interlog verify`: the ledger's hash chain checked (read-only, beside a running agent).
pub fn verify(args: &AgentArgs, as_json: bool) -> ExitCode {
    let path = args.server_config().database_path();
    let verification = match open_ledger(args).map(|l| l.verify()) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return fail(e),
        Err(code) => return code,
    };
    if as_json {
        println!(
            "{}",
            serde_json::to_string(&verification).unwrap_or_default()
        );
    } else {
        println!(
            "{} sealed exchanges checked, {} still under way; chain head {}",
            verification.seals, verification.unfinished, verification.head
        );
    }
    match &verification.problem {
        None => {
            if !as_json {
                println!("the ledger is as Interlog wrote it");
            }
            ExitCode::SUCCESS
        }
        Some(problem) => fail(format!("{}: {problem}", path.display())),
    }
}

/// `interlog export`: every row the filter selects, as CSV or JSON Lines.
pub fn export(
    args: &AgentArgs,
    query: &HistoryQuery,
    format: crate::export::Format,
    output: Option<&std::path::Path>,
) -> ExitCode {
    let ledger = match open_ledger(args) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let written = match output {
        Some(file) => crate::export::to_file(&ledger, query, format, file, &mut |_| {
            std::ops::ControlFlow::Continue(())
        }),
        None => crate::export::write_all(
            &ledger,
            query,
            format,
            std::io::stdout().lock(),
            &mut |_| std::ops::ControlFlow::Continue(()),
        ),
    };
    match written {
        Ok(count) => {
            if let Some(file) = output {
                eprintln!(
                    "interlog: {count} interactions written to {}",
                    file.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
