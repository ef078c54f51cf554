//! Heartbeats: who is pinged, who is marked not responding, who is ended.

use serde_json::json;

use super::*;

fn ack(s: &mut Scenario, conn: ConnId) {
    let fx = s.message(
        conn,
        json!({"type": "heartbeatAcknowledgementRequest", "payload": {"heartbeatEventUuid": "hb"},
               "meta": {"requestUuid": "ack", "timestamp": iso_time(s.now)}}),
    );
    assert_eq!(fx, [], "an acknowledgement has no answer");
}

fn not_responding(s: &Scenario) -> Vec<(String, bool)> {
    s.agent
        .instances()
        .into_iter()
        .map(|i| (i.app_id, i.not_responding))
        .collect()
}

#[test]
fn heartbeat_pings_every_instance_and_sets_the_next_timer() {
    let mut s = Scenario::new();
    assert_eq!(
        s.agent.start(T0),
        [Effect::SetTimer {
            at_ms: T0 + 5_000,
            timer: Timer::Heartbeat
        }]
    );
    let (a, _) = s.connect(CHAT_URL);
    let (b, _) = s.connect(CRM_URL);
    s.advance(5_000);
    let fx = s.timer(Timer::Heartbeat);
    assert_eq!(
        outline(&fx),
        [
            "send 1 heartbeatEvent",
            "send 2 heartbeatEvent",
            "timer Heartbeat"
        ]
    );
    check(
        &fx,
        &[
            msg(a, "heartbeatEvent")
                .at("/payload", json!({}))
                .at("/meta/timestamp", iso_time(T0 + 5_000)),
            msg(b, "heartbeatEvent").at("/payload", json!({})),
        ],
    );
    assert!(sent(&fx, a)[0]["meta"]["eventUuid"].is_string());
    assert_eq!(timers(&fx), [(T0 + 10_000, Timer::Heartbeat)]);
    ack(&mut s, a);
}

#[test]
fn a_silent_instance_is_marked_not_responding_until_it_speaks() {
    let mut s = Scenario::new();
    let config = s.config();
    let (a, _) = s.connect(CHAT_URL);
    let (b, _) = s.connect(CRM_URL);
    s.advance(config.not_responding_after_ms - 1_000);
    ack(&mut s, b);
    s.advance(999);
    s.timer(Timer::Heartbeat);
    assert_eq!(
        not_responding(&s),
        [("chat".to_owned(), false), ("crm".to_owned(), false)]
    );
    s.advance(1);
    let fx = s.timer(Timer::Heartbeat);
    // Not responding is still pinged.
    assert_eq!(
        outline(&fx),
        [
            "send 1 heartbeatEvent",
            "send 2 heartbeatEvent",
            "timer Heartbeat"
        ]
    );
    assert_eq!(
        not_responding(&s),
        [("chat".to_owned(), true), ("crm".to_owned(), false)]
    );
    ack(&mut s, a);
    assert_eq!(
        not_responding(&s),
        [("chat".to_owned(), false), ("crm".to_owned(), false)]
    );
    assert!(s.agent.is_identified(a));
}

#[test]
fn a_dead_handler_is_closed_and_its_result_fails_for_the_raiser() {
    let mut t = ChatAndCrm::new();
    let config = t.s.config();
    assert_eq!(
        (config.not_responding_after_ms, config.dead_after_ms),
        (15_000, 45_000)
    );
    let (req, _) = t.delivered();
    // crm was last heard at T0 (its listener); chat keeps answering.
    t.s.advance(30_000);
    ack(&mut t.s, t.chat);
    t.s.timer(Timer::Heartbeat);
    assert_eq!(
        not_responding(&t.s),
        [("chat".to_owned(), false), ("crm".to_owned(), true)]
    );
    t.s.advance(14_999);
    ack(&mut t.s, t.chat);
    let fx = t.s.timer(Timer::Heartbeat);
    assert_eq!(
        outline(&fx),
        [
            "send 1 heartbeatEvent",
            "send 2 heartbeatEvent",
            "timer Heartbeat"
        ]
    );
    t.s.advance(1);
    let fx = t.s.timer(Timer::Heartbeat);
    assert_eq!(
        outline(&fx),
        [
            "send 1 heartbeatEvent",
            "close 2 1001",
            "record Completed(Error NoResultReturned)",
            "send 1 raiseIntentResultResponse",
            "timer Heartbeat"
        ]
    );
    check(
        &fx,
        &[
            msg(t.chat, "heartbeatEvent"),
            msg(t.chat, "raiseIntentResultResponse")
                .answers(&req)
                .error("NoResultReturned"),
        ],
    );
    assert_eq!(not_responding(&t.s), [("chat".to_owned(), false)]);
    assert!(!t.s.agent.is_identified(t.crm));
}

#[test]
fn any_message_counts_as_a_sign_of_life() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    s.advance(44_000);
    s.request(a, "getInfoRequest", json!({}));
    s.advance(44_000);
    let fx = s.timer(Timer::Heartbeat);
    assert_eq!(outline(&fx), ["send 1 heartbeatEvent", "timer Heartbeat"]);
    assert_eq!(not_responding(&s), [("chat".to_owned(), true)]);
}
