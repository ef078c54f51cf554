//! User, app and private channels: membership, broadcasts, current context, private-channel
//! events.

use serde_json::json;

use super::*;

fn join(s: &mut Scenario, conn: ConnId, channel_id: &str) {
    let req = s.request(
        conn,
        "joinUserChannelRequest",
        json!({ "channelId": channel_id }),
    );
    check(
        &s.take(),
        &[
            msg(conn, "channelChangedEvent").at("/payload/newChannelId", channel_id),
            msg(conn, "joinUserChannelResponse").answers(&req),
        ],
    );
}

/// `addContextListener` on the current user channel (`channel_id` None) or a named channel.
fn add_listener(
    s: &mut Scenario,
    conn: ConnId,
    channel_id: Option<&str>,
    context_type: Option<&str>,
) -> String {
    let req = s.request(
        conn,
        "addContextListenerRequest",
        json!({"channelId": channel_id, "contextType": context_type}),
    );
    let m = one(&s.take(), conn, "addContextListenerResponse");
    assert_eq!(m["meta"]["requestUuid"], req.as_str());
    m["payload"]["listenerUUID"]
        .as_str()
        .expect("listenerUUID")
        .to_owned()
}

fn broadcast(s: &mut Scenario, conn: ConnId, channel_id: &str, context: Value) -> Vec<Effect> {
    s.request(
        conn,
        "broadcastRequest",
        json!({"channelId": channel_id, "context": context}),
    );
    s.take()
}

fn current_context(
    s: &mut Scenario,
    conn: ConnId,
    channel_id: &str,
    context_type: Option<&str>,
) -> Value {
    let req = s.request(
        conn,
        "getCurrentContextRequest",
        json!({"channelId": channel_id, "contextType": context_type}),
    );
    let m = one(&s.take(), conn, "getCurrentContextResponse");
    assert_eq!(m["meta"]["requestUuid"], req.as_str());
    assert!(m["payload"].get("error").is_none(), "{m}");
    m["payload"]["context"].clone()
}

fn user_channel(n: usize) -> Value {
    let colors = [
        "red", "orange", "yellow", "green", "cyan", "blue", "magenta", "purple",
    ];
    json!({
        "id": format!("fdc3.channel.{n}"),
        "type": "user",
        "displayMetadata": {"name": format!("Channel {n}"), "color": colors[n - 1], "glyph": n.to_string()},
    })
}

#[test]
fn the_eight_recommended_user_channels() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let req = s.request(a, "getUserChannelsRequest", json!({}));
    let all: Vec<Value> = (1..=8).map(user_channel).collect();
    check(
        &s.take(),
        &[msg(a, "getUserChannelsResponse")
            .answers(&req)
            .at("/payload/userChannels", json!(all))],
    );
    // A new instance is on no channel.
    let req = s.request(a, "getCurrentChannelRequest", json!({}));
    check(
        &s.take(),
        &[msg(a, "getCurrentChannelResponse")
            .answers(&req)
            .at("/payload/channel", json!(null))],
    );
}

#[test]
fn join_tells_the_instance_before_answering() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let req = s.request(
        a,
        "joinUserChannelRequest",
        json!({"channelId": "fdc3.channel.3"}),
    );
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        [
            "send 1 channelChangedEvent",
            "send 1 joinUserChannelResponse"
        ]
    );
    check(
        &fx,
        &[
            msg(a, "channelChangedEvent").at("/payload", json!({"newChannelId": "fdc3.channel.3"})),
            msg(a, "joinUserChannelResponse")
                .answers(&req)
                .at("/payload", json!({})),
        ],
    );
    assert_eq!(
        s.agent.instances()[0].user_channel.as_deref(),
        Some("fdc3.channel.3")
    );
    let req = s.request(a, "getCurrentChannelRequest", json!({}));
    check(
        &s.take(),
        &[msg(a, "getCurrentChannelResponse")
            .answers(&req)
            .at("/payload/channel", user_channel(3))],
    );
}

