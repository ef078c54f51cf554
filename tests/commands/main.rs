//! The Tauri commands the windows call, invoked through Tauri's IPC on its mock runtime (no
//! window, no display) against a real agent and ledger, as the UI would call them, under the
//! app's real configuration and capabilities.

use std::time::{Duration, Instant};

use interlog_app::{with_commands, DesktopState};
use interlog_server::client::Client;
use interlog_server::ServerConfig;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

struct App {
    _app: tauri::App<tauri::test::MockRuntime>,
    window: WebviewWindow<tauri::test::MockRuntime>,
    /// The sample CRM, connected and listening: with the built-in log, two candidates.
    _crm: Client,
    _dir: tempfile::TempDir,
}

/// The sample CRM's identity in the sample directory.
const CRM_URL: &str = "https://apps.interlog.example/crm/";

/// The desktop app's commands and state over a real agent with the sample directory, and the
/// sample CRM connected, so a raise of the example has two candidates: the log and the CRM.
fn app() -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServerConfig::new(dir.path().join("data"));
    config.runtime_dir = Some(dir.path().join("run"));
    config.port = 0;
    config.appd_sources = vec![concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sample-appd.json"
    )
    .to_owned()];
    let running = tauri::async_runtime::block_on(interlog_server::start(config.clone()))
        .expect("agent starts");
    let crm = tauri::async_runtime::block_on(async {
        let mut crm = Client::connect_via(&dir.path().join("run"), CRM_URL)
            .await
            .expect("CRM connects");
        let listening = crm
            .request(
                "addIntentListenerRequest",
                json!({"intent": "CreateInteraction"}),
            )
            .await
            .expect("listen");
        crm.response(
            &listening,
            "addIntentListenerResponse",
            Duration::from_secs(5),
        )
        .await
        .expect("listening");
        crm
    });
    let app = with_commands(mock_builder())
        .manage(DesktopState::new(&config, Vec::new(), running))
        // The app's own configuration, so its capabilities (the ACL) apply as in the real app.
        .build(tauri::generate_context!("tauri.conf.json"))
        .expect("app builds");
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("window");
    App {
        _app: app,
        window,
        _crm: crm,
        _dir: dir,
    }
}

/// Invokes `cmd` from `window` as the UI does: Ok(result JSON) or Err(the error JSON it would see).
fn invoke_from(
    window: &WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // The app's own origin on Linux: local content, not remote.
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON response"))
}

