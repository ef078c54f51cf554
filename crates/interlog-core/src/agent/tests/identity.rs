//! The WCP4/WCP5 handshake, reconnects, the envelope rules, and the metadata requests.

use serde_json::json;

use super::*;

#[test]
fn valid_wcp4_gets_wcp5_with_a_secret_instance_uuid() {
    let mut s = Scenario::new();
    let conn = s.new_conn();
    let fx = s.wcp4(
        conn,
        json!({"identityUrl": CRM_URL, "actualUrl": "https://crm.example.com/app?session=7"}),
    );
    assert_eq!(outline(&fx), ["send 1 WCP5ValidateAppIdentityResponse"]);
    check(
        &fx,
        &[msg(conn, "WCP5ValidateAppIdentityResponse")
            .at("/meta/connectionAttemptUuid", "attempt-1")
            .at("/meta/timestamp", iso_time(T0))
            .at("/payload/appId", "crm")
            .at("/payload/implementationMetadata/fdc3Version", "2.2")
            .at("/payload/implementationMetadata/provider", "Interlog")
            .at("/payload/implementationMetadata/appMetadata/appId", "crm")
            .at("/payload/implementationMetadata/appMetadata/title", "CRM")],
    );
    let p = &s.sent_to(conn)[0]["payload"];
    let instance_id = p["instanceId"].as_str().expect("instanceId");
    let instance_uuid = p["instanceUuid"].as_str().expect("instanceUuid");
    assert!(!instance_id.is_empty());
    assert_ne!(instance_id, instance_uuid);
    assert_eq!(
        p["implementationMetadata"]["appMetadata"]["instanceId"],
        instance_id
    );
    assert!(s.agent.is_identified(conn));
    let instances = s.agent.instances();
    assert_eq!(instances.len(), 1);
    assert_eq!(
        (
            instances[0].app_id.as_str(),
            instances[0].instance_id.as_str()
        ),
        ("crm", instance_id)
    );
    assert_eq!(instances[0].user_channel, None);
}

#[test]
fn two_instances_of_one_app_get_different_ids() {
    let mut s = Scenario::new();
    let (_, a) = s.connect(CRM_URL);
    let (_, b) = s.connect(CRM_URL);
    assert_ne!(a, b);
    assert_eq!(s.agent.instances().len(), 2);
}

#[test]
fn unknown_identity_url_fails_and_closes_with_1008() {
    let mut s = Scenario::new();
    let conn = s.new_conn();
    let fx = s.wcp4(conn, json!({"identityUrl": "https://evil.example.com/app", "actualUrl": "https://evil.example.com/app"}));
    assert_eq!(
        outline(&fx),
        [
            "send 1 WCP5ValidateAppIdentityFailedResponse",
            "close 1 1008"
        ]
    );
    check(
        &fx,
        &[msg(conn, "WCP5ValidateAppIdentityFailedResponse")
            .at("/meta/connectionAttemptUuid", "attempt-1")],
    );
    let message = s.sent_to(conn)[0]["payload"]["message"].clone();
    assert!(
        message
            .as_str()
            .is_some_and(|m| m.contains("evil.example.com")),
        "{message}"
    );
    assert!(!s.agent.is_identified(conn));
    assert!(s.agent.instances().is_empty());
    // Still unidentified: requests are ignored.
    s.request(conn, "getInfoRequest", json!({}));
    assert_eq!(s.take(), []);
}

#[test]
fn actual_url_of_another_origin_fails() {
    for actual in [
        "https://evil.example.com/app",
        "http://crm.example.com/app",
        "https://crm.example.com:8443/app",
        "not a url",
    ] {
        let mut s = Scenario::new();
        let conn = s.new_conn();
        let fx = s.wcp4(conn, json!({"identityUrl": CRM_URL, "actualUrl": actual}));
        assert_eq!(
            outline(&fx),
            [
                "send 1 WCP5ValidateAppIdentityFailedResponse",
                "close 1 1008"
            ],
            "actualUrl {actual}"
        );
        assert!(!s.agent.is_identified(conn), "actualUrl {actual}");
    }
}

#[test]
fn wcp4_without_identity_url_fails() {
    let mut s = Scenario::new();
    let conn = s.new_conn();
    let fx = s.wcp4(conn, json!({"actualUrl": CRM_URL}));
    assert_eq!(
        outline(&fx),
        [
            "send 1 WCP5ValidateAppIdentityFailedResponse",
            "close 1 1008"
        ]
    );
}

