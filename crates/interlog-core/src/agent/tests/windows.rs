//! Web apps in Interlog windows: launched into a window whose connection (never the page)
//! proves the identity; reloads keep the instance; the socket cannot take a window's identity
//! or a built-in app's; a window's instance lives as long as its window.

use serde_json::json;

use super::launch::launch_of;
use super::*;
use crate::agent::{LaunchRequest, LaunchTarget};
use crate::builtin::UI_IDENTITY_URL;

fn web_scenario() -> Scenario {
    Scenario::with_config(AgentConfig {
        launch_web: true,
        ..AgentConfig::default()
    })
}

/// The window's connection for launch `l`, its page at `url` (which then finishes loading and
/// settles without adding a listener): the effects of all three.
fn window_connects(s: &mut Scenario, l: &LaunchRequest, url: &str) -> (ConnId, Vec<Effect>) {
    let conn = s.new_conn_over(Transport::Window);
    let mut fx = s.wcp4(
        conn,
        json!({"identityUrl": url, "actualUrl": url,
               "instanceId": l.instance_id, "instanceUuid": l.instance_uuid}),
    );
    fx.extend(s.handle(Input::PageLoaded { conn }));
    fx.extend(s.timer(Timer::PageSettled { conn }));
    fx.retain(|e| {
        !matches!(
            e,
            Effect::SetTimer {
                timer: Timer::PageSettled { .. },
                ..
            }
        )
    });
    (conn, fx)
}

/// Opens crm from chat and connects its window; returns (chat, crm window conn, launch).
fn open_crm(s: &mut Scenario) -> (ConnId, ConnId, LaunchRequest) {
    let (chat, _) = s.connect(CHAT_URL);
    s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    let l = launch_of(&s.take());
    let (crm, fx) = window_connects(s, &l, CRM_URL);
    assert_eq!(
        outline(&fx),
        [
            "send 2 WCP5ValidateAppIdentityResponse",
            "send 1 openResponse"
        ]
    );
    (chat, crm, l)
}

#[test]
fn open_of_a_web_app_launches_a_window_at_its_url() {
    let mut s = web_scenario();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    let fx = s.take();
    assert_eq!(outline(&fx), ["launch crm", "timer LaunchDeadline"]);
    let l = launch_of(&fx);
    assert_eq!(
        l.target,
        LaunchTarget::Web {
            url: CRM_URL.into(),
            title: "CRM".into()
        }
    );
    let (crm, fx) = window_connects(&mut s, &l, CRM_URL);
    check(
        &fx,
        &[
            msg(crm, "WCP5ValidateAppIdentityResponse")
                .at("/payload/appId", "crm")
                .at("/payload/instanceId", l.instance_id.as_str()),
            msg(chat, "openResponse")
                .answers(&req)
                .at("/payload/appIdentifier/instanceId", l.instance_id.as_str()),
        ],
    );
    // Each launch is a new window and a new instance.
    s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    let second = launch_of(&s.take());
    assert_ne!(second.instance_id, l.instance_id);
}

#[test]
fn a_web_launch_completes_when_its_page_has_loaded_and_set_up() {
    let mut s = web_scenario();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    let l = launch_of(&s.take());
    let crm = s.new_conn_over(Transport::Window);
    // The page's first message connects it, while its scripts are still running...
    let fx = s.wcp4(
        crm,
        json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL,
               "instanceId": l.instance_id, "instanceUuid": l.instance_uuid}),
    );
    assert_eq!(outline(&fx), ["send 2 WCP5ValidateAppIdentityResponse"]);
    // ...then its page loads, having added no listener yet: it has the settle time to add one...
    let fx = s.handle(Input::PageLoaded { conn: crm });
    let settle = timers(&fx);
    assert_eq!(settle.len(), 1);
    assert_eq!(settle[0].1, Timer::PageSettled { conn: crm });
    // ...and `open` is answered at its first listener, not before.
    s.request(crm, "getInfoRequest", json!({}));
    assert_eq!(outline(&s.take()), ["send 2 getInfoResponse"]);
    let listen = s.request(
        crm,
        "addContextListenerRequest",
        json!({"channelId": null, "contextType": "fdc3.instrument"}),
    );
    check(
        &s.take(),
        &[
            msg(crm, "addContextListenerResponse").answers(&listen),
            msg(chat, "openResponse").answers(&req),
        ],
    );
    // The settle timer of a launch that completed does nothing.
    assert!(s.timer(Timer::PageSettled { conn: crm }).is_empty());
    // A page that adds no listener is taken as set up after the settle time.
    s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    let l = launch_of(&s.take());
    let quiet = s.new_conn_over(Transport::Window);
    s.wcp4(
        quiet,
        json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL,
               "instanceId": l.instance_id, "instanceUuid": l.instance_uuid}),
    );
    assert_eq!(
        outline(&s.handle(Input::PageLoaded { conn: quiet })),
        ["timer PageSettled"]
    );
    let fx = s.timer(Timer::PageSettled { conn: quiet });
    assert_eq!(outline(&fx), ["send 1 openResponse"]);
    // A page that listens before it has loaded: answered at the load.
    s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    let l = launch_of(&s.take());
    let eager = s.new_conn_over(Transport::Window);
    s.wcp4(
        eager,
        json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL,
               "instanceId": l.instance_id, "instanceUuid": l.instance_uuid}),
    );
    s.listen(eager, "ViewChart");
    s.take();
    let fx = s.handle(Input::PageLoaded { conn: eager });
    assert_eq!(outline(&fx), ["send 1 openResponse"]);
    // A page that loads before it speaks: answered at the handshake.
    s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    let l = launch_of(&s.take());
    let early = s.new_conn_over(Transport::Window);
    s.handle(Input::PageLoaded { conn: early });
    let fx = s.wcp4(
        early,
        json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL,
               "instanceId": l.instance_id, "instanceUuid": l.instance_uuid}),
    );
    assert_eq!(
        outline(&fx),
        [
            "send 5 WCP5ValidateAppIdentityResponse",
            "send 1 openResponse"
        ]
    );
}

