//! Raising intents: candidates, delivery, results, targeting, failures; findIntent*.

use serde_json::json;

use super::*;

#[test]
fn raise_with_no_listening_instance_is_no_apps_found() {
    let mut s = Scenario::new();
    let (chat, chat_id) = s.connect(CHAT_URL);
    // crm declares the intent and is running, but has not added its listener.
    s.connect(CRM_URL);
    let req = s.raise(chat, "CreateInteraction", interaction(), None);
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        [
            "record Raised",
            "record Resolved(NoCandidates)",
            "record Completed(Error NoAppsFound)",
            "send 1 raiseIntentResponse"
        ]
    );
    check(
        &fx,
        &[msg(chat, "raiseIntentResponse")
            .answers(&req)
            .error("NoAppsFound")],
    );
    let key = raise_key(&fx);
    assert_eq!(
        records(&fx)[0],
        &LedgerEvent::Raised {
            key,
            at_ms: T0,
            raiser_app: "chat".into(),
            raiser_instance: chat_id,
            request_uuid: req,
            intent: Some("CreateInteraction".into()),
            context: crate::JsonText::of(&interaction()),
            target: None,
            candidates: json!([]),
        }
    );
    // An intent nobody declares.
    let req = s.raise(chat, "Nonexistent", interaction(), None);
    check(
        &s.take(),
        &[msg(chat, "raiseIntentResponse")
            .answers(&req)
            .error("NoAppsFound")],
    );
}

#[test]
fn single_candidate_is_delivered_and_its_context_result_returned() {
    let ChatAndCrm {
        mut s,
        chat,
        chat_id,
        crm,
        crm_id,
    } = ChatAndCrm::new();
    let req = s.raise(chat, "CreateInteraction", interaction(), None);
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        [
            "record Raised",
            "record Resolved(SingleCandidate)",
            "send 2 intentEvent",
            "record Delivered",
            "send 1 raiseIntentResponse",
            "timer ResultDeadline"
        ]
    );
    check(
        &fx,
        &[
            msg(crm, "intentEvent")
                .at("/payload/intent", "CreateInteraction")
                .at("/payload/context", interaction())
                .at("/payload/originatingApp", json!({"appId": "chat", "instanceId": chat_id}))
                .at("/payload/raiseIntentRequestUuid", req.as_str()),
            msg(chat, "raiseIntentResponse").answers(&req).at(
                "/payload/intentResolution",
                json!({"intent": "CreateInteraction", "source": {"appId": "crm", "instanceId": crm_id}}),
            ),
        ],
    );
    let key = raise_key(&fx);
    let recs = records(&fx);
    assert!(matches!(recs[0], LedgerEvent::Raised { candidates, .. }
        if *candidates == json!([{"intent": "CreateInteraction", "appId": "crm", "instanceId": crm_id}])));
    assert!(
        matches!(recs[1], LedgerEvent::Resolved { handler_app: Some(a), handler_instance: Some(i), .. }
        if a == "crm" && *i == crm_id)
    );
    let deadline = T0 + s.config().result_timeout_ms;
    assert_eq!(
        timers(&fx),
        [(deadline, Timer::ResultDeadline { key: key.clone() })]
    );
    let event = one(&fx, crm, "intentEvent");
    let event_uuid = event["meta"]["eventUuid"].as_str().unwrap().to_owned();

    s.advance(61_000);
    let fx = s.answer(crm, &event, json!({ "context": transaction_result() }));
    assert_eq!(
        outline(&fx),
        [
            "record Completed(Context)",
            "send 1 raiseIntentResultResponse",
            "send 2 intentResultResponse"
        ]
    );
    check(
        &fx,
        &[
            msg(chat, "raiseIntentResultResponse").answers(&req).at(
                "/payload/intentResult",
                json!({ "context": transaction_result() }),
            ),
            msg(crm, "intentResultResponse")
                .answers(&event_uuid)
                .at("/payload", json!({})),
        ],
    );
    assert_eq!(
        records(&fx),
        [&LedgerEvent::Completed {
            key: key.clone(),
            at_ms: T0 + 61_000,
            outcome: ResultOutcome::Context(crate::JsonText::of(&transaction_result())),
        }]
    );
    // The result is in; the deadline and a second answer change nothing for the raiser.
    s.now = deadline;
    assert_eq!(s.timer(Timer::ResultDeadline { key }), []);
    let fx = s.answer(crm, &event, json!({ "context": transaction_result() }));
    check(
        &fx,
        &[msg(crm, "intentResultResponse")
            .answers(&event_uuid)
            .error("NoResultReturned")],
    );
}