#[test]
fn messages_before_wcp4_are_ignored() {
    let mut s = Scenario::new();
    let conn = s.new_conn();
    s.request(conn, "getInfoRequest", json!({}));
    assert_eq!(s.take(), []);
    s.request(conn, "fooRequest", json!({}));
    assert_eq!(s.take(), []);
    s.request(
        conn,
        "heartbeatAcknowledgementRequest",
        json!({"heartbeatEventUuid": "x"}),
    );
    assert_eq!(s.take(), []);
    s.request(
        conn,
        "raiseIntentRequest",
        json!({"intent": "CreateInteraction", "context": interaction()}),
    );
    assert_eq!(s.take(), []);
    assert!(!s.agent.is_identified(conn));
    // The handshake still works afterwards.
    let fx = s.wcp4(
        conn,
        json!({"identityUrl": CHAT_URL, "actualUrl": CHAT_URL}),
    );
    check(
        &fx,
        &[msg(conn, "WCP5ValidateAppIdentityResponse").at("/payload/appId", "chat")],
    );
}

/// Connects crm and returns (conn, instanceId, instanceUuid).
fn connect_crm(s: &mut Scenario) -> (ConnId, String, String) {
    let (conn, wcp5) = s.connect_with(json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL}));
    let id = wcp5["instanceId"].as_str().unwrap().to_owned();
    let secret = wcp5["instanceUuid"].as_str().unwrap().to_owned();
    (conn, id, secret)
}

fn reconnect(s: &mut Scenario, url: &str, id: &str, secret: &str) -> (ConnId, Value) {
    s.connect_with(
        json!({"identityUrl": url, "actualUrl": url, "instanceId": id, "instanceUuid": secret}),
    )
}

#[test]
fn reconnect_within_the_window_keeps_the_instance_id() {
    let mut s = Scenario::new();
    let window = s.config().reconnect_window_ms;
    assert_eq!(window, 300_000, "the contract says 5 minutes");
    let (conn, id, secret) = connect_crm(&mut s);
    s.close(conn);
    assert!(s.agent.instances().is_empty());
    s.advance(window);
    let (again, wcp5) = reconnect(&mut s, CRM_URL, &id, &secret);
    assert_eq!(wcp5["instanceId"], id.as_str());
    assert_eq!(wcp5["instanceUuid"], secret.as_str());
    assert!(s.agent.is_identified(again));
    assert!(!s.agent.is_identified(conn));
    assert_eq!(s.agent.instances().len(), 1);
    assert_eq!(s.agent.instances()[0].instance_id, id);
}

#[test]
fn reconnect_after_the_window_gets_a_new_identity() {
    let mut s = Scenario::new();
    let window = s.config().reconnect_window_ms;
    let (conn, id, secret) = connect_crm(&mut s);
    s.close(conn);
    s.advance(window + 1);
    let (_, wcp5) = reconnect(&mut s, CRM_URL, &id, &secret);
    assert_ne!(wcp5["instanceId"], id.as_str());
    assert_ne!(wcp5["instanceUuid"], secret.as_str());
}

#[test]
fn reconnect_with_a_wrong_secret_or_as_another_app_gets_a_new_identity() {
    let mut s = Scenario::new();
    let (conn, id, secret) = connect_crm(&mut s);
    s.close(conn);
    let (_, wcp5) = reconnect(&mut s, CRM_URL, &id, "not-the-secret");
    assert_ne!(wcp5["instanceId"], id.as_str());
    // Another app quoting crm's secret does not get crm's identity either.
    let (_, wcp5) = reconnect(&mut s, CHAT_URL, &id, &secret);
    assert_eq!(wcp5["appId"], "chat");
    assert_ne!(wcp5["instanceId"], id.as_str());
    // The secret is still good for crm itself.
    let (_, wcp5) = reconnect(&mut s, CRM_URL, &id, &secret);
    assert_eq!(wcp5["instanceId"], id.as_str());
}