#[test]
fn join_of_anything_but_a_user_channel_is_no_channel_found() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    join(&mut s, a, "fdc3.channel.1");
    s.request(
        a,
        "getOrCreateChannelRequest",
        json!({"channelId": "acme.orders"}),
    );
    s.request(a, "createPrivateChannelRequest", json!({}));
    let private_id = one(&s.take(), a, "createPrivateChannelResponse")["payload"]["privateChannel"]
        ["id"]
        .clone();
    for id in [json!("fdc3.channel.9"), json!("acme.orders"), private_id] {
        let req = s.request(a, "joinUserChannelRequest", json!({ "channelId": id }));
        let fx = s.take();
        assert_eq!(outline(&fx), ["send 1 joinUserChannelResponse"], "{id}");
        check(
            &fx,
            &[msg(a, "joinUserChannelResponse")
                .answers(&req)
                .error("NoChannelFound")],
        );
    }
    let req = s.request(a, "joinUserChannelRequest", json!({}));
    check(
        &s.take(),
        &[msg(a, "joinUserChannelResponse")
            .answers(&req)
            .error("MalformedMessage")],
    );
    assert_eq!(
        s.agent.instances()[0].user_channel.as_deref(),
        Some("fdc3.channel.1")
    );
}

#[test]
fn broadcast_reaches_each_other_listening_instance_once() {
    let mut s = Scenario::new();
    let (a, a_id) = s.connect(CHAT_URL);
    let (b, b_id) = s.connect(CRM_URL);
    let (c, _) = s.connect(VIEWER_URL);
    let (d, _) = s.connect(DYN_URL);
    for conn in [a, b, c] {
        join(&mut s, conn, "fdc3.channel.1");
    }
    join(&mut s, d, "fdc3.channel.2");
    add_listener(&mut s, a, None, None);
    add_listener(&mut s, b, None, None);
    add_listener(&mut s, b, None, Some("fdc3.instrument"));
    add_listener(&mut s, c, None, Some("fdc3.contact"));
    add_listener(&mut s, d, None, None);

    let req = s.request(
        a,
        "broadcastRequest",
        json!({"channelId": "fdc3.channel.1", "context": instrument("AAPL")}),
    );
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        ["send 1 broadcastResponse", "send 2 broadcastEvent"]
    );
    check(
        &fx,
        &[
            msg(a, "broadcastResponse")
                .answers(&req)
                .at("/payload", json!({})),
            msg(b, "broadcastEvent").at(
                "/payload",
                json!({
                    "channelId": "fdc3.channel.1",
                    "context": instrument("AAPL"),
                    "originatingApp": {"appId": "chat", "instanceId": a_id},
                }),
            ),
        ],
    );

    let fx = broadcast(&mut s, a, "fdc3.channel.1", contact());
    assert_eq!(
        outline(&fx),
        [
            "send 1 broadcastResponse",
            "send 2 broadcastEvent",
            "send 3 broadcastEvent"
        ]
    );
    check(
        &fx,
        &[
            msg(a, "broadcastResponse"),
            msg(b, "broadcastEvent").at("/payload/context", contact()),
            msg(c, "broadcastEvent").at("/payload/context", contact()),
        ],
    );

    let fx = broadcast(&mut s, b, "fdc3.channel.1", instrument("MSFT"));
    check(
        &fx,
        &[
            msg(b, "broadcastResponse"),
            msg(a, "broadcastEvent").at(
                "/payload/originatingApp",
                json!({"appId": "crm", "instanceId": b_id}),
            ),
        ],
    );
}

/// A broadcast context is carried as it is: only a context without a type is malformed. (The
/// FDC3 conformance apps broadcast an `fdc3.instrument` without the `id` its schema requires.)
#[test]
fn broadcast_relays_contexts_that_are_not_complete_for_their_type() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let (b, _) = s.connect(CRM_URL);
    join(&mut s, a, "fdc3.channel.1");
    join(&mut s, b, "fdc3.channel.1");
    s.request(
        a,
        "addContextListenerRequest",
        json!({"channelId": null, "contextType": null}),
    );
    let partial = json!({"type": "fdc3.instrument", "name": "History-item-1"});
    s.request(
        b,
        "broadcastRequest",
        json!({"channelId": "fdc3.channel.1", "context": partial}),
    );
    check(
        &s.take(),
        &[
            msg(b, "broadcastResponse"),
            msg(a, "broadcastEvent").at("/payload/context", partial.clone()),
        ],
    );
}

