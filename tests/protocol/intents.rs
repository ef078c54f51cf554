//! CreateInteraction over the socket: raiser and handler apps, the built-in log, results,
//! errors, and the ledger behind them.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{example_context, App, TestAgent, CHAT, CRM};

#[tokio::test(flavor = "multi_thread")]
async fn seed_example_reaches_the_crm_and_its_result_reaches_the_raiser() {
    let agent = TestAgent::start().await;
    let mut crm = agent.connect(CRM).await;
    let mut chat = agent.connect(CHAT).await;
    crm.listen("CreateInteraction").await;

    let target = json!({ "appId": "interlog.sample-crm", "instanceId": crm.instance_id() });
    let raise = chat
        .request(
            "raiseIntentRequest",
            json!({ "intent": "CreateInteraction", "context": example_context(), "app": target }),
        )
        .await;

    let event = crm.wait_for(|m| m["type"] == "intentEvent").await;
    assert_eq!(event["payload"]["intent"], "CreateInteraction");
    assert_eq!(event["payload"]["context"], example_context());
    assert_eq!(event["payload"]["raiseIntentRequestUuid"], raise.as_str());
    assert_eq!(
        event["payload"]["originatingApp"]["appId"],
        "interlog.sample-chat"
    );
    assert_eq!(
        event["payload"]["originatingApp"]["instanceId"],
        chat.instance_id().as_str()
    );

    let resolution = chat.response(&raise, "raiseIntentResponse").await;
    assert_eq!(
        resolution["payload"]["intentResolution"]["source"]["instanceId"],
        crm.instance_id().as_str()
    );
    assert_eq!(
        resolution["payload"]["intentResolution"]["intent"],
        "CreateInteraction"
    );

    let mut created = example_context();
    created["id"] = json!({ "URI": "crm://interactions/1" });
    let result = json!({ "type": "fdc3.transactionResult", "status": "Created", "context": created,
        "message": "record with id \"crm://interactions/1\" was created" });
    let answer = crm
        .call(
            "intentResultRequest",
            json!({
                "intentEventUuid": event["meta"]["eventUuid"],
                "raiseIntentRequestUuid": raise,
                "intentResult": { "context": result },
            }),
        )
        .await;
    assert_eq!(answer["payload"], json!({}));
    let delivered = chat.response(&raise, "raiseIntentResultResponse").await;
    assert_eq!(delivered["payload"]["intentResult"]["context"], result);

    // The ledger has the whole exchange.
    let ledger = agent.running().handle.ledger().clone();
    let rows = ledger.list(&Default::default()).unwrap();
    let row = rows
        .iter()
        .find(|r| r.raiser_app == "interlog.sample-chat")
        .expect("row recorded");
    assert_eq!(row.state, "completed");
    assert_eq!(row.handler_app.as_deref(), Some("interlog.sample-crm"));
    assert_eq!(row.result_status.as_deref(), Some("Created"));
    assert_eq!(row.record_id.as_deref(), Some("crm://interactions/1"));
    assert_eq!(row.resolution.as_deref(), Some("targeted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_builtin_log_stores_the_interaction_and_answers_created() {
    let agent = TestAgent::start().await;
    let mut chat = agent.connect(CHAT).await;
    let raise = raise_example_at_log(&mut chat).await;
    let tr = &result_from_log(&mut chat, &raise).await;
    assert_eq!(tr["type"], "fdc3.transactionResult");
    assert_eq!(tr["status"], "Created");
    let id = tr["context"]["id"]["URI"]
        .as_str()
        .expect("record id")
        .to_owned();
    assert_eq!(
        tr["message"],
        format!("record with id \"{id}\" was created")
    );
    let mut expected = example_context();
    expected["id"] = json!({ "URI": id });
    assert_eq!(tr["context"], expected);
    // Stored before it was acknowledged.
    let stored = agent.running().handle.ledger().interaction(&id).unwrap();
    assert_eq!(stored, Some(expected));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_candidates_without_a_resolver_is_resolver_unavailable() {
    let agent = TestAgent::start().await;
    let mut crm = agent.connect(CRM).await;
    crm.listen("CreateInteraction").await;
    let mut chat = agent.connect(CHAT).await;
    let r = chat
        .call(
            "raiseIntentRequest",
            json!({ "intent": "CreateInteraction", "context": example_context() }),
        )
        .await;
    assert_eq!(r["payload"]["error"], "ResolverUnavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_have_their_fdc3_strings() {
    let agent = TestAgent::start().await;
    let mut chat = agent.connect(CHAT).await;
    let mut bad = example_context();
    bad.as_object_mut().unwrap().remove("participants");
    let cases = [
        (
            json!({ "intent": "CreateInteraction", "context": bad }),
            "MalformedContext",
        ),
        (
            json!({ "intent": "CreateInteraction", "context": { "name": "no type" } }),
            "MalformedContext",
        ),
        (
            json!({ "intent": "NoSuchIntent", "context": { "type": "fdc3.nothing" } }),
            "NoAppsFound",
        ),
        (
            json!({ "intent": "CreateInteraction", "context": example_context(), "app": { "appId": "nope" } }),
            "TargetAppUnavailable",
        ),
        (
            json!({ "intent": "CreateInteraction", "context": example_context(),
            "app": { "appId": "interlog.sample-crm", "instanceId": "gone" } }),
            "TargetInstanceUnavailable",
        ),
        (
            json!({ "intent": "CreateInteraction", "context": { "type": "fdc3.instrument", "id": { "ticker": "X" } },
            "app": { "appId": "interlog.sample-crm" } }),
            "NoAppsFound",
        ),
    ];
    for (payload, expected) in cases {
        let r = chat.call("raiseIntentRequest", payload.clone()).await;
        assert_eq!(r["payload"]["error"], expected, "for {payload}");
    }
    // Every one of them is on record.
    let rows = agent
        .running()
        .handle
        .ledger()
        .list(&Default::default())
        .unwrap();
    assert_eq!(rows.iter().filter(|r| r.state == "failed").count(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_that_leaves_fails_the_raise_instead_of_hanging() {
    let agent = TestAgent::start().await;
    let mut crm = agent.connect(CRM).await;
    crm.listen("CreateInteraction").await;
    let mut chat = agent.connect(CHAT).await;
    let target = json!({ "appId": "interlog.sample-crm", "instanceId": crm.instance_id() });
    let raise = chat
        .request(
            "raiseIntentRequest",
            json!({ "intent": "CreateInteraction", "context": example_context(), "app": target }),
        )
        .await;
    crm.wait_for(|m| m["type"] == "intentEvent").await;
    chat.response(&raise, "raiseIntentResponse").await;
    let left = Instant::now();
    crm.client.goodbye().await;
    let r = chat.response(&raise, "raiseIntentResultResponse").await;
    assert_eq!(r["payload"]["error"], "NoResultReturned");
    assert!(
        left.elapsed() < Duration::from_secs(1),
        "took {:?}",
        left.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raise_is_held_while_the_ledger_cannot_write_and_goes_through_once_it_can() {
    // Liveness far shorter than the hold: heartbeats must keep flowing while output waits for the
    // ledger, or every app would be declared dead during a long outage.
    let agent = TestAgent::start_with(|config| {
        config.agent.heartbeat_interval_ms = 200;
        config.agent.not_responding_after_ms = 600;
        config.agent.dead_after_ms = 1_500;
    })
    .await;
    let mut chat = agent.connect(CHAT).await;
    let ledger = agent.running().handle.ledger().clone();
    // Another program holds the write lock of the ledger's journal (where a raise is made durable)
    // past the busy timeout: to the agent this is a machine that cannot write, like a full disk.
    let blocker = rusqlite::Connection::open(agent.dir.path().join("data/interlog.journal"))
        .expect("second connection");
    blocker
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");

    let raise = raise_example_at_log(&mut chat).await;
    // Unrecorded, so neither delivered nor acknowledged: no answer while the lock is held...
    let early = chat
        .client
        .response(&raise, "raiseIntentResponse", Duration::from_secs(7))
        .await;
    assert!(early.is_err(), "answered before it was recorded: {early:?}");
    let problem = ledger.health().borrow().clone();
    assert!(
        problem.as_deref().is_some_and(|p| p.contains("locked")),
        "the ledger says why it is holding writes: {problem:?}"
    );

    // ...and, once the lock is released, the very same raise goes through, recorded.
    blocker.execute_batch("ROLLBACK").expect("release the lock");
    let tr = &result_from_log(&mut chat, &raise).await;
    assert_eq!(tr["status"], "Created", "{tr}");
    let id = tr["context"]["id"]["URI"].as_str().expect("record id");
    assert!(ledger.interaction(id).expect("read").is_some());
    assert_eq!(*ledger.health().borrow(), None);
}

/// Raises the FDC3 example at the built-in log; returns the request's id.
async fn raise_example_at_log(app: &mut App) -> String {
    app.request(
        "raiseIntentRequest",
        json!({ "intent": "CreateInteraction", "context": example_context(),
            "app": { "appId": "interlog.log" } }),
    )
    .await
}

/// The raise's resolution (which must name the built-in log) and then its result context.
async fn result_from_log(app: &mut App, raise: &str) -> serde_json::Value {
    let resolution = app.response(raise, "raiseIntentResponse").await;
    assert_eq!(
        resolution["payload"]["intentResolution"]["source"]["appId"],
        "interlog.log"
    );
    let result = app.response(raise, "raiseIntentResultResponse").await;
    result["payload"]["intentResult"]["context"].clone()
}