#[test]
fn reconnect_while_the_old_connection_is_open_closes_it() {
    let mut s = Scenario::new();
    let (old, id, secret) = connect_crm(&mut s);
    s.advance(1_000);
    let new = s.new_conn();
    let fx = s.wcp4(new, json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL, "instanceId": id, "instanceUuid": secret}));
    assert_eq!(
        outline(&fx),
        ["close 1 1000", "send 2 WCP5ValidateAppIdentityResponse"]
    );
    check(
        &fx,
        &[msg(new, "WCP5ValidateAppIdentityResponse").at("/payload/instanceId", id.as_str())],
    );
    assert!(!s.agent.is_identified(old));
    assert!(s.agent.is_identified(new));
    assert_eq!(s.agent.instances().len(), 1);
    // The old connection is no longer heard.
    s.request(old, "getInfoRequest", json!({}));
    assert_eq!(s.take(), []);
    let req = s.request(new, "getInfoRequest", json!({}));
    check(
        &s.take(),
        &[msg(new, "getInfoResponse").answers(&req).at(
            "/payload/implementationMetadata/appMetadata/instanceId",
            id.as_str(),
        )],
    );
}

#[test]
fn goodbye_ends_the_instance() {
    let mut s = Scenario::new();
    let (conn, _) = s.connect(CRM_URL);
    let fx = s.message(
        conn,
        json!({"type": "WCP6Goodbye", "meta": {"timestamp": iso_time(T0)}}),
    );
    assert_eq!(fx, []);
    assert!(s.agent.instances().is_empty());
    assert!(!s.agent.is_identified(conn));
}

// The envelope rules (contract section 3).

#[test]
fn unknown_request_type_answers_malformed_message() {
    let mut s = Scenario::new();
    let (conn, _) = s.connect(CHAT_URL);
    let req = s.request(conn, "fooRequest", json!({"x": 1}));
    let fx = s.take();
    assert_eq!(outline(&fx), ["send 1 fooResponse"]);
    check(
        &fx,
        &[msg(conn, "fooResponse")
            .answers(&req)
            .error("MalformedMessage")
            .at("/meta/timestamp", iso_time(T0))],
    );
    assert!(s.sent_to(conn).is_empty(), "take() moved the effects out");
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Send { msg, .. } if msg["meta"]["responseUuid"].is_string())));
}

#[test]
fn non_object_payload_answers_malformed_message() {
    let mut s = Scenario::new();
    let (conn, _) = s.connect(CHAT_URL);
    for payload in [json!("x"), json!([1, 2]), json!(null), json!(5)] {
        let req = s.request(conn, "getInfoRequest", payload.clone());
        check(
            &s.take(),
            &[msg(conn, "getInfoResponse")
                .answers(&req)
                .error("MalformedMessage")],
        );
        let req = s.request(conn, "raiseIntentRequest", payload);
        check(
            &s.take(),
            &[msg(conn, "raiseIntentResponse")
                .answers(&req)
                .error("MalformedMessage")],
        );
    }
    // A request without any payload field at all.
    let fx = s.message(conn, json!({"type": "getInfoRequest", "meta": {"requestUuid": "bare", "timestamp": iso_time(T0)}}));
    check(
        &fx,
        &[msg(conn, "getInfoResponse")
            .answers("bare")
            .error("MalformedMessage")],
    );
}

#[test]
fn unreadable_messages_are_dropped_and_the_connection_stays() {
    let mut s = Scenario::new();
    let (conn, _) = s.connect(CHAT_URL);
    let meta = json!({"requestUuid": "r1", "timestamp": iso_time(T0)});
    for bad in [
        json!({"payload": {}, "meta": meta}),
        json!({"type": 5, "payload": {}, "meta": meta}),
        json!("getInfoRequest"),
        json!([{"type": "getInfoRequest"}]),
        // No requestUuid: nothing to answer to.
        json!({"type": "getInfoRequest", "payload": {}, "meta": {"timestamp": iso_time(T0)}}),
        // Not a request.
        json!({"type": "fooEvent", "payload": {}, "meta": meta}),
    ] {
        assert_eq!(s.message(conn, bad.clone()), [], "{bad}");
    }
    assert!(s.agent.is_identified(conn));
    let req = s.request(conn, "getInfoRequest", json!({}));
    check(&s.take(), &[msg(conn, "getInfoResponse").answers(&req)]);
}

// Metadata requests.