#[test]
fn void_result() {
    let mut t = ChatAndCrm::new();
    let (req, event) = t.delivered();
    let fx = t.s.answer(t.crm, &event, json!({}));
    assert_eq!(
        outline(&fx),
        [
            "record Completed(Void)",
            "send 1 raiseIntentResultResponse",
            "send 2 intentResultResponse"
        ]
    );
    check(
        &fx,
        &[
            msg(t.chat, "raiseIntentResultResponse")
                .answers(&req)
                .at("/payload", json!({"intentResult": {}})),
            msg(t.crm, "intentResultResponse"),
        ],
    );
}

#[test]
fn channel_result_admits_the_raiser_to_the_private_channel() {
    let mut t = ChatAndCrm::new();
    let (req, event) = t.delivered();
    t.s.request(t.crm, "createPrivateChannelRequest", json!({}));
    let channel = one(&t.s.take(), t.crm, "createPrivateChannelResponse")["payload"]
        ["privateChannel"]
        .clone();
    let id = channel["id"].as_str().unwrap().to_owned();
    // Not yet a party.
    let b = t.s.request(
        t.chat,
        "broadcastRequest",
        json!({"channelId": id, "context": instrument("AAPL")}),
    );
    check(
        &t.s.take(),
        &[msg(t.chat, "broadcastResponse")
            .answers(&b)
            .error("AccessDenied")],
    );

    let fx = t.s.answer(t.crm, &event, json!({ "channel": channel }));
    assert_eq!(
        outline(&fx),
        [
            "record Completed(Channel)",
            "send 1 raiseIntentResultResponse",
            "send 2 intentResultResponse"
        ]
    );
    check(
        &fx,
        &[
            msg(t.chat, "raiseIntentResultResponse").answers(&req).at(
                "/payload/intentResult",
                json!({ "channel": {"id": id, "type": "private"} }),
            ),
            msg(t.crm, "intentResultResponse"),
        ],
    );
    let l = t.s.request(
        t.crm,
        "addContextListenerRequest",
        json!({"channelId": id, "contextType": null}),
    );
    check(
        &t.s.take(),
        &[msg(t.crm, "addContextListenerResponse").answers(&l)],
    );
    let b = t.s.request(
        t.chat,
        "broadcastRequest",
        json!({"channelId": id, "context": instrument("AAPL")}),
    );
    check(
        &t.s.take(),
        &[
            msg(t.chat, "broadcastResponse")
                .answers(&b)
                .at("/payload", json!({})),
            msg(t.crm, "broadcastEvent")
                .at("/payload/channelId", id.as_str())
                .at("/payload/context", instrument("AAPL")),
        ],
    );
}

#[test]
fn malformed_contexts_are_refused() {
    let mut t = ChatAndCrm::new();
    let mut no_participants = interaction();
    no_participants
        .as_object_mut()
        .unwrap()
        .remove("participants");
    for context in [
        no_participants,
        json!({"name": "no type"}),
        json!("fdc3.interaction"),
        json!(null),
    ] {
        let req =
            t.s.raise(t.chat, "CreateInteraction", context.clone(), None);
        let fx = t.s.take();
        assert_eq!(
            outline(&fx),
            [
                "record Raised",
                "record Resolved(NoCandidates)",
                "record Completed(Error MalformedContext)",
                "send 1 raiseIntentResponse"
            ],
            "{context}"
        );
        check(
            &fx,
            &[msg(t.chat, "raiseIntentResponse")
                .answers(&req)
                .error("MalformedContext")],
        );
    }
    let req = t.s.request(
        t.chat,
        "raiseIntentForContextRequest",
        json!({"context": {"id": 1}}),
    );
    check(
        &t.s.take(),
        &[msg(t.chat, "raiseIntentForContextResponse")
            .answers(&req)
            .error("MalformedContext")],
    );
    // No intent at all is a malformed message.
    let req = t.s.request(
        t.chat,
        "raiseIntentRequest",
        json!({"context": interaction()}),
    );
    check(
        &t.s.take(),
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&req)
            .error("MalformedMessage")],
    );
}

