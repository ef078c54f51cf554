//! Raises that need the user: the resolver dialog, its queue, its outcomes.

use serde_json::json;

use super::*;

/// chat (conn 1) raises; crm (conn 2) and the built-in log (conn 3) both listen.
struct Ambiguous {
    s: Scenario,
    chat: ConnId,
    chat_id: String,
    crm_id: String,
    log: ConnId,
    log_id: String,
}

fn ambiguous(config: AgentConfig) -> Ambiguous {
    let mut s = Scenario::with_config(config);
    let (chat, chat_id) = s.connect(CHAT_URL);
    let (crm, crm_id) = s.connect(CRM_URL);
    let (log, log_id) = s.connect_in_process(LOG_URL);
    s.listen(crm, "CreateInteraction");
    s.listen(log, "CreateInteraction");
    Ambiguous {
        s,
        chat,
        chat_id,
        crm_id,
        log,
        log_id,
    }
}

/// The option number the view offers for `app_id`.
fn option_for(view: &ResolverView, app_id: &str) -> usize {
    let app = view.apps.iter().find(|a| a.app_id == app_id);
    app.and_then(|a| a.options.first())
        .map(|o| o.option)
        .unwrap_or_else(|| panic!("{app_id} not offered: {view:?}"))
}

/// chat raises CreateInteraction; returns the request and the view shown.
fn raise_and_show(t: &mut Ambiguous) -> (String, ResolverView) {
    let req = t.s.raise(t.chat, "CreateInteraction", interaction(), None);
    let view = resolver_change(&t.s.take()).expect("resolver shown");
    (req, view)
}

#[test]
fn two_candidates_show_the_resolver() {
    let mut t = ambiguous(AgentConfig::default());
    let req = t.s.raise(t.chat, "CreateInteraction", interaction(), None);
    let fx = t.s.take();
    assert_eq!(
        outline(&fx),
        ["record Raised", "timer ResolverDeadline", "resolver shown"]
    );
    assert!(
        sent(&fx, t.chat).is_empty(),
        "the raiser waits for the user"
    );
    let view = resolver_change(&fx).unwrap();
    let expected = ResolverView {
        id: view.id.clone(),
        intent: Some("CreateInteraction".into()),
        raiser: crate::agent::resolver::RaiserRef {
            app_id: "chat".into(),
            title: "Chat".into(),
            instance_id: t.chat_id.clone(),
        },
        context: interaction(),
        deadline_ms: T0 + 60_000,
        timeout_ms: 60_000,
        queued: 0,
        apps: vec![
            ResolverApp {
                app_id: "crm".into(),
                title: "CRM".into(),
                description: Some("Customer records".into()),
                icon: None,
                options: vec![ResolverOption {
                    option: 0,
                    intent: "CreateInteraction".into(),
                    instance_id: Some(t.crm_id.clone()),
                    label: format!("Running instance {}", t.crm_id.split('-').next().unwrap()),
                }],
            },
            ResolverApp {
                app_id: "interlog.log".into(),
                title: "Interlog interaction log".into(),
                description: Some(
                    "Records the interaction in Interlog's own history, searchable at any time."
                        .into(),
                ),
                icon: builtin_log_icons()[0]["src"].as_str().map(String::from),
                options: vec![ResolverOption {
                    option: 1,
                    intent: "CreateInteraction".into(),
                    instance_id: Some(t.log_id.clone()),
                    label: format!("Running instance {}", t.log_id.split('-').next().unwrap()),
                }],
            },
        ],
    };
    assert_eq!(view, expected);
    assert_eq!(t.s.agent.resolver_view(), Some(expected));
    assert_eq!(
        timers(&fx),
        [(
            T0 + 60_000,
            Timer::ResolverDeadline {
                id: view.id.clone()
            }
        )]
    );
    assert!(
        matches!(records(&fx)[0], LedgerEvent::Raised { candidates, request_uuid, .. }
        if candidates.as_array().map(Vec::len) == Some(2) && *request_uuid == req)
    );
}