impl App {
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_from(&self.window, cmd, args)
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn until(&self, what: &str, mut probe: impl FnMut(&App) -> Option<Value>) -> Value {
        let started = Instant::now();
        loop {
            if let Some(found) = probe(self) {
                return found;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The history's newest row once it is in `state`.
    fn newest_row_in(&self, state: &str) -> Value {
        self.until(&format!("a history row in state {state}"), |app| {
            let rows = app.ok("history_list", json!({"query": {"limit": 10}}));
            let newest = rows.as_array()?.first()?.clone();
            (newest["state"] == state).then_some(newest)
        })
    }

    fn open_resolver(&self) -> Value {
        let raised = self.ok("raise_example", json!({}));
        assert!(raised["raiseKey"].as_str().is_some_and(|k| !k.is_empty()));
        self.until("the resolver request", |app| {
            let view = app.ok("resolver_current", json!({}));
            (!view.is_null()).then_some(view)
        })
    }
}

fn option_of(view: &Value, app_id: &str) -> Value {
    view["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .find(|a| a["appId"] == app_id)
        .unwrap_or_else(|| panic!("{app_id} not offered: {view}"))["options"][0]["option"]
        .clone()
}

#[test]
fn picking_the_log_in_the_resolver_records_a_created_interaction() {
    let app = app();
    assert_eq!(app.ok("resolver_current", json!({})), Value::Null);

    let view = app.open_resolver();
    assert_eq!(view["intent"], "CreateInteraction");
    assert_eq!(view["raiser"]["appId"], "interlog.ui");
    assert_eq!(view["context"]["type"], "fdc3.interaction");
    let mut offered: Vec<&str> = view["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|a| a["appId"].as_str().expect("appId"))
        .collect();
    offered.sort();
    assert_eq!(offered, ["interlog.log", "interlog.sample-crm"]);
    // Directory icons reach the window inlined (these two are data: URLs already).
    for app_view in view["apps"].as_array().expect("apps") {
        let icon = app_view["icon"].as_str().unwrap_or_default();
        assert!(icon.starts_with("data:image/svg+xml;base64,"), "{app_view}");
    }

    let choice = json!({"kind": "pick", "option": option_of(&view, "interlog.log")});
    app.ok(
        "resolver_choose",
        json!({"id": view["id"], "choice": choice}),
    );
    let row = app.newest_row_in("completed");
    assert_eq!(row["handlerApp"], "interlog.log");
    assert_eq!(row["resultStatus"], "Created");
    assert_eq!(app.ok("resolver_current", json!({})), Value::Null);

    let detail = app.ok("history_detail", json!({"id": row["id"]}));
    assert_eq!(
        detail["context"]["participants"]["type"],
        "fdc3.contactList"
    );
    assert_eq!(detail["row"]["resolution"], "user_choice");
    assert_eq!(detail["result"]["context"]["status"], "Created", "{detail}");
    let found = app.ok(
        "history_list",
        json!({"query": {"search": "jane doe", "limit": 10}}),
    );
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    let missing = app.ok(
        "history_list",
        json!({"query": {"search": "nobody-like-this"}}),
    );
    assert_eq!(missing, json!([]));
    // The period filter, as the window sends it: raise times in ms, `untilMs` exclusive.
    let raised_at = row["raisedAtMs"].as_i64().expect("raisedAtMs");
    let in_period = |since: Value, until: Value| -> usize {
        let query = json!({"query": {"search": "jane", "sinceMs": since, "untilMs": until}});
        let rows = app.ok("history_list", query);
        rows.as_array().map(Vec::len).expect("rows")
    };
    assert_eq!(in_period(json!(raised_at), json!(raised_at + 1)), 1);
    assert_eq!(in_period(json!(raised_at - 86_400_000), Value::Null), 1);
    assert_eq!(in_period(Value::Null, json!(raised_at)), 0);
    assert_eq!(in_period(json!(raised_at + 1), Value::Null), 0);
    assert_eq!(
        app.ok("history_detail", json!({"id": 987_654})),
        Value::Null
    );
}

#[test]
fn cancelling_the_resolver_fails_the_raise_as_the_user_cancelled() {
    let app = app();
    let view = app.open_resolver();
    app.ok(
        "resolver_choose",
        json!({"id": view["id"], "choice": {"kind": "cancel"}}),
    );
    let row = app.newest_row_in("failed");
    assert_eq!(row["resolution"], "cancelled");
    let detail = app.ok("history_detail", json!({"id": row["id"]}));
    assert_eq!(
        detail["row"]["error"], "UserCancelledResolution",
        "{detail}"
    );
}

#[test]
fn malformed_arguments_are_refused_with_an_error_not_a_crash() {
    let app = app();
    let refused = app
        .invoke("history_list", json!({"query": {"limit": "many"}}))
        .expect_err("a string limit is refused");
    assert!(
        refused.to_string().contains("query") && refused.to_string().contains("expected u32"),
        "the error says what was wrong: {refused}"
    );
    let refused = app
        .invoke(
            "resolver_choose",
            json!({"id": "r", "choice": {"kind": "maybe"}}),
        )
        .expect_err("an unknown choice is refused");
    assert!(refused.to_string().contains("maybe"), "{refused}");
    // The app still answers.
    assert_eq!(app.ok("resolver_current", json!({})), Value::Null);
}

/// Every command is declared, so none is callable without a grant: a window that is not one of
/// Interlog's own (an app's window is labelled `app-N`) cannot reach the history or the resolver,
/// and Interlog's own windows cannot pose as an app page.
#[test]
fn only_interlog_windows_get_interlogs_commands() {
    let app = app();
    let stranger =
        tauri::WebviewWindowBuilder::new(app.window.app_handle(), "app-1", Default::default())
            .build()
            .expect("window");
    for (cmd, args) in [
        ("history_list", json!({"query": {"limit": 1}})),
        ("history_detail", json!({"id": 1})),
        ("resolver_choose", json!({"id": "x", "choice": "cancel"})),
        ("raise_example", json!({})),
    ] {
        let refused = invoke_from(&stranger, cmd, args).expect_err(cmd);
        assert!(
            refused.to_string().contains("not allowed"),
            "{cmd}: {refused}"
        );
    }
    let refused = invoke_from(
        &app.window,
        "hosted_post",
        json!({"messages": [{"type": "getInfoRequest"}]}),
    )
    .expect_err("the history window is no app page");
    assert!(refused.to_string().contains("not allowed"), "{refused}");
}