#[test]
fn targeted_raise_errors() {
    let mut t = ChatAndCrm::new();
    let chat_id = t.chat_id.clone();
    let cases = [
        (
            json!({"appId": "nope"}),
            interaction(),
            "TargetAppUnavailable",
        ),
        (json!("crm"), interaction(), "TargetAppUnavailable"),
        (json!({"appId": "crm"}), contact(), "NoAppsFound"),
        (
            json!({"appId": "crm", "instanceId": "nope"}),
            interaction(),
            "TargetInstanceUnavailable",
        ),
        // An instance of another app.
        (
            json!({"appId": "crm", "instanceId": chat_id}),
            interaction(),
            "TargetInstanceUnavailable",
        ),
        (
            json!({"appId": "crm", "instanceId": t.crm_id}),
            contact(),
            "NoAppsFound",
        ),
    ];
    for (app, context, error) in cases {
        let req =
            t.s.raise(t.chat, "CreateInteraction", context, Some(app.clone()));
        let fx = t.s.take();
        check(
            &fx,
            &[msg(t.chat, "raiseIntentResponse")
                .answers(&req)
                .error(error)],
        );
        assert!(
            matches!(records(&fx)[0], LedgerEvent::Raised { target: Some(target), .. } if *target == app),
            "{app}"
        );
    }
}

#[test]
fn targeted_app_goes_to_its_listening_instance() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let (crm, crm_id) = s.connect(CRM_URL);
    // Running but not listening: nothing Interlog can deliver to.
    let req = s.raise(
        chat,
        "CreateInteraction",
        interaction(),
        Some(json!({"appId": "crm"})),
    );
    check(
        &s.take(),
        &[msg(chat, "raiseIntentResponse")
            .answers(&req)
            .error("TargetAppUnavailable")],
    );
    s.listen(crm, "CreateInteraction");
    // The official client sends whole AppMetadata objects as the target.
    let target = json!({"appId": "crm", "title": "CRM", "state": 1});
    let req = s.raise(chat, "CreateInteraction", interaction(), Some(target));
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        [
            "record Raised",
            "record Resolved(Targeted)",
            "send 2 intentEvent",
            "record Delivered",
            "send 1 raiseIntentResponse",
            "timer ResultDeadline"
        ]
    );
    check(
        &fx,
        &[
            msg(crm, "intentEvent").at("/payload/raiseIntentRequestUuid", req.as_str()),
            msg(chat, "raiseIntentResponse").answers(&req).at(
                "/payload/intentResolution/source",
                json!({"appId": "crm", "instanceId": crm_id}),
            ),
        ],
    );
}

#[test]
fn targeted_instance_is_waited_for_until_it_listens() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let (crm, crm_id) = s.connect(CRM_URL);
    let target = json!({"appId": "crm", "instanceId": crm_id});
    let req = s.raise(chat, "CreateInteraction", interaction(), Some(target));
    let fx = s.take();
    assert_eq!(outline(&fx), ["record Raised", "timer ListenerDeadline"]);
    let key = raise_key(&fx);
    assert_eq!(
        timers(&fx),
        [(
            T0 + s.config().listener_timeout_ms,
            Timer::ListenerDeadline { key: key.clone() }
        )]
    );
    // A listener for another intent does not count.
    s.listen(crm, "ViewChart");
    assert_eq!(outline(&s.take()), ["send 2 addIntentListenerResponse"]);
    s.advance(3_000);
    let l = s.request(
        crm,
        "addIntentListenerRequest",
        json!({"intent": "CreateInteraction"}),
    );
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        [
            "send 2 addIntentListenerResponse",
            "record Resolved(Targeted)",
            "send 2 intentEvent",
            "record Delivered",
            "send 1 raiseIntentResponse",
            "timer ResultDeadline"
        ]
    );
    check(
        &fx,
        &[
            msg(crm, "addIntentListenerResponse").answers(&l),
            msg(crm, "intentEvent")
                .at("/payload/intent", "CreateInteraction")
                .at("/payload/context", interaction()),
            msg(chat, "raiseIntentResponse").answers(&req).at(
                "/payload/intentResolution/source/instanceId",
                crm_id.as_str(),
            ),
        ],
    );
    assert_eq!(raise_key(&fx), key);
    // The listener deadline no longer applies.
    assert_eq!(s.timer(Timer::ListenerDeadline { key }), []);
}