#[test]
fn the_users_pick_is_delivered() {
    let mut t = ambiguous(AgentConfig::default());
    let (req, view) = raise_and_show(&mut t);
    t.s.advance(4_000);
    let fx = t.s.resolve(
        &view.id,
        ResolverChoice::Pick {
            option: option_for(&view, "interlog.log"),
        },
    );
    assert_eq!(
        outline(&fx),
        [
            "resolver hidden",
            "record Resolved(UserChoice)",
            "send 3 intentEvent",
            "record Delivered",
            "send 1 raiseIntentResponse",
            "timer ResultDeadline"
        ]
    );
    check(
        &fx,
        &[
            msg(t.log, "intentEvent")
                .at("/payload/intent", "CreateInteraction")
                .at("/payload/originatingApp", json!({"appId": "chat", "instanceId": t.chat_id}))
                .at("/payload/raiseIntentRequestUuid", req.as_str()),
            msg(t.chat, "raiseIntentResponse").answers(&req).at(
                "/payload/intentResolution",
                json!({"intent": "CreateInteraction", "source": {"appId": "interlog.log", "instanceId": t.log_id}}),
            ),
        ],
    );
    assert!(
        matches!(records(&fx)[0], LedgerEvent::Resolved { handler_app: Some(a), .. } if a == "interlog.log")
    );
    assert_eq!(t.s.agent.resolver_view(), None);
    // The dialog's deadline and a second click are stale now.
    assert_eq!(
        t.s.timer(Timer::ResolverDeadline {
            id: view.id.clone()
        }),
        []
    );
    assert_eq!(t.s.resolve(&view.id, ResolverChoice::Cancel), []);
}

#[test]
fn cancel_is_user_cancelled_resolution() {
    let mut t = ambiguous(AgentConfig::default());
    let (req, view) = raise_and_show(&mut t);
    let fx = t.s.resolve(&view.id, ResolverChoice::Cancel);
    assert_eq!(
        outline(&fx),
        [
            "resolver hidden",
            "record Resolved(Cancelled)",
            "record Completed(Error UserCancelledResolution)",
            "send 1 raiseIntentResponse"
        ]
    );
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&req)
            .error("UserCancelledResolution")],
    );
}

#[test]
fn an_option_that_does_not_exist_cancels() {
    let mut t = ambiguous(AgentConfig::default());
    let (req, view) = raise_and_show(&mut t);
    let fx = t.s.resolve(&view.id, ResolverChoice::Pick { option: 7 });
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&req)
            .error("UserCancelledResolution")],
    );
}

#[test]
fn the_deadline_is_resolver_timeout() {
    let mut t = ambiguous(AgentConfig::default());
    let (req, view) = raise_and_show(&mut t);
    t.s.now = view.deadline_ms;
    let fx = t.s.timer(Timer::ResolverDeadline {
        id: view.id.clone(),
    });
    assert_eq!(
        outline(&fx),
        [
            "resolver hidden",
            "record Resolved(TimedOut)",
            "record Completed(Error ResolverTimeout)",
            "send 1 raiseIntentResponse"
        ]
    );
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&req)
            .error("ResolverTimeout")],
    );
    // A click that arrives after the timeout is ignored.
    assert_eq!(
        t.s.resolve(&view.id, ResolverChoice::Pick { option: 0 }),
        []
    );
}

#[test]
fn a_picked_instance_that_left_fails_delivery() {
    let mut t = ambiguous(AgentConfig::default());
    let (req, view) = raise_and_show(&mut t);
    assert_eq!(
        t.s.close(t.log),
        [],
        "a candidate leaving does not change the dialog"
    );
    let fx = t.s.resolve(
        &view.id,
        ResolverChoice::Pick {
            option: option_for(&view, "interlog.log"),
        },
    );
    assert_eq!(
        outline(&fx),
        [
            "resolver hidden",
            "record Resolved(UserChoice)",
            "record Completed(Error IntentDeliveryFailed)",
            "send 1 raiseIntentResponse"
        ]
    );
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&req)
            .error("IntentDeliveryFailed")],
    );
}

#[test]
fn simultaneous_raises_queue_and_each_gets_a_full_countdown() {
    let mut t = ambiguous(AgentConfig::default());
    let (first_req, first) = raise_and_show(&mut t);
    let (chat2, chat2_id) = t.s.connect(CHAT_URL);
    t.s.advance(10_000);
    let second_req = t.s.raise(chat2, "CreateInteraction", interaction(), None);
    let fx = t.s.take();
    assert_eq!(
        outline(&fx),
        ["record Raised", "resolver shown"],
        "no second countdown yet"
    );
    let shown = resolver_change(&fx).unwrap();
    assert_eq!(shown.id, first.id, "the first request stays on screen");
    assert_eq!(shown.queued, 1);
    assert_eq!(shown.deadline_ms, T0 + 60_000);
    assert_eq!(t.s.agent.resolver_view().map(|v| v.queued), Some(1));

    t.s.advance(5_000);
    let fx = t.s.resolve(&first.id, ResolverChoice::Cancel);
    assert_eq!(
        outline(&fx),
        [
            "timer ResolverDeadline",
            "resolver shown",
            "record Resolved(Cancelled)",
            "record Completed(Error UserCancelledResolution)",
            "send 1 raiseIntentResponse"
        ]
    );
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&first_req)
            .error("UserCancelledResolution")],
    );
    let second = resolver_change(&fx).unwrap();
    assert_ne!(second.id, first.id);
    assert_eq!(second.raiser.instance_id, chat2_id);
    assert_eq!(second.queued, 0);
    let fresh = T0 + 15_000 + 60_000;
    assert_eq!(second.deadline_ms, fresh);
    assert_eq!(
        timers(&fx),
        [(
            fresh,
            Timer::ResolverDeadline {
                id: second.id.clone()
            }
        )]
    );

    // The first request's old deadline passes: the second is unaffected.
    t.s.now = T0 + 60_000;
    assert_eq!(
        t.s.timer(Timer::ResolverDeadline {
            id: first.id.clone()
        }),
        []
    );
    t.s.now = fresh;
    let fx = t.s.timer(Timer::ResolverDeadline {
        id: second.id.clone(),
    });
    check(
        &fx,
        &[msg(chat2, "raiseIntentResponse")
            .answers(&second_req)
            .error("ResolverTimeout")],
    );
    assert_eq!(resolver_change(&fx), None);
}