#[test]
fn broadcast_errors() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    join(&mut s, a, "fdc3.channel.1");
    let cases = [
        (
            json!({"channelId": "fdc3.channel.1", "context": {"type": 5}}),
            "MalformedContext",
        ),
        (
            json!({"channelId": "fdc3.channel.1", "context": {"id": 1}}),
            "MalformedContext",
        ),
        (
            json!({"channelId": "nope", "context": instrument("AAPL")}),
            "NoChannelFound",
        ),
        (json!({"context": instrument("AAPL")}), "MalformedMessage"),
        (json!({"channelId": "fdc3.channel.1"}), "MalformedMessage"),
    ];
    for (payload, error) in cases {
        let req = s.request(a, "broadcastRequest", payload);
        check(
            &s.take(),
            &[msg(a, "broadcastResponse").answers(&req).error(error)],
        );
    }
    // Nothing malformed was stored.
    assert_eq!(
        current_context(&mut s, a, "fdc3.channel.1", None),
        json!(null)
    );
}

#[test]
fn current_context_is_the_last_one_or_the_last_of_a_type() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let (b, _) = s.connect(CRM_URL);
    assert_eq!(
        current_context(&mut s, b, "fdc3.channel.1", None),
        json!(null)
    );
    broadcast(&mut s, a, "fdc3.channel.1", instrument("AAPL"));
    broadcast(&mut s, a, "fdc3.channel.1", contact());
    broadcast(&mut s, a, "fdc3.channel.1", instrument("MSFT"));
    assert_eq!(
        current_context(&mut s, b, "fdc3.channel.1", None),
        instrument("MSFT")
    );
    assert_eq!(
        current_context(&mut s, b, "fdc3.channel.1", Some("fdc3.instrument")),
        instrument("MSFT")
    );
    assert_eq!(
        current_context(&mut s, b, "fdc3.channel.1", Some("fdc3.contact")),
        contact()
    );
    assert_eq!(
        current_context(&mut s, b, "fdc3.channel.1", Some("fdc3.country")),
        json!(null)
    );
    broadcast(&mut s, a, "fdc3.channel.1", contact());
    assert_eq!(
        current_context(&mut s, b, "fdc3.channel.1", None),
        contact()
    );
    // Channels keep their own contexts.
    assert_eq!(
        current_context(&mut s, b, "fdc3.channel.2", None),
        json!(null)
    );
    let req = s.request(b, "getCurrentContextRequest", json!({"channelId": "nope"}));
    check(
        &s.take(),
        &[msg(b, "getCurrentContextResponse")
            .answers(&req)
            .error("NoChannelFound")],
    );
}

#[test]
fn leave_tells_the_instance_and_stops_its_channel_listeners() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let (b, _) = s.connect(CRM_URL);
    join(&mut s, a, "fdc3.channel.1");
    join(&mut s, b, "fdc3.channel.1");
    add_listener(&mut s, b, None, None);
    let req = s.request(b, "leaveCurrentChannelRequest", json!({}));
    let fx = s.take();
    assert_eq!(
        outline(&fx),
        [
            "send 2 channelChangedEvent",
            "send 2 leaveCurrentChannelResponse"
        ]
    );
    check(
        &fx,
        &[
            msg(b, "channelChangedEvent").at("/payload", json!({"newChannelId": null})),
            msg(b, "leaveCurrentChannelResponse")
                .answers(&req)
                .at("/payload", json!({})),
        ],
    );
    assert_eq!(s.agent.instances()[1].user_channel, None);
    assert_eq!(
        outline(&broadcast(&mut s, a, "fdc3.channel.1", instrument("AAPL"))),
        ["send 1 broadcastResponse"]
    );
    // The same listener follows the instance to its next channel.
    join(&mut s, b, "fdc3.channel.2");
    join(&mut s, a, "fdc3.channel.2");
    assert_eq!(
        outline(&broadcast(&mut s, a, "fdc3.channel.2", instrument("AAPL"))),
        ["send 1 broadcastResponse", "send 2 broadcastEvent"]
    );
}