#[test]
fn targeted_instance_that_never_listens_fails_delivery() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let (crm, crm_id) = s.connect(CRM_URL);
    let req = s.raise(
        chat,
        "CreateInteraction",
        interaction(),
        Some(json!({"appId": "crm", "instanceId": crm_id})),
    );
    let fx = s.take();
    let key = raise_key(&fx);
    s.now = timers(&fx)[0].0;
    let fx = s.timer(Timer::ListenerDeadline { key });
    assert_eq!(
        outline(&fx),
        [
            "record Completed(Error IntentDeliveryFailed)",
            "send 1 raiseIntentResponse"
        ]
    );
    check(
        &fx,
        &[msg(chat, "raiseIntentResponse")
            .answers(&req)
            .error("IntentDeliveryFailed")],
    );
    // Too late: the listener is added, nothing is delivered.
    s.listen(crm, "CreateInteraction");
    assert_eq!(outline(&s.take()), ["send 2 addIntentListenerResponse"]);
}

#[test]
fn targeted_instance_that_leaves_while_awaited_fails_delivery() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let (crm, crm_id) = s.connect(CRM_URL);
    let req = s.raise(
        chat,
        "CreateInteraction",
        interaction(),
        Some(json!({"appId": "crm", "instanceId": crm_id})),
    );
    s.close(crm);
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        [
            "record Completed(Error IntentDeliveryFailed)",
            "send 1 raiseIntentResponse"
        ]
    );
    check(
        &fx,
        &[msg(chat, "raiseIntentResponse")
            .answers(&req)
            .error("IntentDeliveryFailed")],
    );
}

#[test]
fn handler_that_closes_before_answering_returns_no_result_at_once() {
    let mut t = ChatAndCrm::new();
    let (req, event) = t.delivered();
    t.s.advance(500);
    let fx = t.s.close(t.crm);
    assert_eq!(
        outline(&fx),
        [
            "record Completed(Error NoResultReturned)",
            "send 1 raiseIntentResultResponse"
        ]
    );
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResultResponse")
            .answers(&req)
            .error("NoResultReturned")],
    );
    assert!(matches!(records(&fx)[0], LedgerEvent::Completed { at_ms, .. } if *at_ms == T0 + 500));
    assert!(!event["meta"]["eventUuid"].is_null());
}

#[test]
fn handler_that_never_answers_returns_no_result_at_the_deadline() {
    let mut t = ChatAndCrm::new();
    let req = t.s.raise(t.chat, "CreateInteraction", interaction(), None);
    let fx = t.s.take();
    let event = one(&fx, t.crm, "intentEvent");
    let (at, timer) = timers(&fx)[0].clone();
    assert_eq!(
        at,
        T0 + 300_000,
        "the contract's default result timeout is 5 minutes"
    );
    t.s.now = at;
    let fx = t.s.timer(timer);
    assert_eq!(
        outline(&fx),
        [
            "record Completed(Error NoResultReturned)",
            "send 1 raiseIntentResultResponse"
        ]
    );
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResultResponse")
            .answers(&req)
            .error("NoResultReturned")],
    );
    // A result after the deadline is refused and reaches no one else.
    let fx =
        t.s.answer(t.crm, &event, json!({ "context": transaction_result() }));
    check(
        &fx,
        &[msg(t.crm, "intentResultResponse").error("NoResultReturned")],
    );
}

#[test]
fn only_the_handler_can_answer() {
    let mut t = ChatAndCrm::new();
    let (req, event) = t.delivered();
    let (other, _) = t.s.connect(CRM_URL);
    let fx =
        t.s.answer(other, &event, json!({ "context": transaction_result() }));
    check(
        &fx,
        &[msg(other, "intentResultResponse").error("NoResultReturned")],
    );
    let fx = t.s.answer(t.chat, &event, json!({}));
    check(
        &fx,
        &[msg(t.chat, "intentResultResponse").error("NoResultReturned")],
    );
    // The real handler still can.
    let fx =
        t.s.answer(t.crm, &event, json!({ "context": transaction_result() }));
    check(
        &fx,
        &[
            msg(t.chat, "raiseIntentResultResponse").answers(&req),
            msg(t.crm, "intentResultResponse").at("/payload", json!({})),
        ],
    );
}