#[test]
fn a_queued_request_cannot_be_answered_before_it_is_shown() {
    let mut t = ambiguous(AgentConfig::default());
    let (_, first) = raise_and_show(&mut t);
    let (chat2, _) = t.s.connect(CHAT_URL);
    t.s.raise(chat2, "CreateInteraction", interaction(), None);
    // The queued request is not visible yet; with counting ids its id is the one after its
    // raise key (checked below, once it is shown).
    let key = raise_key(&t.s.take());
    let n: u64 = key
        .strip_prefix("id-")
        .and_then(|n| n.parse().ok())
        .expect("counting id");
    let queued_id = format!("id-{}", n + 1);
    assert_eq!(
        t.s.resolve(&queued_id, ResolverChoice::Pick { option: 0 }),
        []
    );
    assert_eq!(
        t.s.timer(Timer::ResolverDeadline {
            id: queued_id.clone()
        }),
        []
    );
    assert_eq!(
        t.s.agent.resolver_view().map(|v| (v.id, v.queued)),
        Some((first.id.clone(), 1))
    );
    let fx = t.s.resolve(&first.id, ResolverChoice::Cancel);
    assert_eq!(resolver_change(&fx).map(|v| v.id), Some(queued_id));
}

#[test]
fn raiser_leaving_withdraws_its_request() {
    let mut t = ambiguous(AgentConfig::default());
    raise_and_show(&mut t);
    let fx = t.s.close(t.chat);
    assert_eq!(resolver_change(&fx), None);
    let lines: Vec<String> = outline(&fx)
        .into_iter()
        .filter(|l| l.starts_with("record"))
        .collect();
    assert_eq!(
        lines,
        [
            "record Resolved(Cancelled)",
            "record Completed(Error UserCancelledResolution)"
        ]
    );
    assert!(sent(&fx, ConnId(2)).is_empty() && sent(&fx, t.log).is_empty());
    assert_eq!(t.s.agent.resolver_view(), None);
}

#[test]
fn a_queued_raiser_leaving_only_updates_the_count() {
    let mut t = ambiguous(AgentConfig::default());
    let (_, first) = raise_and_show(&mut t);
    let (chat2, _) = t.s.connect(CHAT_URL);
    t.s.raise(chat2, "CreateInteraction", interaction(), None);
    let fx = t.s.close(chat2);
    let shown = resolver_change(&fx).unwrap();
    assert_eq!(
        (shown.id, shown.queued, shown.deadline_ms),
        (first.id, 0, first.deadline_ms)
    );
    assert!(
        timers(&fx).is_empty(),
        "the shown request keeps its countdown"
    );
}

#[test]
fn two_instances_of_one_app_are_one_app_with_two_options() {
    let mut s = Scenario::new();
    let (chat, _) = s.connect(CHAT_URL);
    let (a, a_id) = s.connect(CRM_URL);
    let (b, b_id) = s.connect(CRM_URL);
    s.listen(a, "CreateInteraction");
    s.listen(b, "CreateInteraction");
    let req = s.request(
        chat,
        "raiseIntentForContextRequest",
        json!({"context": interaction()}),
    );
    let view = resolver_change(&s.take()).unwrap();
    assert_eq!(
        view.intent, None,
        "raiseIntentForContext: each option carries its intent"
    );
    assert_eq!(view.apps.len(), 1);
    let options: Vec<(usize, Option<String>)> = view.apps[0]
        .options
        .iter()
        .map(|o| (o.option, o.instance_id.clone()))
        .collect();
    assert_eq!(options, [(0, Some(a_id)), (1, Some(b_id.clone()))]);
    let fx = s.resolve(&view.id, ResolverChoice::Pick { option: 1 });
    check(
        &fx,
        &[
            msg(b, "intentEvent").at("/payload/intent", "CreateInteraction"),
            msg(chat, "raiseIntentForContextResponse")
                .answers(&req)
                .at("/payload/intentResolution/source/instanceId", b_id.as_str()),
        ],
    );
}

