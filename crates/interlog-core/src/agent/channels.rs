//! User, app and private channels: membership, context listeners, broadcasts, the current
//! context, and the events apps subscribe to.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::state::{ContextListener, Instance, State};
use super::{ConnId, Parts, Request, Step};
use crate::context_schema::validate_relayed_context;
use crate::errors::Fdc3Error;
use crate::message::{app_identifier, object, opt_str};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    User,
    App,
    Private,
}

impl ChannelKind {
    fn wire(self) -> &'static str {
        match self {
            ChannelKind::User => "user",
            ChannelKind::App => "app",
            ChannelKind::Private => "private",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub kind: ChannelKind,
    pub display: Option<Value>,
    /// The latest context of each type, the most recent last.
    pub contexts: Vec<Value>,
    /// Private channels: the instances allowed on it (creator first).
    pub parties: Vec<String>,
}

impl Channel {
    fn wire(&self) -> Value {
        let mut v = json!({ "id": self.id, "type": self.kind.wire() });
        if let Some(d) = &self.display {
            v["displayMetadata"] = d.clone();
        }
        v
    }

    fn store(&mut self, context: &Value) {
        let t = context.get("type").and_then(Value::as_str);
        self.contexts
            .retain(|c| c.get("type").and_then(Value::as_str) != t);
        self.contexts.push(context.clone());
    }

    fn allows(&self, instance_id: &str) -> bool {
        self.kind != ChannelKind::Private || self.parties.iter().any(|p| p == instance_id)
    }
}

/// The events a private channel's other party can subscribe to.
#[derive(Debug, Clone, Copy)]
enum PcEvent {
    AddContextListener,
    Unsubscribe,
    Disconnect,
}

impl PcEvent {
    /// The `listenerType` that subscribes to it.
    fn listener_type(self) -> &'static str {
        match self {
            PcEvent::AddContextListener => "addContextListener",
            PcEvent::Unsubscribe => "unsubscribe",
            PcEvent::Disconnect => "disconnect",
        }
    }
    /// The wire message type.
    fn kind(self) -> &'static str {
        match self {
            PcEvent::AddContextListener => "privateChannelOnAddContextListenerEvent",
            PcEvent::Unsubscribe => "privateChannelOnUnsubscribeEvent",
            PcEvent::Disconnect => "privateChannelOnDisconnectEvent",
        }
    }
}

/// A listener for a private channel's events.
#[derive(Debug, Clone)]
pub struct PrivateChannelListener {
    pub uuid: String,
    pub instance_id: String,
    pub channel_id: String,
    /// `addContextListener`, `unsubscribe`, `disconnect`, or `None` for all.
    pub listener_type: Option<String>,
}

#[derive(Debug)]
pub struct Channels {
    by_id: HashMap<String, Channel>,
    user_order: Vec<String>,
    pc_listeners: Vec<PrivateChannelListener>,
}

/// The FDC3 recommended user channel set.
const USER_CHANNELS: [(&str, &str); 8] = [
    ("red", "1"),
    ("orange", "2"),
    ("yellow", "3"),
    ("green", "4"),
    ("cyan", "5"),
    ("blue", "6"),
    ("magenta", "7"),
    ("purple", "8"),
];

