//! Who an app is: WCP4 identity validation, reconnects, liveness, and the metadata requests
//! (`getInfo`, `getAppMetadata`, `findInstances`, `open`).

use serde_json::{json, Value};

use super::state::{Claim, Instance, Transport};
use super::{ConnId, Effect, Parts, Request, Step, Timer};
use crate::errors::Fdc3Error;
use crate::message::{app_identifier, opt_str, AppTarget, Inbound};
use crate::url_match::{parse_url, same_origin};

/// WebSocket close code for a policy violation (failed identity validation).
const CLOSE_POLICY: u16 = 1008;

impl Parts<'_> {
    pub(crate) fn on_validate_identity(&mut self, conn: ConnId, msg: &Inbound, step: &mut Step) {
        let attempt = msg
            .meta
            .get("connectionAttemptUuid")
            .cloned()
            .unwrap_or(Value::Null);
        let transport = self.state.transport(conn);
        // One connection carries one instance for its life.
        let identified = if self.state.is_spent(conn) {
            Err("this connection's instance has ended: connect again".to_owned())
        } else {
            self.identify(transport, msg, step)
        };
        match identified {
            Ok((app_id, instance_id, instance_uuid)) => self.admit(
                conn,
                transport,
                &attempt,
                app_id,
                instance_id,
                instance_uuid,
                step,
            ),
            Err(message) => {
                tracing::warn!(conn = conn.0, ?transport, %message, "identity refused");
                let reply = step.outbox().wcp(
                    "WCP5ValidateAppIdentityFailedResponse",
                    &attempt,
                    json!({ "message": message }),
                );
                step.send(conn, reply);
                step.effects.push(Effect::Close {
                    conn,
                    code: CLOSE_POLICY,
                    reason: "identity validation failed".into(),
                });
            }
        }
    }

    /// Who a WCP4 may be: (appId, instanceId, instanceUuid), or why it may not.
    ///
    /// - An instance Interlog launched quotes the identity it was given (instanceId and the
    ///   secret instanceUuid) over the transport its launch is for: a native process over the
    ///   socket, a web app through its window.
    /// - Otherwise the identityUrl is matched against the directory. The built-in apps' ids
    ///   are not to be had over the socket, and a window only ever holds what it was launched
    ///   with (or, after a reload, takes it back).
    /// - A reconnect that quotes instanceId and instanceUuid, both matching an identity of the
    ///   same app and transport, keeps that instanceId.
    fn identify(
        &mut self,
        transport: Transport,
        msg: &Inbound,
        step: &mut Step,
    ) -> Result<(String, String, String), String> {
        let claimed_id = opt_str(&msg.payload, "instanceId");
        let claimed_uuid = opt_str(&msg.payload, "instanceUuid");
        let launched = claimed_uuid
            .and_then(|secret| self.launches.by_secret(secret))
            .filter(|l| claimed_id == Some(l.instance_id.as_str()) && l.transport == transport);
        if let Some(l) = launched {
            // One identity, one connection: a second process or window quoting the launch's
            // secret while the first holds it gets nowhere.
            if self.state.get(&l.instance_id).is_some() {
                return Err("the launched instance is already connected".into());
            }
            return Ok((
                l.app_id.clone(),
                l.instance_id.clone(),
                l.instance_uuid.clone(),
            ));
        }
        let app_id = self.match_identity(msg)?;
        if transport == Transport::Socket && crate::builtin::in_process_only(&app_id) {
            return Err(format!(
                "{app_id} is Interlog's own app and cannot connect over the socket"
            ));
        }
        let claim = match (claimed_id, claimed_uuid) {
            (Some(instance_id), Some(instance_uuid)) => Some(Claim {
                app_id: &app_id,
                instance_id,
                instance_uuid,
                transport,
            }),
            _ => None,
        };
        let reclaimed = claim.and_then(|claim| {
            // The old connection, if still open, is closed first: one identity never has two.
            if let Some(live) = self.state.live_claimed(&claim) {
                let (old_conn, old_id) = (live.conn, live.instance_id.clone());
                step.effects.push(Effect::Close {
                    conn: old_conn,
                    code: 1000,
                    reason: "superseded by a reconnect".into(),
                });
                self.end_instance(&old_id, step);
            }
            self.state
                .reclaim(&claim, step.now, self.config.reconnect_window_ms)
                .map(|e| (e.instance_id, claim.instance_uuid.to_owned()))
        });
        if let Some((instance_id, instance_uuid)) = reclaimed {
            return Ok((app_id, instance_id, instance_uuid));
        }
        if transport == Transport::Window {
            return Err("a window holds only the instance it was opened for".into());
        }
        Ok((app_id, step.ids.uuid(), step.ids.secret()))
    }

    /// The directory app whose `details.url` the WCP4's identityUrl matches (and whose
    /// actualUrl is of the same origin).
    fn match_identity(&self, msg: &Inbound) -> Result<String, String> {
        let identity_url = opt_str(&msg.payload, "identityUrl");
        let actual_url = opt_str(&msg.payload, "actualUrl").or(identity_url);
        let Some(url) = identity_url else {
            return Err("WCP4ValidateAppIdentity needs a string identityUrl".to_owned());
        };
        let Some(app) = self.directory.match_identity_url(url) else {
            return Err(format!(
                "identityUrl {url:?} matches no app in the directory"
            ));
        };
        let same = match (parse_url(url), actual_url.and_then(parse_url)) {
            (Some(a), Some(b)) => same_origin(&a, &b),
            _ => false,
        };
        if same {
            Ok(app.app_id.clone())
        } else {
            Err("actualUrl must be a URL with the same origin as identityUrl".into())
        }
    }

    /// Registers a validated instance and answers WCP5.
    #[allow(clippy::too_many_arguments)]
    fn admit(
        &mut self,
        conn: ConnId,
        transport: Transport,
        attempt: &Value,
        app_id: String,
        instance_id: String,
        instance_uuid: String,
        step: &mut Step,
    ) {
        self.state.insert(Instance {
            instance_id: instance_id.clone(),
            app_id: app_id.clone(),
            instance_uuid: instance_uuid.clone(),
            conn,
            transport,
            user_channel: None,
            context_listeners: Vec::new(),
            intent_listeners: Vec::new(),
            event_listeners: Vec::new(),
            last_heard_ms: step.now,
            not_responding: false,
        });
        tracing::info!(app = %app_id, instance = %instance_id, conn = conn.0, "instance connected");
        let implementation = self.implementation_metadata(&app_id, &instance_id);
        let reply = step.outbox().wcp(
            "WCP5ValidateAppIdentityResponse",
            attempt,
            json!({
                "appId": app_id,
                "instanceId": instance_id,
                "instanceUuid": instance_uuid,
                "implementationMetadata": implementation,
            }),
        );
        step.send(conn, reply);
        // A web app's launch is complete once its page has loaded, not at its first message:
        // its scripts are still setting up (listeners the opener is about to count on).
        if transport == Transport::Window && !self.launches.page_loaded(conn) {
            self.launches.await_page(conn, &instance_id);
        } else {
            self.complete_launch(&instance_id, step);
        }
    }

    fn implementation_metadata(&self, app_id: &str, instance_id: &str) -> Value {
        let app_metadata = match self.directory.get(app_id) {
            Some(app) => app.metadata(Some(instance_id)),
            None => app_identifier(app_id, instance_id),
        };
        json!({
            "fdc3Version": "2.2",
            "provider": self.config.provider,
            "providerVersion": self.config.provider_version,
            "optionalFeatures": {
                "OriginatingAppMetadata": true,
                "UserChannelMembershipAPIs": true,
                "DesktopAgentBridging": false,
            },
            "appMetadata": app_metadata,
        })
    }

    pub(crate) fn get_info(&mut self, r: &Request, step: &mut Step) {
        let Some(app_id) = self.state.get(&r.instance_id).map(|i| i.app_id.clone()) else {
            return;
        };
        let meta = self.implementation_metadata(&app_id, &r.instance_id);
        r.reply(step, json!({ "implementationMetadata": meta }));
    }

    pub(crate) fn get_app_metadata(&mut self, r: &Request, step: &mut Step) {
        // No `app` (or one that is not an AppIdentifier) does not fit the request's schema.
        let Some(t) = r.payload.get("app").and_then(AppTarget::read) else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        let found = self
            .directory
            .get(&t.app_id)
            .and_then(|app| match &t.instance_id {
                None => Some(app.metadata(None)),
                Some(i) => {
                    let running = self.state.get(i).is_some_and(|x| x.app_id == t.app_id);
                    running.then(|| app.metadata(Some(i)))
                }
            });
        match found {
            Some(meta) => r.reply(step, json!({ "appMetadata": meta })),
            None => r.fail(step, Fdc3Error::TargetAppUnavailable),
        }
    }

    pub(crate) fn find_instances(&mut self, r: &Request, step: &mut Step) {
        let Some(target) = r.payload.get("app").and_then(AppTarget::read) else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        let Some(app) = self.directory.get(&target.app_id) else {
            r.fail(step, Fdc3Error::NoAppsFound);
            return;
        };
        let found: Vec<Value> = self
            .state
            .of_app(&target.app_id)
            .map(|i| app.metadata(Some(&i.instance_id)))
            .collect();
        r.reply(step, json!({ "appIdentifiers": found }));
    }

    /// `open`: starts a new instance of the app (native apps with `details.path`); answered
    /// once the instance has connected, or with `AppTimeout`. An app Interlog cannot start
    /// answers `ErrorOnLaunch` at once rather than leaving the caller waiting.
    pub(crate) fn open(&mut self, r: &Request, step: &mut Step) {
        let context = r.payload.get("context").filter(|c| !c.is_null()).cloned();
        let target = r.payload.get("app").and_then(AppTarget::read);
        let error = match &target {
            None => Some(Fdc3Error::MalformedMessage),
            Some(t) if self.directory.get(&t.app_id).is_none() => Some(Fdc3Error::AppNotFound),
            Some(_)
                if context.as_ref().is_some_and(|c| {
                    crate::context_schema::validate_relayed_context(c).is_err()
                }) =>
            {
                Some(Fdc3Error::MalformedContext)
            }
            Some(_) => None,
        };
        if let Some(error) = error {
            r.fail(step, error);
            return;
        }
        let (Some(target), Some(opener_app)) = (
            target,
            self.state.get(&r.instance_id).map(|i| i.app_id.clone()),
        ) else {
            return;
        };
        let purpose = super::launch::Purpose::Open {
            conn: r.conn,
            request_uuid: r.request_uuid.to_owned(),
            response_kind: r.response_kind.clone(),
            context,
            opener: app_identifier(&opener_app, &r.instance_id),
        };
        if let Err(error) = self.launch(&target.app_id, purpose, step) {
            r.fail(step, error);
        }
    }

    /// Heartbeats: ping everyone, mark the silent ones not responding, end the dead.
    pub(crate) fn on_heartbeat(&mut self, step: &mut Step) {
        let now = step.now;
        let mut dead = Vec::new();
        let targets: Vec<(ConnId, String, i64, Transport)> = self
            .state
            .all()
            .map(|i| {
                (
                    i.conn,
                    i.instance_id.clone(),
                    now - i.last_heard_ms,
                    i.transport,
                )
            })
            .collect();
        for (conn, instance_id, silent_ms, transport) in targets {
            // A window's instance lives as long as its window: a page busy in a long script
            // or a modal dialog is not responding, not gone.
            if silent_ms >= self.config.dead_after_ms && transport != Transport::Window {
                dead.push(instance_id);
                continue;
            }
            if silent_ms >= self.config.not_responding_after_ms {
                if let Some(i) = self.state.get_mut(&instance_id) {
                    if !i.not_responding {
                        tracing::warn!(instance = %instance_id, "instance not responding");
                    }
                    i.not_responding = true;
                }
            }
            step.event(conn, "heartbeatEvent", json!({}));
        }
        for instance_id in dead {
            if let Some(conn) = self.state.get(&instance_id).map(|i| i.conn) {
                step.effects.push(Effect::Close {
                    conn,
                    code: 1001,
                    reason: "no heartbeat".into(),
                });
            }
            self.end_instance(&instance_id, step);
        }
        step.timer(now + self.config.heartbeat_interval_ms, Timer::Heartbeat);
    }
}