#[test]
fn unsubscribed_context_listener_no_longer_receives() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let (b, _) = s.connect(CRM_URL);
    join(&mut s, b, "fdc3.channel.1");
    let uuid = add_listener(&mut s, b, None, None);
    let req = s.request(
        b,
        "contextListenerUnsubscribeRequest",
        json!({"listenerUUID": uuid}),
    );
    check(
        &s.take(),
        &[msg(b, "contextListenerUnsubscribeResponse")
            .answers(&req)
            .at("/payload", json!({}))],
    );
    assert_eq!(
        outline(&broadcast(&mut s, a, "fdc3.channel.1", instrument("AAPL"))),
        ["send 1 broadcastResponse"]
    );
    let req = s.request(
        b,
        "contextListenerUnsubscribeRequest",
        json!({"listenerUUID": uuid}),
    );
    check(
        &s.take(),
        &[msg(b, "contextListenerUnsubscribeResponse")
            .answers(&req)
            .error("MalformedMessage")],
    );
}

#[test]
fn app_channels() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let (b, _) = s.connect(CRM_URL);
    let (c, _) = s.connect(VIEWER_URL);
    for conn in [a, b] {
        let req = s.request(
            conn,
            "getOrCreateChannelRequest",
            json!({"channelId": "acme.orders"}),
        );
        check(
            &s.take(),
            &[msg(conn, "getOrCreateChannelResponse").answers(&req).at(
                "/payload/channel",
                json!({"id": "acme.orders", "type": "app"}),
            )],
        );
    }
    add_listener(&mut s, b, Some("acme.orders"), None);
    // c listens on its user channel only: app-channel broadcasts are not for it.
    join(&mut s, c, "fdc3.channel.1");
    add_listener(&mut s, c, None, None);
    let fx = broadcast(&mut s, a, "acme.orders", instrument("AAPL"));
    check(
        &fx,
        &[
            msg(a, "broadcastResponse").at("/payload", json!({})),
            msg(b, "broadcastEvent")
                .at("/payload/channelId", "acme.orders")
                .at("/payload/context", instrument("AAPL")),
        ],
    );
    assert_eq!(
        current_context(&mut s, c, "acme.orders", None),
        instrument("AAPL")
    );
    assert_eq!(
        current_context(&mut s, c, "fdc3.channel.1", None),
        json!(null)
    );
    // A user channel's id cannot be had as an app channel.
    let req = s.request(
        a,
        "getOrCreateChannelRequest",
        json!({"channelId": "fdc3.channel.1"}),
    );
    check(
        &s.take(),
        &[msg(a, "getOrCreateChannelResponse")
            .answers(&req)
            .error("AccessDenied")],
    );
    let req = s.request(a, "getOrCreateChannelRequest", json!({"channelId": ""}));
    check(
        &s.take(),
        &[msg(a, "getOrCreateChannelResponse")
            .answers(&req)
            .error("MalformedMessage")],
    );
    let req = s.request(
        a,
        "addContextListenerRequest",
        json!({"channelId": "nope", "contextType": null}),
    );
    check(
        &s.take(),
        &[msg(a, "addContextListenerResponse")
            .answers(&req)
            .error("NoChannelFound")],
    );
}

#[test]
fn private_channels_are_for_their_parties_only() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let (c, _) = s.connect(VIEWER_URL);
    let req = s.request(a, "createPrivateChannelRequest", json!({}));
    let m = one(&s.take(), a, "createPrivateChannelResponse");
    assert_eq!(m["meta"]["requestUuid"], req.as_str());
    let id = m["payload"]["privateChannel"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("private."), "{id}");
    assert_eq!(
        m["payload"]["privateChannel"],
        json!({"id": id, "type": "private"})
    );

    let denied = [
        (
            "broadcastRequest",
            json!({"channelId": id, "context": instrument("AAPL")}),
        ),
        (
            "addContextListenerRequest",
            json!({"channelId": id, "contextType": null}),
        ),
        ("getCurrentContextRequest", json!({"channelId": id})),
        ("getOrCreateChannelRequest", json!({"channelId": id})),
        (
            "privateChannelAddEventListenerRequest",
            json!({"privateChannelId": id, "listenerType": null}),
        ),
        ("privateChannelDisconnectRequest", json!({"channelId": id})),
    ];
    for (kind, payload) in denied {
        let req = s.request(c, kind, payload);
        let response = kind.replace("Request", "Response");
        check(
            &s.take(),
            &[msg(c, &response).answers(&req).error("AccessDenied")],
        );
    }
    // Its creator may use it.
    assert_eq!(
        outline(&broadcast(&mut s, a, &id, instrument("AAPL"))),
        ["send 1 broadcastResponse"]
    );
    assert_eq!(current_context(&mut s, a, &id, None), instrument("AAPL"));
    // The creator asking for its id as an app channel is refused too.
    let req = s.request(a, "getOrCreateChannelRequest", json!({"channelId": id}));
    check(
        &s.take(),
        &[msg(a, "getOrCreateChannelResponse")
            .answers(&req)
            .error("AccessDenied")],
    );
}