impl Channels {
    pub fn new() -> Channels {
        let mut by_id = HashMap::new();
        let mut user_order = Vec::new();
        for (color, n) in USER_CHANNELS {
            let id = format!("fdc3.channel.{n}");
            by_id.insert(
                id.clone(),
                Channel {
                    id: id.clone(),
                    kind: ChannelKind::User,
                    display: Some(
                        json!({ "name": format!("Channel {n}"), "color": color, "glyph": n }),
                    ),
                    contexts: Vec::new(),
                    parties: Vec::new(),
                },
            );
            user_order.push(id);
        }
        Channels {
            by_id,
            user_order,
            pc_listeners: Vec::new(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Channel> {
        self.by_id.get(id)
    }

    fn user_channel(&self, id: &str) -> Option<&Channel> {
        self.by_id.get(id).filter(|c| c.kind == ChannelKind::User)
    }

    /// Makes `instance_id` the second party of a private channel it received as an intent
    /// result, so it may use the channel.
    pub fn admit_to_private(&mut self, channel_id: &str, instance_id: &str) {
        if let Some(c) = self.by_id.get_mut(channel_id) {
            if c.kind == ChannelKind::Private && !c.parties.iter().any(|p| p == instance_id) {
                c.parties.push(instance_id.to_owned());
            }
        }
    }

    /// Private-channel event to the *other* parties (never back to the cause): one message per
    /// instance with a matching listener, as the client fans it out to its own listeners.
    fn notify_private(
        &self,
        state: &State,
        channel_id: &str,
        from_instance: &str,
        event: PcEvent,
        payload: &Value,
        step: &mut Step,
    ) {
        let mut notified: Vec<&str> = Vec::new();
        for l in &self.pc_listeners {
            let wanted = l
                .listener_type
                .as_deref()
                .is_none_or(|t| t == event.listener_type());
            if l.channel_id != channel_id
                || l.instance_id == from_instance
                || !wanted
                || notified.contains(&l.instance_id.as_str())
            {
                continue;
            }
            if let Some(i) = state.get(&l.instance_id) {
                step.event(i.conn, event.kind(), payload.clone());
                notified.push(&l.instance_id);
            }
        }
    }

    /// Tells the private-channel peers of a departing instance, one unsubscribe event per
    /// context listener it had there, then a disconnect event; drops its event listeners.
    pub fn instance_ended(&mut self, instance: &Instance, state: &State, step: &mut Step) {
        let private: Vec<String> = self
            .by_id
            .values()
            .filter(|c| c.kind == ChannelKind::Private && c.parties.contains(&instance.instance_id))
            .map(|c| c.id.clone())
            .collect();
        for channel_id in private {
            self.disconnect_party(state, &channel_id, instance, step);
        }
        self.pc_listeners
            .retain(|l| l.instance_id != instance.instance_id);
    }

    fn disconnect_party(
        &mut self,
        state: &State,
        channel_id: &str,
        instance: &Instance,
        step: &mut Step,
    ) {
        for l in instance
            .context_listeners
            .iter()
            .filter(|l| l.channel_id.as_deref() == Some(channel_id))
        {
            let payload = json!({ "privateChannelId": channel_id, "contextType": l.context_type });
            self.notify_private(
                state,
                channel_id,
                &instance.instance_id,
                PcEvent::Unsubscribe,
                &payload,
                step,
            );
        }
        let payload = json!({ "privateChannelId": channel_id });
        self.notify_private(
            state,
            channel_id,
            &instance.instance_id,
            PcEvent::Disconnect,
            &payload,
            step,
        );
        if let Some(c) = self.by_id.get_mut(channel_id) {
            c.parties.retain(|p| *p != instance.instance_id);
        }
    }
}

/// Does a listener want a context of `context_type`?
fn type_matches(listener: &ContextListener, context_type: &str) -> bool {
    listener
        .context_type
        .as_deref()
        .is_none_or(|t| t == context_type)
}

impl Parts<'_> {
    pub(crate) fn get_user_channels(&mut self, r: &Request, step: &mut Step) {
        let list: Vec<Value> = self
            .channels
            .user_order
            .iter()
            .filter_map(|id| self.channels.get(id))
            .map(Channel::wire)
            .collect();
        r.reply(step, json!({ "userChannels": list }));
    }

    pub(crate) fn get_current_channel(&mut self, r: &Request, step: &mut Step) {
        let channel = self
            .state
            .get(&r.instance_id)
            .and_then(|i| i.user_channel.as_deref())
            .and_then(|id| self.channels.get(id))
            .map(Channel::wire)
            .unwrap_or(Value::Null);
        r.reply(step, json!({ "channel": channel }));
    }

    pub(crate) fn join_user_channel(&mut self, r: &Request, step: &mut Step) {
        let Some(channel_id) = opt_str(r.payload, "channelId") else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        if self.channels.user_channel(channel_id).is_none() {
            r.fail(step, Fdc3Error::NoChannelFound);
            return;
        }
        self.set_user_channel(&r.instance_id, Some(channel_id.to_owned()), step);
        r.reply(step, json!({}));
    }

    pub(crate) fn leave_current_channel(&mut self, r: &Request, step: &mut Step) {
        self.set_user_channel(&r.instance_id, None, step);
        r.reply(step, json!({}));
    }

    /// Changes an instance's user channel and always tells it (the official client keeps its
    /// cached channel from this event).
    pub(crate) fn set_user_channel(
        &mut self,
        instance_id: &str,
        channel: Option<String>,
        step: &mut Step,
    ) {
        let Some(i) = self.state.get_mut(instance_id) else {
            return;
        };
        i.user_channel = channel.clone();
        let conn = i.conn;
        step.event(
            conn,
            "channelChangedEvent",
            json!({ "newChannelId": channel }),
        );
    }

    pub(crate) fn get_or_create_channel(&mut self, r: &Request, step: &mut Step) {
        let Some(channel_id) = opt_str(r.payload, "channelId").filter(|s| !s.is_empty()) else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        let channel = self
            .channels
            .by_id
            .entry(channel_id.to_owned())
            .or_insert_with(|| Channel {
                id: channel_id.to_owned(),
                kind: ChannelKind::App,
                display: None,
                contexts: Vec::new(),
                parties: Vec::new(),
            });
        if channel.kind != ChannelKind::App {
            // A user or private channel's id cannot be had as an app channel.
            r.fail(step, Fdc3Error::AccessDenied);
            return;
        }
        let wire = channel.wire();
        r.reply(step, json!({ "channel": wire }));
    }

    pub(crate) fn create_private_channel(&mut self, r: &Request, step: &mut Step) {
        let id = format!("private.{}", step.ids.uuid());
        let channel = Channel {
            id: id.clone(),
            kind: ChannelKind::Private,
            display: None,
            contexts: Vec::new(),
            parties: vec![r.instance_id.clone()],
        };
        let wire = channel.wire();
        self.channels.by_id.insert(id, channel);
        r.reply(step, json!({ "privateChannel": wire }));
    }

    /// Checks that a named channel exists and the caller may use it.
    pub(crate) fn usable_channel(
        &self,
        channel_id: &str,
        instance_id: &str,
    ) -> Result<&Channel, Fdc3Error> {
        let channel = self
            .channels
            .get(channel_id)
            .ok_or(Fdc3Error::NoChannelFound)?;
        if channel.allows(instance_id) {
            Ok(channel)
        } else {
            Err(Fdc3Error::AccessDenied)
        }
    }

    /// Like `usable_channel`, for requests that only make sense on a private channel.
    fn usable_private_channel(&self, channel_id: &str, instance_id: &str) -> Result<(), Fdc3Error> {
        match self.usable_channel(channel_id, instance_id)?.kind {
            ChannelKind::Private => Ok(()),
            _ => Err(Fdc3Error::NoChannelFound),
        }
    }

    pub(crate) fn add_context_listener(&mut self, r: &Request, step: &mut Step) {
        let mut channel_id = opt_str(r.payload, "channelId").map(str::to_owned);
        let context_type = opt_str(r.payload, "contextType").map(str::to_owned);
        if let Some(id) = &channel_id {
            if let Err(e) = self.usable_channel(id, &r.instance_id) {
                r.fail(step, e);
                return;
            }
        }
        // The official 2.2.0 client registers `fdc3.addContextListener` with the id of the
        // app's current user channel rather than null, and re-points its own filter when the
        // app changes channel. Such a listener must follow the app's channel here too, or the
        // app would stop hearing broadcasts after switching channels.
        let current = self
            .state
            .get(&r.instance_id)
            .and_then(|i| i.user_channel.clone());
        if channel_id.is_some() && channel_id == current {
            channel_id = None;
        }
        let uuid = step.ids.uuid();
        let Some(i) = self.state.get_mut(&r.instance_id) else {
            return;
        };
        i.context_listeners.push(ContextListener {
            uuid: uuid.clone(),
            channel_id: channel_id.clone(),
            context_type: context_type.clone(),
        });
        r.reply(step, json!({ "listenerUUID": uuid }));
        self.on_listener_added(r.conn, step);
        if channel_id.is_none() {
            // An app started by `open` with a context gets it on its first matching listener.
            self.deliver_open_context(&r.instance_id, context_type.as_deref(), step);
        }
        if let Some(id) = channel_id {
            if self
                .channels
                .get(&id)
                .is_some_and(|c| c.kind == ChannelKind::Private)
            {
                let payload = json!({ "privateChannelId": id, "contextType": context_type });
                self.channels.notify_private(
                    self.state,
                    &id,
                    &r.instance_id,
                    PcEvent::AddContextListener,
                    &payload,
                    step,
                );
            }
        }
    }

    pub(crate) fn context_listener_unsubscribe(&mut self, r: &Request, step: &mut Step) {
        let uuid = opt_str(r.payload, "listenerUUID").unwrap_or_default();
        let Some(i) = self.state.get_mut(&r.instance_id) else {
            return;
        };
        let Some(pos) = i.context_listeners.iter().position(|l| l.uuid == uuid) else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        let removed = i.context_listeners.remove(pos);
        r.reply(step, json!({}));
        if let Some(id) = removed.channel_id {
            if self
                .channels
                .get(&id)
                .is_some_and(|c| c.kind == ChannelKind::Private)
            {
                let payload =
                    json!({ "privateChannelId": id, "contextType": removed.context_type });
                self.channels.notify_private(
                    self.state,
                    &id,
                    &r.instance_id,
                    PcEvent::Unsubscribe,
                    &payload,
                    step,
                );
            }
        }
    }

    pub(crate) fn broadcast(&mut self, r: &Request, step: &mut Step) {
        let (Some(channel_id), Some(context)) =
            (opt_str(r.payload, "channelId"), r.payload.get("context"))
        else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        if validate_relayed_context(context).is_err() {
            r.fail(step, Fdc3Error::MalformedContext);
            return;
        }
        if let Err(e) = self.usable_channel(channel_id, &r.instance_id) {
            r.fail(step, e);
            return;
        }
        let context_type = context
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(sender_app) = self.state.get(&r.instance_id).map(|i| i.app_id.clone()) else {
            return;
        };
        if let Some(c) = self.channels.by_id.get_mut(channel_id) {
            c.store(context);
        }
        // One event per receiving instance (its client fans out to its own listeners), never
        // one back to the sender.
        let receivers: Vec<ConnId> = self
            .state
            .all()
            .filter(|i| i.instance_id != r.instance_id)
            .filter(|i| {
                i.context_listeners.iter().any(|l| {
                    let on_channel = match &l.channel_id {
                        Some(id) => id == channel_id,
                        None => i.user_channel.as_deref() == Some(channel_id),
                    };
                    on_channel && type_matches(l, context_type)
                })
            })
            .map(|i| i.conn)
            .collect();
        r.reply(step, json!({}));
        let payload = object([
            ("channelId", Value::from(channel_id)),
            ("context", context.clone()),
            (
                "originatingApp",
                app_identifier(&sender_app, &r.instance_id),
            ),
        ]);
        // Each receiver's message owns its payload: a copy for all but the last, which takes it.
        if let Some((last, others)) = receivers.split_last() {
            for &conn in others {
                step.event(conn, "broadcastEvent", payload.clone());
            }
            step.event(*last, "broadcastEvent", payload);
        }
    }

    pub(crate) fn get_current_context(&mut self, r: &Request, step: &mut Step) {
        let Some(channel_id) = opt_str(r.payload, "channelId") else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        let channel = match self.usable_channel(channel_id, &r.instance_id) {
            Ok(c) => c,
            Err(e) => {
                r.fail(step, e);
                return;
            }
        };
        let context = match opt_str(r.payload, "contextType") {
            None => channel.contexts.last(),
            Some(t) => channel
                .contexts
                .iter()
                .rev()
                .find(|c| c.get("type").and_then(Value::as_str) == Some(t)),
        };
        let context = context.cloned().unwrap_or(Value::Null);
        r.reply(step, object([("context", context)]));
    }

    pub(crate) fn add_event_listener(&mut self, r: &Request, step: &mut Step) {
        let event_type = opt_str(r.payload, "type").map(str::to_owned);
        if event_type
            .as_deref()
            .is_some_and(|t| t != "USER_CHANNEL_CHANGED")
        {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        }
        let uuid = step.ids.uuid();
        if let Some(i) = self.state.get_mut(&r.instance_id) {
            i.event_listeners.push((uuid.clone(), event_type));
        }
        r.reply(step, json!({ "listenerUUID": uuid }));
    }

    pub(crate) fn event_listener_unsubscribe(&mut self, r: &Request, step: &mut Step) {
        let uuid = opt_str(r.payload, "listenerUUID").unwrap_or_default();
        let removed = self.state.get_mut(&r.instance_id).is_some_and(|i| {
            let before = i.event_listeners.len();
            i.event_listeners.retain(|(u, _)| u != uuid);
            before != i.event_listeners.len()
        });
        if removed {
            r.reply(step, json!({}));
        } else {
            r.fail(step, Fdc3Error::MalformedMessage);
        }
    }

    pub(crate) fn private_channel_add_event_listener(&mut self, r: &Request, step: &mut Step) {
        let Some(channel_id) = opt_str(r.payload, "privateChannelId") else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        let listener_type = opt_str(r.payload, "listenerType").map(str::to_owned);
        let known_type = listener_type
            .as_deref()
            .is_none_or(|t| matches!(t, "addContextListener" | "unsubscribe" | "disconnect"));
        if !known_type {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        }
        if let Err(e) = self.usable_private_channel(channel_id, &r.instance_id) {
            r.fail(step, e);
            return;
        }
        let uuid = step.ids.uuid();
        self.channels.pc_listeners.push(PrivateChannelListener {
            uuid: uuid.clone(),
            instance_id: r.instance_id.clone(),
            channel_id: channel_id.to_owned(),
            listener_type,
        });
        r.reply(step, json!({ "listenerUUID": uuid }));
    }

    pub(crate) fn private_channel_unsubscribe_event_listener(
        &mut self,
        r: &Request,
        step: &mut Step,
    ) {
        let uuid = opt_str(r.payload, "listenerUUID").unwrap_or_default();
        let before = self.channels.pc_listeners.len();
        self.channels
            .pc_listeners
            .retain(|l| !(l.uuid == uuid && l.instance_id == r.instance_id));
        if before != self.channels.pc_listeners.len() {
            r.reply(step, json!({}));
        } else {
            r.fail(step, Fdc3Error::MalformedMessage);
        }
    }

    pub(crate) fn private_channel_disconnect(&mut self, r: &Request, step: &mut Step) {
        let Some(channel_id) = opt_str(r.payload, "channelId") else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        if let Err(e) = self.usable_private_channel(channel_id, &r.instance_id) {
            r.fail(step, e);
            return;
        }
        r.reply(step, json!({}));
        let Some(instance) = self.state.get(&r.instance_id).cloned() else {
            return;
        };
        self.channels
            .disconnect_party(self.state, channel_id, &instance, step);
        self.channels
            .pc_listeners
            .retain(|l| !(l.instance_id == r.instance_id && l.channel_id == channel_id));
        if let Some(i) = self.state.get_mut(&r.instance_id) {
            i.context_listeners
                .retain(|l| l.channel_id.as_deref() != Some(channel_id));
        }
    }
}