#[test]
fn get_info_describes_the_caller() {
    let mut s = Scenario::new();
    let (_, crm_id) = s.connect(CRM_URL);
    let (chat, chat_id) = s.connect(CHAT_URL);
    assert_ne!(crm_id, chat_id);
    let req = s.request(chat, "getInfoRequest", json!({}));
    check(
        &s.take(),
        &[msg(chat, "getInfoResponse")
            .answers(&req)
            .at("/payload/implementationMetadata/fdc3Version", "2.2")
            .at("/payload/implementationMetadata/appMetadata/appId", "chat")
            .at(
                "/payload/implementationMetadata/appMetadata/instanceId",
                chat_id.as_str(),
            )
            .at(
                "/payload/implementationMetadata/optionalFeatures/OriginatingAppMetadata",
                true,
            )
            .at(
                "/payload/implementationMetadata/optionalFeatures/DesktopAgentBridging",
                false,
            )],
    );
}

#[test]
fn get_app_metadata() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let (_, crm_id) = s.connect(CRM_URL);
    let req = s.request(
        chat,
        "getAppMetadataRequest",
        json!({"app": {"appId": "crm"}}),
    );
    check(
        &s.take(),
        &[msg(chat, "getAppMetadataResponse").answers(&req).at(
            "/payload/appMetadata",
            json!({"appId": "crm", "title": "CRM", "description": "Customer records"}),
        )],
    );
    let req = s.request(
        chat,
        "getAppMetadataRequest",
        json!({"app": {"appId": "crm", "instanceId": crm_id}}),
    );
    check(
        &s.take(),
        &[msg(chat, "getAppMetadataResponse")
            .answers(&req)
            .at("/payload/appMetadata/appId", "crm")
            .at("/payload/appMetadata/instanceId", crm_id.as_str())],
    );
    for app in [
        json!({"appId": "nope"}),
        json!({"appId": "crm", "instanceId": "nope"}),
    ] {
        let req = s.request(chat, "getAppMetadataRequest", json!({ "app": app }));
        check(
            &s.take(),
            &[msg(chat, "getAppMetadataResponse")
                .answers(&req)
                .error("TargetAppUnavailable")],
        );
    }
    // A payload that does not fit the schema (`app` is a required AppIdentifier).
    for payload in [
        json!({}),
        json!({"app": "crm"}),
        json!({"app": {"title": "CRM"}}),
    ] {
        let req = s.request(chat, "getAppMetadataRequest", payload);
        check(
            &s.take(),
            &[msg(chat, "getAppMetadataResponse")
                .answers(&req)
                .error("MalformedMessage")],
        );
    }
}

#[test]
fn find_instances() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
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
    let (_, a) = s.connect(CRM_URL);
    let (_, b) = s.connect(CRM_URL);
    s.connect(CHAT_URL);
    let req = s.request(
        chat,
        "findInstancesRequest",
        json!({"app": {"appId": "crm"}}),
    );
    let fx = s.take();
    check(
        &fx,
        &[msg(chat, "findInstancesResponse")
            .answers(&req)
            .at("/payload/appIdentifiers/0/appId", "crm")
            .at("/payload/appIdentifiers/0/instanceId", a.as_str())
            .at("/payload/appIdentifiers/1/appId", "crm")
            .at("/payload/appIdentifiers/1/instanceId", b.as_str())],
    );
    let list = &one(&fx, chat, "findInstancesResponse")["payload"]["appIdentifiers"];
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let req = s.request(
        chat,
        "findInstancesRequest",
        json!({"app": {"appId": "nope"}}),
    );
    check(
        &s.take(),
        &[msg(chat, "findInstancesResponse")
            .answers(&req)
            .error("NoAppsFound")],
    );
}

#[test]
fn open_cannot_launch_yet() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.request(chat, "openRequest", json!({"app": {"appId": "crm"}}));
    check(
        &s.take(),
        &[msg(chat, "openResponse")
            .answers(&req)
            .error("ErrorOnLaunch")],
    );
    let req = s.request(
        chat,
        "openRequest",
        json!({"app": {"appId": "crm"}, "context": interaction()}),
    );
    check(
        &s.take(),
        &[msg(chat, "openResponse")
            .answers(&req)
            .error("ErrorOnLaunch")],
    );
    let req = s.request(chat, "openRequest", json!({"app": {"appId": "nope"}}));
    check(
        &s.take(),
        &[msg(chat, "openResponse").answers(&req).error("AppNotFound")],
    );
    let req = s.request(
        chat,
        "openRequest",
        json!({"app": {"appId": "crm"}, "context": {"type": 7}}),
    );
    check(
        &s.take(),
        &[msg(chat, "openResponse")
            .answers(&req)
            .error("MalformedContext")],
    );
}