#[test]
fn raise_intent_for_context_with_one_candidate() {
    let mut t = ChatAndCrm::new();
    let req = t.s.request(
        t.chat,
        "raiseIntentForContextRequest",
        json!({"context": interaction()}),
    );
    let fx = t.s.take();
    assert_eq!(
        outline(&fx),
        [
            "record Raised",
            "record Resolved(SingleCandidate)",
            "send 2 intentEvent",
            "record Delivered",
            "send 1 raiseIntentForContextResponse",
            "timer ResultDeadline"
        ]
    );
    check(
        &fx,
        &[
            msg(t.crm, "intentEvent")
                .at("/payload/intent", "CreateInteraction")
                .at("/payload/raiseIntentRequestUuid", req.as_str()),
            msg(t.chat, "raiseIntentForContextResponse").answers(&req).at(
                "/payload/intentResolution",
                json!({"intent": "CreateInteraction", "source": {"appId": "crm", "instanceId": t.crm_id}}),
            ),
        ],
    );
    assert!(matches!(
        records(&fx)[0],
        LedgerEvent::Raised { intent: None, .. }
    ));
    let event = one(&fx, t.crm, "intentEvent");
    let fx =
        t.s.answer(t.crm, &event, json!({ "context": transaction_result() }));
    check(
        &fx,
        &[
            msg(t.chat, "raiseIntentResultResponse")
                .answers(&req)
                .at("/payload/intentResult/context", transaction_result()),
            msg(t.crm, "intentResultResponse"),
        ],
    );
    // A context no intent takes.
    let req = t.s.request(
        t.chat,
        "raiseIntentForContextRequest",
        json!({"context": instrument("AAPL")}),
    );
    check(
        &t.s.take(),
        &[msg(t.chat, "raiseIntentForContextResponse")
            .answers(&req)
            .error("NoAppsFound")],
    );
}

#[test]
fn dynamic_listeners_of_apps_without_declarations_are_candidates() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let (dyn_conn, dyn_id) = s.connect(DYN_URL);
    s.listen(dyn_conn, "acme.Ping");
    let req = s.raise(chat, "acme.Ping", json!({"type": "acme.thing"}), None);
    check(
        &s.take(),
        &[
            msg(dyn_conn, "intentEvent").at("/payload/intent", "acme.Ping"),
            msg(chat, "raiseIntentResponse").answers(&req).at(
                "/payload/intentResolution/source",
                json!({"appId": "dyn", "instanceId": dyn_id}),
            ),
        ],
    );
    // An app that declares intents cannot take others dynamically.
    let (crm, _) = s.connect(CRM_URL);
    s.listen(crm, "acme.Other");
    let req = s.raise(chat, "acme.Other", json!({"type": "acme.thing"}), None);
    check(
        &s.take(),
        &[msg(chat, "raiseIntentResponse")
            .answers(&req)
            .error("NoAppsFound")],
    );
}

#[test]
fn unsubscribed_listener_no_longer_receives() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let (crm, _) = s.connect(CRM_URL);
    let uuid = s.listen(crm, "CreateInteraction");
    let req = s.request(
        crm,
        "intentListenerUnsubscribeRequest",
        json!({"listenerUUID": uuid}),
    );
    check(
        &s.take(),
        &[msg(crm, "intentListenerUnsubscribeResponse")
            .answers(&req)
            .at("/payload", json!({}))],
    );
    let req = s.raise(chat, "CreateInteraction", interaction(), None);
    check(
        &s.take(),
        &[msg(chat, "raiseIntentResponse")
            .answers(&req)
            .error("NoAppsFound")],
    );
}

// findIntent / findIntentsByContext

fn crm_meta(instance_id: Option<&str>) -> Value {
    let mut m = json!({"appId": "crm", "title": "CRM", "description": "Customer records", "resultType": "fdc3.transactionResult"});
    if let Some(i) = instance_id {
        m["instanceId"] = json!(i);
    }
    m
}

fn log_meta() -> Value {
    json!({
        "appId": "interlog.log",
        "title": "Interlog interaction log",
        "description": "Records the interaction in Interlog's own history, searchable at any time.",
        "icons": builtin_log_icons(),
        "resultType": "fdc3.transactionResult"
    })
}

