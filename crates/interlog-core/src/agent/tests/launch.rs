//! Launching native apps for `open` and raises: the launch request, the launched app proving
//! its identity with the secret it was given, and every way a launch can end.

use serde_json::{json, Value};

use super::*;
use crate::agent::{LaunchRequest, LaunchTarget};

pub(super) fn launch_of(fx: &[Effect]) -> LaunchRequest {
    fx.iter()
        .find_map(|e| match e {
            Effect::Launch(l) => Some(l.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no launch in:\n{}", dump(fx)))
}

/// The launched process connects quoting its identity (its identityUrl is not in the directory).
fn launched_connects(s: &mut Scenario, l: &LaunchRequest) -> (ConnId, Vec<Effect>) {
    let conn = s.new_conn();
    let fx = s.wcp4(
        conn,
        json!({"identityUrl": "https://native.invalid/dialer", "actualUrl": "https://native.invalid/dialer",
               "instanceId": l.instance_id, "instanceUuid": l.instance_uuid}),
    );
    (conn, fx)
}

#[test]
fn open_starts_the_native_app_and_answers_when_it_connects() {
    let mut s = Scenario::new();
    let (chat, chat_id) = s.connect(CHAT_URL);
    let req = s.request(chat, "openRequest", json!({"app": {"appId": "dialer"}}));
    let fx = s.take();
    assert_eq!(outline(&fx), ["launch dialer", "timer LaunchDeadline"]);
    let l = launch_of(&fx);
    assert_eq!(
        l.target,
        LaunchTarget::Native {
            path: "/opt/dialer/bin/dialer".into(),
            arguments: vec!["--quiet".into(), "--profile".into(), "desk".into()],
        }
    );
    assert_ne!(l.instance_id, l.instance_uuid);

    let (conn, fx) = launched_connects(&mut s, &l);
    check(
        &fx,
        &[
            msg(conn, "WCP5ValidateAppIdentityResponse")
                .at("/payload/appId", "dialer")
                .at("/payload/instanceId", l.instance_id.as_str()),
            msg(chat, "openResponse")
                .answers(&req)
                .at("/payload/appIdentifier/appId", "dialer")
                .at("/payload/appIdentifier/instanceId", l.instance_id.as_str()),
        ],
    );
    let _ = chat_id;
}

#[test]
fn open_with_context_is_answered_when_the_app_listens_for_it() {
    let mut s = Scenario::new();
    let (chat, chat_id) = s.connect(CHAT_URL);
    let req = s.request(
        chat,
        "openRequest",
        json!({"app": {"appId": "dialer"}, "context": contact()}),
    );
    let l = launch_of(&s.take());
    let (conn, fx) = launched_connects(&mut s, &l);
    assert!(
        sent(&fx, chat).is_empty(),
        "not answered on connect:\n{}",
        dump(&fx)
    );
    // A listener for another type does not get it.
    s.request(
        conn,
        "addContextListenerRequest",
        json!({"channelId": null, "contextType": "fdc3.instrument"}),
    );
    assert_eq!(outline(&s.take()), ["send 2 addContextListenerResponse"]);
    s.request(
        conn,
        "addContextListenerRequest",
        json!({"channelId": null, "contextType": "fdc3.contact"}),
    );
    check(
        &s.take(),
        &[
            msg(conn, "addContextListenerResponse"),
            msg(chat, "openResponse")
                .answers(&req)
                .at("/payload/appIdentifier/instanceId", l.instance_id.as_str()),
            msg(conn, "broadcastEvent")
                .at("/payload/channelId", Value::Null)
                .at("/payload/context", contact())
                .at("/payload/originatingApp/appId", "chat")
                .at("/payload/originatingApp/instanceId", chat_id.as_str()),
        ],
    );
    // Only once; the deadline no longer matters.
    s.request(
        conn,
        "addContextListenerRequest",
        json!({"channelId": null, "contextType": null}),
    );
    assert_eq!(outline(&s.take()), ["send 2 addContextListenerResponse"]);
    s.advance(s.config().launch_timeout_ms);
    assert_eq!(
        s.timer(Timer::LaunchDeadline {
            launch_id: l.launch_id
        }),
        []
    );
}

#[test]
fn an_opened_app_that_never_listens_for_the_context_is_app_timeout() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.request(
        chat,
        "openRequest",
        json!({"app": {"appId": "dialer"}, "context": contact()}),
    );
    let l = launch_of(&s.take());
    let (conn, _) = launched_connects(&mut s, &l);
    s.request(
        conn,
        "addContextListenerRequest",
        json!({"channelId": null, "contextType": "fdc3.instrument"}),
    );
    s.advance(s.config().launch_timeout_ms);
    let fx = s.timer(Timer::LaunchDeadline {
        launch_id: l.launch_id,
    });
    check(
        &fx,
        &[msg(chat, "openResponse").answers(&req).error("AppTimeout")],
    );
}

#[test]
fn a_launched_app_that_never_connects_is_app_timeout() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.request(chat, "openRequest", json!({"app": {"appId": "dialer"}}));
    let l = launch_of(&s.take());
    s.advance(s.config().launch_timeout_ms);
    let fx = s.timer(Timer::LaunchDeadline {
        launch_id: l.launch_id.clone(),
    });
    check(
        &fx,
        &[msg(chat, "openResponse").answers(&req).error("AppTimeout")],
    );
    // Too late now: the secret no longer admits it.
    let conn = s.new_conn();
    let fx = s.wcp4(
        conn,
        json!({"identityUrl": "https://native.invalid/dialer", "instanceId": l.instance_id, "instanceUuid": l.instance_uuid}),
    );
    check(&fx, &[msg(conn, "WCP5ValidateAppIdentityFailedResponse")]);
}

#[test]
fn a_launch_that_fails_is_error_on_launch() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.request(chat, "openRequest", json!({"app": {"appId": "dialer"}}));
    let l = launch_of(&s.take());
    let fx = s.handle(Input::LaunchFailed {
        launch_id: l.launch_id,
        reason: "no such file".into(),
    });
    check(
        &fx,
        &[msg(chat, "openResponse")
            .answers(&req)
            .error("ErrorOnLaunch")],
    );
}