#[test]
fn headless_with_two_candidates_is_resolver_unavailable() {
    let config = AgentConfig {
        resolver_available: false,
        ..AgentConfig::default()
    };
    let mut t = ambiguous(config);
    let req = t.s.raise(t.chat, "CreateInteraction", interaction(), None);
    let fx = t.s.take();
    assert_eq!(
        outline(&fx),
        [
            "record Raised",
            "record Resolved(Unavailable)",
            "record Completed(Error ResolverUnavailable)",
            "send 1 raiseIntentResponse"
        ]
    );
    check(
        &fx,
        &[msg(t.chat, "raiseIntentResponse")
            .answers(&req)
            .error("ResolverUnavailable")],
    );
}

#[test]
fn headless_with_one_candidate_delivers_without_a_resolver() {
    let config = AgentConfig {
        resolver_available: false,
        ..AgentConfig::default()
    };
    let mut t = ChatAndCrm::with_config(config);
    let req = t.s.raise(t.chat, "CreateInteraction", interaction(), None);
    check(
        &t.s.take(),
        &[
            msg(t.crm, "intentEvent").at("/payload/raiseIntentRequestUuid", req.as_str()),
            msg(t.chat, "raiseIntentResponse")
                .answers(&req)
                .at("/payload/intentResolution/source/appId", "crm"),
        ],
    );
}

#[test]
fn a_remembered_choice_answers_the_same_question_without_the_dialog() {
    let mut t = ambiguous(AgentConfig::default());
    let (_, view) = raise_and_show(&mut t);
    let fx = t.s.resolve(
        &view.id,
        ResolverChoice::PickAndRemember {
            option: option_for(&view, "crm"),
        },
    );
    assert!(
        outline(&fx).contains(&"remembered 1".to_owned()),
        "{:?}",
        outline(&fx)
    );
    assert_eq!(
        t.s.agent.remembered(),
        [RememberedChoice {
            intent: "CreateInteraction".into(),
            context_type: "fdc3.interaction".into(),
            raiser_app_id: "chat".into(),
            app_id: "crm".into(),
        }]
    );

    // The same question again: no dialog, straight to the CRM, on record as remembered.
    t.s.raise(t.chat, "CreateInteraction", interaction(), None);
    let fx = t.s.take();
    assert!(
        !outline(&fx).contains(&"resolver shown".to_owned()),
        "{:?}",
        outline(&fx)
    );
    assert!(
        outline(&fx).contains(&"record Resolved(Remembered)".to_owned()),
        "{:?}",
        outline(&fx)
    );
    let crm =
        t.s.agent
            .instances()
            .into_iter()
            .find(|i| i.instance_id == t.crm_id)
            .expect("crm");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Send { msg, .. } if msg["type"] == "intentEvent"))
            && !sent(&fx, t.log).iter().any(|m| m["type"] == "intentEvent"),
        "delivered to {}, not the log",
        crm.app_id
    );

    // Another context type is another question: the dialog.
    t.s.raise(
        t.chat,
        "CreateInteraction",
        json!({"type": "fdc3.contactList", "contacts": []}),
        None,
    );
    assert!(outline(&t.s.take()).contains(&"resolver shown".to_owned()));
}

#[test]
fn a_remembered_app_that_is_gone_is_ignored_and_forgetting_brings_the_dialog_back() {
    let config = AgentConfig {
        remembered: vec![RememberedChoice {
            intent: "CreateInteraction".into(),
            context_type: "fdc3.interaction".into(),
            raiser_app_id: "chat".into(),
            app_id: "no.such.app".into(),
        }],
        ..AgentConfig::default()
    };
    let mut t = ambiguous(config);
    let (_, view) = raise_and_show(&mut t);
    assert_eq!(view.apps.len(), 2);
    t.s.resolve(&view.id, ResolverChoice::Cancel);

    t.s.agent.set_remembered(vec![RememberedChoice {
        intent: "CreateInteraction".into(),
        context_type: "fdc3.interaction".into(),
        raiser_app_id: "chat".into(),
        app_id: "interlog.log".into(),
    }]);
    t.s.raise(t.chat, "CreateInteraction", interaction(), None);
    let fx = t.s.take();
    assert!(outline(&fx).contains(&"record Resolved(Remembered)".to_owned()));
    assert!(sent(&fx, t.log).iter().any(|m| m["type"] == "intentEvent"));
    t.s.agent.set_remembered(Vec::new());
    raise_and_show(&mut t);
}