#[test]
fn the_instance_uuid_never_reaches_other_apps() {
    let mut s = Scenario::new();
    let (crm, wcp5) = s.connect_with(json!({"identityUrl": CRM_URL, "actualUrl": CRM_URL}));
    let secret = wcp5["instanceUuid"].as_str().unwrap().to_owned();
    let crm_id = wcp5["instanceId"].as_str().unwrap().to_owned();
    let (chat, _) = s.connect(CHAT_URL);
    s.listen(crm, "CreateInteraction");
    let mut to_chat = Vec::new();
    for (kind, payload) in [
        ("findInstancesRequest", json!({"app": {"appId": "crm"}})),
        (
            "getAppMetadataRequest",
            json!({"app": {"appId": "crm", "instanceId": crm_id}}),
        ),
        ("findIntentRequest", json!({"intent": "CreateInteraction"})),
        (
            "findIntentsByContextRequest",
            json!({"context": interaction()}),
        ),
        (
            "raiseIntentRequest",
            json!({"intent": "CreateInteraction", "context": interaction()}),
        ),
    ] {
        s.request(chat, kind, payload);
        to_chat.extend(s.sent_to(chat));
    }
    let event = s
        .sent_to(crm)
        .into_iter()
        .find(|m| m["type"] == "intentEvent");
    let event = event.expect("the raise reached crm");
    s.answer(crm, &event, json!({ "context": transaction_result() }));
    to_chat.extend(s.sent_to(chat));
    assert_eq!(to_chat.len(), 6, "{to_chat:#?}");
    for m in &to_chat {
        assert!(m["payload"].get("error").is_none(), "{m}");
        assert!(!m.to_string().contains(&secret), "the secret leaked: {m}");
    }
    assert!(to_chat.iter().any(|m| m.to_string().contains(&crm_id)));
}

#[test]
fn optional_string_fields_of_another_type_are_malformed() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let cases = [
        (
            "addContextListenerRequest",
            json!({"channelId": 5, "contextType": null}),
        ),
        (
            "addContextListenerRequest",
            json!({"channelId": null, "contextType": 5}),
        ),
        (
            "getCurrentContextRequest",
            json!({"channelId": "fdc3.channel.1", "contextType": ["fdc3.instrument"]}),
        ),
        (
            "findIntentRequest",
            json!({"intent": "CreateInteraction", "resultType": 5}),
        ),
        (
            "findIntentsByContextRequest",
            json!({"context": interaction(), "resultType": true}),
        ),
        ("addEventListenerRequest", json!({"type": 5})),
        (
            "privateChannelAddEventListenerRequest",
            json!({"privateChannelId": "x", "listenerType": 5}),
        ),
    ];
    for (kind, payload) in cases {
        let req = s.request(a, kind, payload.clone());
        let response = kind.replace("Request", "Response");
        let fx = s.take();
        assert_eq!(outline(&fx), [format!("send 1 {response}")], "{payload}");
        check(
            &fx,
            &[msg(a, &response).answers(&req).error("MalformedMessage")],
        );
    }
    // null is fine where the schema allows it.
    let req = s.request(
        a,
        "addContextListenerRequest",
        json!({"channelId": null, "contextType": null}),
    );
    let m = one(&s.take(), a, "addContextListenerResponse");
    assert_eq!(m["meta"]["requestUuid"], req.as_str());
    assert!(m["payload"]["listenerUUID"].is_string(), "{m}");
}

/// One connection carries one instance for its life: after its goodbye it cannot identify
/// again (what was owed to the old instance could otherwise reach the new one).
#[test]
fn a_connection_whose_instance_ended_cannot_identify_again() {
    let mut s = Scenario::new();
    let (conn, _) = s.connect(CHAT_URL);
    s.message(
        conn,
        json!({"type": "WCP6Goodbye", "payload": {}, "meta": {"timestamp": "2026-01-01T00:00:00.000Z"}}),
    );
    let fx = s.wcp4(
        conn,
        json!({"identityUrl": CHAT_URL, "actualUrl": CHAT_URL}),
    );
    check(&fx, &[msg(conn, "WCP5ValidateAppIdentityFailedResponse")]);
    assert!(!s.agent.is_identified(conn));
}
