//! Running instances, their listeners, and the identities kept for reconnects.

use std::collections::HashMap;

use serde::Serialize;

use super::ConnId;
use crate::message::Millis;

/// How a connection reaches the agent. It decides which identities the connection may take:
/// the built-in apps only in process, an app in an Interlog window only through that window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Transport {
    /// The app-connection WebSocket: any local process with the token. The default for a
    /// connection the runtime did not announce, being the least trusted.
    #[default]
    Socket,
    /// Interlog's own code in the agent's process (the built-in log, the history window).
    InProcess,
    /// A page in an Interlog window; the window, not the page, says which instance it is.
    Window,
}

#[derive(Debug, Clone)]
pub struct ContextListener {
    pub uuid: String,
    /// `None`: the instance's current user channel (whatever it is at broadcast time).
    pub channel_id: Option<String>,
    pub context_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub instance_id: String,
    pub app_id: String,
    /// The secret that lets this app reclaim its identity after a reconnect. Never sent to
    /// other apps.
    pub instance_uuid: String,
    pub conn: ConnId,
    pub transport: Transport,
    pub user_channel: Option<String>,
    pub context_listeners: Vec<ContextListener>,
    /// (listenerUUID, intent)
    pub intent_listeners: Vec<(String, String)>,
    /// (listenerUUID, event type or None for all)
    pub event_listeners: Vec<(String, Option<String>)>,
    pub last_heard_ms: Millis,
    pub not_responding: bool,
}

impl Instance {
    pub fn listens_for_intent(&self, intent: &str) -> bool {
        self.intent_listeners.iter().any(|(_, i)| i == intent)
    }
}

/// What the UI and diagnostics see of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceSummary {
    pub app_id: String,
    pub instance_id: String,
    pub user_channel: Option<String>,
    pub intents: Vec<String>,
    pub not_responding: bool,
}

/// An ended instance's identity, reclaimable within the reconnect window.
#[derive(Debug, Clone)]
pub struct EndedIdentity {
    pub app_id: String,
    pub instance_id: String,
    pub transport: Transport,
    pub ended_ms: Millis,
}

/// A reconnect's claim to an earlier identity: all of it must match.
pub struct Claim<'a> {
    pub app_id: &'a str,
    pub instance_id: &'a str,
    pub instance_uuid: &'a str,
    pub transport: Transport,
}

#[derive(Debug, Default)]
pub struct State {
    /// Live instances by instanceId, in a stable order (insertion) for deterministic output.
    instances: HashMap<String, Instance>,
    order: Vec<String>,
    by_conn: HashMap<ConnId, String>,
    /// Connections announced by the runtime with how they reach the agent.
    transports: HashMap<ConnId, Transport>,
    /// Keyed by instanceUuid.
    ended: HashMap<String, EndedIdentity>,
    /// Open connections whose instance has ended (goodbye, silence, superseded): one connection
    /// carries one instance for its life, so nothing owed to the old one reaches a new one.
    spent: std::collections::HashSet<ConnId>,
    /// Changes whenever an instance starts, ends or is changed (its channel, its listeners):
    /// the UI reads the instances again only when it moved.
    revision: u64,
}

impl State {
    pub fn connected(&mut self, conn: ConnId, transport: Transport) {
        self.transports.insert(conn, transport);
    }

    pub fn disconnected(&mut self, conn: ConnId) {
        self.transports.remove(&conn);
        self.spent.remove(&conn);
    }

    /// Has this connection's instance ended (it may not identify again)?
    pub fn is_spent(&self, conn: ConnId) -> bool {
        self.spent.contains(&conn)
    }

    pub fn transport(&self, conn: ConnId) -> Transport {
        self.transports.get(&conn).copied().unwrap_or_default()
    }

    pub fn has_instance_on(&self, conn: ConnId) -> bool {
        self.by_conn.contains_key(&conn)
    }

    pub fn instance_on(&self, conn: ConnId) -> Option<String> {
        self.by_conn.get(&conn).cloned()
    }

    pub fn get(&self, instance_id: &str) -> Option<&Instance> {
        self.instances.get(instance_id)
    }

    pub fn get_mut(&mut self, instance_id: &str) -> Option<&mut Instance> {
        self.revision += 1;
        self.instances.get_mut(instance_id)
    }

    /// Live instances in the order they connected.
    pub fn all(&self) -> impl Iterator<Item = &Instance> {
        self.order.iter().filter_map(|id| self.instances.get(id))
    }

    pub fn of_app<'a>(&'a self, app_id: &'a str) -> impl Iterator<Item = &'a Instance> + 'a {
        self.all().filter(move |i| i.app_id == app_id)
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn insert(&mut self, instance: Instance) {
        self.revision += 1;
        self.by_conn
            .insert(instance.conn, instance.instance_id.clone());
        self.order.push(instance.instance_id.clone());
        self.instances
            .insert(instance.instance_id.clone(), instance);
    }

    pub fn remove(&mut self, instance_id: &str, now: Millis) -> Option<Instance> {
        let instance = self.instances.remove(instance_id)?;
        self.revision += 1;
        self.order.retain(|id| id != instance_id);
        if self.by_conn.get(&instance.conn).map(String::as_str) == Some(instance_id) {
            self.by_conn.remove(&instance.conn);
            self.spent.insert(instance.conn);
        }
        self.ended.insert(
            instance.instance_uuid.clone(),
            EndedIdentity {
                app_id: instance.app_id.clone(),
                instance_id: instance.instance_id.clone(),
                transport: instance.transport,
                ended_ms: now,
            },
        );
        Some(instance)
    }

    /// Takes an ended identity for a reconnect if the secret, the instanceId, the app and the
    /// transport all match, within the reconnect window.
    pub fn reclaim(
        &mut self,
        claim: &Claim,
        now: Millis,
        window_ms: Millis,
    ) -> Option<EndedIdentity> {
        self.ended
            .retain(|_, e| now.saturating_sub(e.ended_ms) <= window_ms);
        match self.ended.get(claim.instance_uuid) {
            Some(e)
                if e.app_id == claim.app_id
                    && e.instance_id == claim.instance_id
                    && e.transport == claim.transport =>
            {
                self.ended.remove(claim.instance_uuid)
            }
            _ => None,
        }
    }

    /// The live instance this claim names (a reconnect while the old connection is still open).
    pub fn live_claimed(&self, claim: &Claim) -> Option<&Instance> {
        self.get(claim.instance_id).filter(|i| {
            i.instance_uuid == claim.instance_uuid
                && i.app_id == claim.app_id
                && i.transport == claim.transport
        })
    }

    pub fn heard_from(&mut self, instance_id: &str, now: Millis) {
        if let Some(i) = self.instances.get_mut(instance_id) {
            i.last_heard_ms = now;
            i.not_responding = false;
        }
    }

    pub fn summaries(&self) -> Vec<InstanceSummary> {
        self.all()
            .map(|i| InstanceSummary {
                app_id: i.app_id.clone(),
                instance_id: i.instance_id.clone(),
                user_channel: i.user_channel.clone(),
                intents: i.intent_listeners.iter().map(|(_, n)| n.clone()).collect(),
                not_responding: i.not_responding,
            })
            .collect()
    }
}