#[test]
fn open_of_apps_interlog_cannot_start() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let cases = [
        (json!({"app": {"appId": "crm"}}), "ErrorOnLaunch"),
        (json!({"app": {"appId": "nope"}}), "AppNotFound"),
        (
            json!({"app": {"appId": "dialer"}, "context": {"id": 1}}),
            "MalformedContext",
        ),
    ];
    for (payload, error) in cases {
        let req = s.request(chat, "openRequest", payload.clone());
        check(
            &s.take(),
            &[msg(chat, "openResponse").answers(&req).error(error)],
        );
    }
    let mut s = Scenario::with_config(AgentConfig {
        launch_native: false,
        ..AgentConfig::default()
    });
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.request(chat, "openRequest", json!({"app": {"appId": "dialer"}}));
    check(
        &s.take(),
        &[msg(chat, "openResponse")
            .answers(&req)
            .error("ErrorOnLaunch")],
    );
}

#[test]
fn a_raise_with_only_a_launchable_app_starts_it_and_delivers_once_it_listens() {
    let mut s = Scenario::new();
    let (chat, chat_id) = s.connect(CHAT_URL);
    let req = s.raise(chat, "StartCall", contact(), None);
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        ["record Raised", "launch dialer", "timer LaunchDeadline"]
    );
    let l = launch_of(&fx);
    let (conn, _) = launched_connects(&mut s, &l);
    s.listen(conn, "StartCall");
    check(
        &s.take(),
        &[
            msg(conn, "addIntentListenerResponse"),
            msg(conn, "intentEvent")
                .at("/payload/intent", "StartCall")
                .at("/payload/context", contact())
                .at("/payload/originatingApp/instanceId", chat_id.as_str())
                .at("/payload/raiseIntentRequestUuid", req.as_str()),
            msg(chat, "raiseIntentResponse")
                .answers(&req)
                .at("/payload/intentResolution/source/appId", "dialer")
                .at(
                    "/payload/intentResolution/source/instanceId",
                    l.instance_id.as_str(),
                ),
        ],
    );
}

#[test]
fn a_raise_at_the_app_alone_starts_a_new_instance_even_when_one_runs() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    s.request(chat, "openRequest", json!({"app": {"appId": "dialer"}}));
    let first = launch_of(&s.take());
    let (conn, _) = launched_connects(&mut s, &first);
    s.listen(conn, "StartCall");
    s.raise(
        chat,
        "StartCall",
        contact(),
        Some(json!({"appId": "dialer"})),
    );
    let second = launch_of(&s.take());
    assert_ne!(second.instance_id, first.instance_id);
}

#[test]
fn a_raise_whose_launched_app_never_connects_is_intent_delivery_failed() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.raise(
        chat,
        "StartCall",
        contact(),
        Some(json!({"appId": "dialer"})),
    );
    let l = launch_of(&s.take());
    s.advance(s.config().launch_timeout_ms);
    let fx = s.timer(Timer::LaunchDeadline {
        launch_id: l.launch_id,
    });
    check(
        &fx,
        &[msg(chat, "raiseIntentResponse")
            .answers(&req)
            .error("IntentDeliveryFailed")],
    );
    let outcome = records(&fx).into_iter().find_map(|r| match r {
        LedgerEvent::Completed { outcome, .. } => Some(outcome.clone()),
        _ => None,
    });
    assert_eq!(
        outcome,
        Some(ResultOutcome::Error("IntentDeliveryFailed".into()))
    );
}

#[test]
fn a_forged_secret_gets_no_launched_identity() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    s.request(chat, "openRequest", json!({"app": {"appId": "dialer"}}));
    let l = launch_of(&s.take());
    let conn = s.new_conn();
    let fx = s.wcp4(
        conn,
        json!({"identityUrl": "https://native.invalid/dialer", "instanceId": l.instance_id, "instanceUuid": "guessed"}),
    );
    check(&fx, &[msg(conn, "WCP5ValidateAppIdentityFailedResponse")]);
}