/// crm (the handler) creates a private channel and returns it to chat (the raiser), so both
/// are parties. Returns the channel id.
fn shared_private_channel(t: &mut ChatAndCrm) -> String {
    let (req, event) = t.delivered();
    t.s.request(t.crm, "createPrivateChannelRequest", json!({}));
    let channel = one(&t.s.take(), t.crm, "createPrivateChannelResponse")["payload"]
        ["privateChannel"]
        .clone();
    let fx = t.s.answer(t.crm, &event, json!({ "channel": channel }));
    check(
        &fx,
        &[
            msg(t.chat, "raiseIntentResultResponse").answers(&req),
            msg(t.crm, "intentResultResponse"),
        ],
    );
    channel["id"].as_str().unwrap().to_owned()
}

fn add_pc_listener(s: &mut Scenario, conn: ConnId, channel_id: &str, listener_type: Option<&str>) {
    let req = s.request(
        conn,
        "privateChannelAddEventListenerRequest",
        json!({"privateChannelId": channel_id, "listenerType": listener_type}),
    );
    let m = one(&s.take(), conn, "privateChannelAddEventListenerResponse");
    assert_eq!(m["meta"]["requestUuid"], req.as_str());
    assert!(m["payload"]["listenerUUID"].is_string(), "{m}");
}

#[test]
fn private_channel_events_go_to_the_other_party() {
    let mut t = ChatAndCrm::new();
    let id = shared_private_channel(&mut t);
    add_pc_listener(&mut t.s, t.chat, &id, None);
    add_pc_listener(&mut t.s, t.crm, &id, None);
    let req = t.s.request(
        t.crm,
        "addContextListenerRequest",
        json!({"channelId": id, "contextType": "fdc3.instrument"}),
    );
    let fx = t.s.take();
    assert_eq!(
        outline(&fx),
        [
            "send 2 addContextListenerResponse",
            "send 1 privateChannelOnAddContextListenerEvent"
        ]
    );
    check(
        &fx,
        &[
            msg(t.crm, "addContextListenerResponse").answers(&req),
            msg(t.chat, "privateChannelOnAddContextListenerEvent").at(
                "/payload",
                json!({"privateChannelId": id, "contextType": "fdc3.instrument"}),
            ),
        ],
    );
    // Broadcasts between the parties, never back to the sender.
    let fx = broadcast(&mut t.s, t.chat, &id, instrument("AAPL"));
    assert_eq!(
        outline(&fx),
        ["send 1 broadcastResponse", "send 2 broadcastEvent"]
    );
    let fx = broadcast(&mut t.s, t.chat, &id, contact());
    assert_eq!(
        outline(&fx),
        ["send 1 broadcastResponse"],
        "crm listens for instruments only"
    );
    let req = t.s.request(
        t.chat,
        "privateChannelAddEventListenerRequest",
        json!({"privateChannelId": id, "listenerType": "bogus"}),
    );
    check(
        &t.s.take(),
        &[msg(t.chat, "privateChannelAddEventListenerResponse")
            .answers(&req)
            .error("MalformedMessage")],
    );
}

#[test]
fn a_party_that_closes_unsubscribes_each_listener_then_disconnects() {
    let mut t = ChatAndCrm::new();
    let id = shared_private_channel(&mut t);
    add_pc_listener(&mut t.s, t.chat, &id, None);
    add_listener(&mut t.s, t.crm, Some(&id), Some("fdc3.instrument"));
    add_listener(&mut t.s, t.crm, Some(&id), None);
    // A listener on another channel is not reported.
    add_listener(&mut t.s, t.crm, None, None);
    let fx = t.s.close(t.crm);
    assert_eq!(
        outline(&fx),
        [
            "send 1 privateChannelOnUnsubscribeEvent",
            "send 1 privateChannelOnUnsubscribeEvent",
            "send 1 privateChannelOnDisconnectEvent"
        ]
    );
    check(
        &fx,
        &[
            msg(t.chat, "privateChannelOnUnsubscribeEvent").at(
                "/payload",
                json!({"privateChannelId": id, "contextType": "fdc3.instrument"}),
            ),
            msg(t.chat, "privateChannelOnUnsubscribeEvent").at(
                "/payload",
                json!({"privateChannelId": id, "contextType": null}),
            ),
            msg(t.chat, "privateChannelOnDisconnectEvent")
                .at("/payload", json!({"privateChannelId": id})),
        ],
    );
}