#[test]
fn headless_has_no_windows_so_web_apps_are_error_on_launch() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    check(
        &s.take(),
        &[msg(chat, "openResponse")
            .answers(&req)
            .error("ErrorOnLaunch")],
    );
}

#[test]
fn a_window_launch_is_not_to_be_had_over_the_socket() {
    let mut s = web_scenario();
    let (chat, _) = s.connect(CHAT_URL);
    s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    let l = launch_of(&s.take());
    // A process that learnt the launch's secret still cannot take the window's identity.
    let socket = s.new_conn();
    let fx = s.wcp4(
        socket,
        json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL,
               "instanceId": l.instance_id, "instanceUuid": l.instance_uuid}),
    );
    check(
        &fx,
        &[msg(socket, "WCP5ValidateAppIdentityResponse").at("/payload/appId", "crm")],
    );
    let wcp5 = &sent(&fx, socket)[0];
    assert_ne!(wcp5["payload"]["instanceId"], l.instance_id.as_str());
    // The window still gets it.
    let (_, fx) = window_connects(&mut s, &l, CRM_URL);
    assert_eq!(
        outline(&fx),
        [
            "send 3 WCP5ValidateAppIdentityResponse",
            "send 1 openResponse"
        ]
    );
}

#[test]
fn a_window_holds_only_the_instance_it_was_opened_for() {
    let mut s = web_scenario();
    // No launch: a window cannot become an app by its URL alone.
    let conn = s.new_conn_over(Transport::Window);
    let fx = s.wcp4(conn, json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL}));
    assert_eq!(
        outline(&fx),
        [
            "send 1 WCP5ValidateAppIdentityFailedResponse",
            "close 1 1008"
        ]
    );
}

#[test]
fn a_reload_keeps_the_instance_and_other_urls_get_nothing() {
    let mut s = web_scenario();
    let (chat, crm, l) = open_crm(&mut s);
    // The page reloads: its old connection ends, the new one takes the identity back.
    s.close(crm);
    assert!(s.agent.instances().iter().all(|i| i.app_id != "crm"));
    let (again, fx) = window_connects(&mut s, &l, "https://crm.example.com/app/?tab=2");
    check(
        &fx,
        &[msg(again, "WCP5ValidateAppIdentityResponse")
            .at("/payload/appId", "crm")
            .at("/payload/instanceId", l.instance_id.as_str())],
    );
    // Navigated to another app's page (or anywhere else): no identity at all.
    s.close(again);
    for url in [VIEWER_URL, "https://evil.example.com/app"] {
        let (conn, fx) = window_connects(&mut s, &l, url);
        check(&fx, &[msg(conn, "WCP5ValidateAppIdentityFailedResponse")]);
    }
    let req = s.request(
        chat,
        "findInstancesRequest",
        json!({"app": {"appId": "crm"}}),
    );
    check(
        &s.take(),
        &[msg(chat, "findInstancesResponse")
            .answers(&req)
            .at("/payload/appIdentifiers", json!([]))],
    );
}

#[test]
fn the_socket_cannot_be_a_window_after_a_reload_either() {
    let mut s = web_scenario();
    let (_, crm, l) = open_crm(&mut s);
    s.close(crm);
    let socket = s.new_conn();
    let fx = s.wcp4(
        socket,
        json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL,
               "instanceId": l.instance_id, "instanceUuid": l.instance_uuid}),
    );
    let wcp5 = &sent(&fx, socket)[0];
    assert_eq!(wcp5["type"], "WCP5ValidateAppIdentityResponse");
    assert_ne!(wcp5["payload"]["instanceId"], l.instance_id.as_str());
}