#[test]
fn find_intent_lists_running_instances_then_directory_apps() {
    let t = ChatAndCrm::new();
    let (mut s, chat, crm_id) = (t.s, t.chat, t.crm_id);
    let expected = json!({
        "intent": {"name": "CreateInteraction", "displayName": "Create Interaction"},
        "apps": [crm_meta(Some(&crm_id)), log_meta(), crm_meta(None)],
    });
    for payload in [
        json!({"intent": "CreateInteraction"}),
        json!({"intent": "CreateInteraction", "resultType": "fdc3.transactionResult"}),
        json!({"intent": "CreateInteraction", "context": interaction()}),
        json!({"intent": "CreateInteraction", "context": {"type": "fdc3.contactList", "contacts": []}}),
    ] {
        let req = s.request(chat, "findIntentRequest", payload.clone());
        check(
            &s.take(),
            &[msg(chat, "findIntentResponse")
                .answers(&req)
                .at("/payload/appIntent", expected.clone())],
        );
    }
    for payload in [
        json!({"intent": "CreateInteraction", "resultType": "fdc3.contact"}),
        json!({"intent": "CreateInteraction", "resultType": "channel"}),
        json!({"intent": "CreateInteraction", "context": contact()}),
        json!({"intent": "NoSuchIntent"}),
    ] {
        let req = s.request(chat, "findIntentRequest", payload.clone());
        check(
            &s.take(),
            &[msg(chat, "findIntentResponse")
                .answers(&req)
                .error("NoAppsFound")],
        );
    }
    let req = s.request(
        chat,
        "findIntentRequest",
        json!({"intent": "CreateInteraction", "context": {"type": "fdc3.interaction"}}),
    );
    check(
        &s.take(),
        &[msg(chat, "findIntentResponse")
            .answers(&req)
            .error("MalformedContext")],
    );
}

#[test]
fn find_intent_result_type_channel_matches_typed_channels() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let viewer =
        json!({"appId": "viewer", "title": "Chart viewer", "resultType": "channel<fdc3.chart>"});
    for result_type in ["channel", "channel<fdc3.chart>"] {
        let req = s.request(
            chat,
            "findIntentRequest",
            json!({"intent": "ViewChart", "resultType": result_type}),
        );
        check(
            &s.take(),
            &[msg(chat, "findIntentResponse")
                .answers(&req)
                .at(
                    "/payload/appIntent/intent",
                    json!({"name": "ViewChart", "displayName": "ViewChart"}),
                )
                .at("/payload/appIntent/apps", json!([viewer]))],
        );
    }
    for result_type in ["channel<other>", "fdc3.chart"] {
        let req = s.request(
            chat,
            "findIntentRequest",
            json!({"intent": "ViewChart", "resultType": result_type}),
        );
        check(
            &s.take(),
            &[msg(chat, "findIntentResponse")
                .answers(&req)
                .error("NoAppsFound")],
        );
    }
}

#[test]
fn find_intents_by_context() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let req = s.request(
        chat,
        "findIntentsByContextRequest",
        json!({"context": interaction()}),
    );
    check(
        &s.take(),
        &[msg(chat, "findIntentsByContextResponse").answers(&req).at(
            "/payload/appIntents",
            json!([{
                "intent": {"name": "CreateInteraction", "displayName": "Create Interaction"},
                "apps": [log_meta(), crm_meta(None)],
            }]),
        )],
    );
    let req = s.request(
        chat,
        "findIntentsByContextRequest",
        json!({"context": instrument("AAPL")}),
    );
    check(
        &s.take(),
        &[msg(chat, "findIntentsByContextResponse")
            .answers(&req)
            .at("/payload/appIntents/0/intent/name", "ViewChart")
            .at("/payload/appIntents/0/apps/0/appId", "viewer")],
    );
    let req = s.request(
        chat,
        "findIntentsByContextRequest",
        json!({"context": interaction(), "resultType": "channel"}),
    );
    check(
        &s.take(),
        &[msg(chat, "findIntentsByContextResponse")
            .answers(&req)
            .error("NoAppsFound")],
    );
    let req = s.request(
        chat,
        "findIntentsByContextRequest",
        json!({"context": {"type": "fdc3.country", "id": {"ISOALPHA2": "GB"}}}),
    );
    check(
        &s.take(),
        &[msg(chat, "findIntentsByContextResponse")
            .answers(&req)
            .error("NoAppsFound")],
    );
    let req = s.request(chat, "findIntentsByContextRequest", json!({}));
    check(
        &s.take(),
        &[msg(chat, "findIntentsByContextResponse")
            .answers(&req)
            .error("MalformedContext")],
    );
}