#[test]
fn typed_private_channel_listeners_get_only_their_events() {
    let mut t = ChatAndCrm::new();
    let id = shared_private_channel(&mut t);
    add_pc_listener(&mut t.s, t.crm, &id, Some("disconnect"));
    // chat's context listener is not an event crm asked for.
    add_listener(&mut t.s, t.chat, Some(&id), Some("fdc3.instrument"));
    let req = t.s.request(
        t.chat,
        "privateChannelDisconnectRequest",
        json!({"channelId": id}),
    );
    let fx = t.s.take();
    assert_eq!(
        outline(&fx),
        [
            "send 1 privateChannelDisconnectResponse",
            "send 2 privateChannelOnDisconnectEvent"
        ]
    );
    check(
        &fx,
        &[
            msg(t.chat, "privateChannelDisconnectResponse")
                .answers(&req)
                .at("/payload", json!({})),
            msg(t.crm, "privateChannelOnDisconnectEvent")
                .at("/payload", json!({"privateChannelId": id})),
        ],
    );
    // chat left the channel.
    let req = t.s.request(
        t.chat,
        "broadcastRequest",
        json!({"channelId": id, "context": instrument("AAPL")}),
    );
    check(
        &t.s.take(),
        &[msg(t.chat, "broadcastResponse")
            .answers(&req)
            .error("AccessDenied")],
    );
}

#[test]
fn user_channel_changed_event_listeners() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    for payload in [
        json!({"type": "USER_CHANNEL_CHANGED"}),
        json!({"type": null}),
    ] {
        let req = s.request(a, "addEventListenerRequest", payload);
        let m = one(&s.take(), a, "addEventListenerResponse");
        assert_eq!(m["meta"]["requestUuid"], req.as_str());
        assert!(m["payload"]["listenerUUID"].is_string(), "{m}");
    }
    let req = s.request(a, "addEventListenerRequest", json!({"type": "bogus"}));
    check(
        &s.take(),
        &[msg(a, "addEventListenerResponse")
            .answers(&req)
            .error("MalformedMessage")],
    );
    let req = s.request(a, "addEventListenerRequest", json!({}));
    let uuid = one(&s.take(), a, "addEventListenerResponse")["payload"]["listenerUUID"].clone();
    assert!(uuid.is_string(), "{req}");
    let req = s.request(
        a,
        "eventListenerUnsubscribeRequest",
        json!({"listenerUUID": uuid}),
    );
    check(
        &s.take(),
        &[msg(a, "eventListenerUnsubscribeResponse")
            .answers(&req)
            .at("/payload", json!({}))],
    );
    let req = s.request(
        a,
        "eventListenerUnsubscribeRequest",
        json!({"listenerUUID": uuid}),
    );
    check(
        &s.take(),
        &[msg(a, "eventListenerUnsubscribeResponse")
            .answers(&req)
            .error("MalformedMessage")],
    );
    // The channel change is told whether or not anyone listens.
    join(&mut s, a, "fdc3.channel.5");
}