#[test]
fn built_in_identities_are_in_process_only() {
    let mut s = Scenario::new();
    for url in [LOG_URL, UI_IDENTITY_URL] {
        let conn = s.new_conn();
        let fx = s.wcp4(conn, json!({"identityUrl": url, "actualUrl": url}));
        check(&fx, &[msg(conn, "WCP5ValidateAppIdentityFailedResponse")]);
    }
    let (_, log_id) = s.connect_in_process(LOG_URL);
    assert!(s
        .agent
        .instances()
        .iter()
        .any(|i| i.app_id == "interlog.log" && i.instance_id == log_id));
    // The command line still connects over the socket.
    let (_, wcp5) = s.connect_with(
        json!({"identityUrl": crate::builtin::CLI_IDENTITY_URL, "actualUrl": crate::builtin::CLI_IDENTITY_URL}),
    );
    assert_eq!(wcp5["appId"], "interlog.cli");
    // ...but can handle nothing: a process posing as it is never offered as a handler.
    let conn = s.new_conn();
    s.wcp4(
        conn,
        json!({"identityUrl": crate::builtin::CLI_IDENTITY_URL, "actualUrl": crate::builtin::CLI_IDENTITY_URL}),
    );
    // A raise aimed at it fails at once (it will never listen), not after the listener wait.
    let (chat, _) = s.connect(CHAT_URL);
    let aimed = s.request(
        chat,
        "raiseIntentRequest",
        json!({"intent": "CreateInteraction", "context": interaction(),
               "app": {"appId": "interlog.cli"}}),
    );
    check(
        &s.take(),
        &[msg(chat, "raiseIntentResponse")
            .answers(&aimed)
            .error("NoAppsFound")],
    );
    let req = s.request(
        conn,
        "addIntentListenerRequest",
        json!({"intent": "CreateInteraction"}),
    );
    check(
        &s.take(),
        &[msg(conn, "addIntentListenerResponse")
            .answers(&req)
            .error("AccessDenied")],
    );
}

#[test]
fn a_reconnect_must_quote_the_instance_id_with_its_secret() {
    let mut s = Scenario::new();
    let (conn, wcp5) = s.connect_with(json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL}));
    let id = wcp5["instanceId"].as_str().unwrap().to_owned();
    let secret = wcp5["instanceUuid"].as_str().unwrap().to_owned();
    // Another instance quoting only the secret does not take it over.
    let (other, wcp5) = s.connect_with(
        json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL, "instanceUuid": secret}),
    );
    assert_ne!(wcp5["instanceId"], id.as_str());
    assert!(s.agent.is_identified(conn));
    let (_, wcp5) = s.connect_with(
        json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL, "instanceId": "someone-else", "instanceUuid": secret}),
    );
    assert_ne!(wcp5["instanceId"], id.as_str());
    assert!(s.agent.is_identified(conn));
    let _ = other;
}

#[test]
fn a_silent_window_is_not_responding_but_not_ended() {
    let mut s = web_scenario();
    let (chat, crm, l) = open_crm(&mut s);
    let dead = s.config().dead_after_ms;
    let beat = s.config().heartbeat_interval_ms;
    let mut elapsed = 0;
    while elapsed <= dead {
        s.advance(beat);
        elapsed += beat;
        // chat answers its heartbeats; the window's page does not.
        s.request(chat, "heartbeatAcknowledgementRequest", json!({}));
        s.timer(Timer::Heartbeat);
    }
    let crm_now = s
        .agent
        .instances()
        .into_iter()
        .find(|i| i.instance_id == l.instance_id)
        .expect("the window's instance is still there");
    assert!(crm_now.not_responding);
    assert!(s.agent.is_identified(crm));
}

#[test]
fn a_raise_at_a_web_app_not_running_opens_it_and_delivers_once_it_listens() {
    let mut s = web_scenario();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.raise(
        chat,
        "CreateInteraction",
        interaction(),
        Some(json!({"appId": "crm"})),
    );
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        ["record Raised", "launch crm", "timer LaunchDeadline"]
    );
    let l = launch_of(&fx);
    let (crm, _) = window_connects(&mut s, &l, CRM_URL);
    s.listen(crm, "CreateInteraction");
    check(
        &s.take(),
        &[
            msg(crm, "addIntentListenerResponse"),
            msg(crm, "intentEvent").at("/payload/raiseIntentRequestUuid", req.as_str()),
            msg(chat, "raiseIntentResponse").answers(&req).at(
                "/payload/intentResolution/source/instanceId",
                l.instance_id.as_str(),
            ),
        ],
    );
}