#[test]
fn find_intent_and_listener_requests_need_their_fields() {
    let mut t = ChatAndCrm::new();
    let cases = [
        ("findIntentRequest", json!({})),
        ("addIntentListenerRequest", json!({})),
        ("addIntentListenerRequest", json!({"intent": ""})),
        (
            "intentListenerUnsubscribeRequest",
            json!({"listenerUUID": "nope"}),
        ),
    ];
    for (kind, payload) in cases {
        let req = t.s.request(t.crm, kind, payload.clone());
        let response = kind.replace("Request", "Response");
        check(
            &t.s.take(),
            &[msg(t.crm, &response)
                .answers(&req)
                .error("MalformedMessage")],
        );
    }
}

/// A raise that is over leaves no deadline behind: its timers are cancelled, not left to fire
/// minutes later into nothing.
#[test]
fn a_finished_raise_cancels_its_deadlines() {
    let mut t = ChatAndCrm::new();
    let (_, event) = t.delivered();
    let fx = t.s.answer(t.crm, &event, json!({}));
    let gone = cancelled(&fx);
    assert!(
        gone.iter()
            .any(|c| matches!(c, Timer::ResultDeadline { .. })),
        "{gone:?}"
    );
    assert!(gone
        .iter()
        .any(|c| matches!(c, Timer::ListenerDeadline { .. })));
    // A raise refused at once sets no deadline, and one that fails cancels them too.
    let mut t = ChatAndCrm::new();
    let (_, _event) = t.delivered();
    let fx = t.s.close(t.crm);
    assert!(cancelled(&fx)
        .iter()
        .any(|c| matches!(c, Timer::ResultDeadline { .. })));
}

/// An app over its raise budget is refused with an FDC3 error, on record as over budget; other
/// apps and Interlog's own are not held back by it.
#[test]
fn raises_over_an_apps_budget_are_refused_and_recorded() {
    let config = AgentConfig {
        raise_budget: crate::agent::RaiseBudget {
            per_minute: 3,
            max_context_bytes: 2048,
        },
        ..AgentConfig::default()
    };
    let mut t = ChatAndCrm::with_config(config);
    let raise = |t: &mut ChatAndCrm, context: Value| {
        let req = t.s.request(
            t.chat,
            "raiseIntentRequest",
            json!({"intent": "CreateInteraction", "context": context}),
        );
        (req, t.s.take())
    };
    for _ in 0..3 {
        let (_, fx) = raise(&mut t, interaction());
        assert!(
            sent(&fx, t.chat)
                .iter()
                .all(|m| m["payload"].get("error").is_none()),
            "{}",
            dump(&fx)
        );
    }
    let (req, fx) = raise(&mut t, interaction());
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&req)
            .error("IntentDeliveryFailed")],
    );
    assert!(records(&fx).iter().any(|r| matches!(
        r,
        LedgerEvent::Resolved {
            resolution: Resolution::OverBudget,
            ..
        }
    )));
    // A minute later the budget is back.
    t.s.advance(60_000);
    let (_, fx) = raise(&mut t, interaction());
    assert!(sent(&fx, t.chat)
        .iter()
        .all(|m| m["payload"].get("error").is_none()));
    // Too large a context is refused whatever the rate.
    let mut big = interaction();
    big["description"] = json!("x".repeat(4096));
    let (req, fx) = raise(&mut t, big);
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&req)
            .error("MalformedContext")],
    );
}

/// While the ledger's disk is below its watermark, raises are refused (on record, as such)
/// rather than accepted into a ledger that may not hold them; afterwards they are taken again.
#[test]
fn raises_are_refused_while_the_disk_is_low() {
    let mut t = ChatAndCrm::new();
    t.s.handle(Input::DiskLow { low: true });
    let req = t.s.request(
        t.chat,
        "raiseIntentRequest",
        json!({"intent": "CreateInteraction", "context": interaction()}),
    );
    let fx = t.s.take();
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&req)
            .error("IntentDeliveryFailed")],
    );
    assert!(records(&fx).iter().any(|r| matches!(
        r,
        LedgerEvent::Resolved {
            resolution: Resolution::DiskLow,
            ..
        }
    )));
    t.s.handle(Input::DiskLow { low: false });
    let (_, event) = t.delivered();
    assert_eq!(event["type"], "intentEvent");
}