/// The official 2.2.0 client sends `fdc3.addContextListener` with the current channel's id
/// instead of null; that listener must still follow the app to its next channel.
#[test]
fn a_listener_registered_with_the_current_channel_id_follows_the_app() {
    let mut s = Scenario::new();
    let (a, _) = s.connect(CHAT_URL);
    let (b, _) = s.connect(CRM_URL);
    join(&mut s, b, "fdc3.channel.1");
    add_listener(&mut s, b, Some("fdc3.channel.1"), None);
    // A listener on another user channel than the current one stays where it was put.
    add_listener(&mut s, b, Some("fdc3.channel.3"), Some("fdc3.contact"));
    join(&mut s, b, "fdc3.channel.2");
    join(&mut s, a, "fdc3.channel.2");
    assert_eq!(
        outline(&broadcast(&mut s, a, "fdc3.channel.2", instrument("AAPL"))),
        ["send 1 broadcastResponse", "send 2 broadcastEvent"]
    );
    assert_eq!(
        outline(&broadcast(&mut s, a, "fdc3.channel.1", instrument("AAPL"))),
        ["send 1 broadcastResponse"],
        "the old channel is no longer heard"
    );
    assert_eq!(
        outline(&broadcast(&mut s, a, "fdc3.channel.3", contact())),
        ["send 1 broadcastResponse", "send 2 broadcastEvent"]
    );
}

/// A handler may hand on only a private channel it is a party to: returning the id of someone
/// else's would add the raiser to a conversation neither is part of.
#[test]
fn a_handler_cannot_hand_on_a_private_channel_it_is_not_party_to() {
    let mut t = ChatAndCrm::new();
    // A third app's private channel.
    let (viewer, viewer_id) = t.s.connect(VIEWER_URL);
    t.s.request(viewer, "createPrivateChannelRequest", json!({}));
    let foreign = one(&t.s.take(), viewer, "createPrivateChannelResponse")["payload"]
        ["privateChannel"]
        .clone();
    let (req, event) = t.delivered();
    let fx = t.s.answer(t.crm, &event, json!({ "channel": foreign }));
    check(
        &fx,
        &[
            msg(t.crm, "intentResultResponse").error("AccessDenied"),
            msg(t.chat, "raiseIntentResultResponse")
                .answers(&req)
                .error("IntentHandlerRejected"),
        ],
    );
    assert!(records(&fx)
        .iter()
        .any(|r| matches!(r, LedgerEvent::Completed { outcome: ResultOutcome::Error(e), .. } if e == "IntentHandlerRejected")));
    // The raiser is no party: it cannot listen on the channel.
    let id = foreign["id"].as_str().unwrap();
    let listen = t.s.request(
        t.chat,
        "addContextListenerRequest",
        json!({"channelId": id, "contextType": null}),
    );
    check(
        &t.s.take(),
        &[msg(t.chat, "addContextListenerResponse")
            .answers(&listen)
            .error("AccessDenied")],
    );
    // The owner still can.
    t.s.request(
        viewer,
        "addContextListenerRequest",
        json!({"channelId": id, "contextType": null}),
    );
    let ok = one(&t.s.take(), viewer, "addContextListenerResponse");
    assert!(
        ok["payload"]["listenerUUID"].is_string(),
        "{ok} ({viewer_id})"
    );
}

/// A channel result must name a channel that exists; a context result must be valid as a
/// raised context would have to be.
#[test]
fn results_are_checked_like_raised_contexts() {
    let mut t = ChatAndCrm::new();
    let (req, event) = t.delivered();
    let fx = t.s.answer(
        t.crm,
        &event,
        json!({ "channel": {"id": "no-such", "type": "app"} }),
    );
    check(
        &fx,
        &[
            msg(t.crm, "intentResultResponse").error("NoChannelFound"),
            msg(t.chat, "raiseIntentResultResponse")
                .answers(&req)
                .error("IntentHandlerRejected"),
        ],
    );
    let mut t = ChatAndCrm::new();
    let (req, event) = t.delivered();
    // fdc3.transactionResult needs its status.
    let fx = t.s.answer(
        t.crm,
        &event,
        json!({ "context": {"type": "fdc3.transactionResult", "message": "no status"} }),
    );
    check(
        &fx,
        &[
            msg(t.crm, "intentResultResponse").error("MalformedContext"),
            msg(t.chat, "raiseIntentResultResponse")
                .answers(&req)
                .error("IntentHandlerRejected"),
        ],
    );
    // A context without a type at all.
    let mut t = ChatAndCrm::new();
    let (req, event) = t.delivered();
    let fx =
        t.s.answer(t.crm, &event, json!({ "context": {"name": "untyped"} }));
    check(
        &fx,
        &[
            msg(t.crm, "intentResultResponse").error("MalformedContext"),
            msg(t.chat, "raiseIntentResultResponse")
                .answers(&req)
                .error("IntentHandlerRejected"),
        ],
    );
}
