//! Who an app is: WCP4 identity validation, reconnects, liveness, and the metadata requests
//! (`getInfo`, `getAppMetadata`, `findInstances`, `open`).

use serde_json::{json, Value};

use super::state::Instance;
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
        let identity_url = opt_str(&msg.payload, "identityUrl");
        let actual_url = opt_str(&msg.payload, "actualUrl").or(identity_url);
        // An app Interlog started quotes the identity it was given; that secret, not a URL,
        // says who it is (a native app has no URL to match).
        let launched = opt_str(&msg.payload, "instanceUuid")
            .and_then(|secret| self.launches.by_secret(secret))
            .filter(|l| opt_str(&msg.payload, "instanceId") == Some(l.instance_id.as_str()))
            .map(|l| {
                (
                    l.app_id.clone(),
                    l.instance_id.clone(),
                    l.instance_uuid.clone(),
                )
            });
        if let Some((app_id, instance_id, instance_uuid)) = launched {
            self.admit(conn, &attempt, app_id, instance_id, instance_uuid, step);
            return;
        }
        let app = match identity_url {
            None => Err("WCP4ValidateAppIdentity needs a string identityUrl".to_owned()),
            Some(url) => match self.directory.match_identity_url(url) {
                None => Err(format!(
                    "identityUrl {url:?} matches no app in the directory"
                )),
                Some(app) => {
                    let same = match (parse_url(url), actual_url.and_then(parse_url)) {
                        (Some(a), Some(b)) => same_origin(&a, &b),
                        _ => false,
                    };
                    if same {
                        Ok(app)
                    } else {
                        Err("actualUrl must be a URL with the same origin as identityUrl".into())
                    }
                }
            },
        };
        let app = match app {
            Ok(app) => app,
            Err(message) => {
                tracing::warn!(conn = conn.0, %message, "identity refused");
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
                return;
            }
        };
        let app_id = app.app_id.clone();
        let claimed_uuid = opt_str(&msg.payload, "instanceUuid");
        // A reconnect quoting its secret keeps its instanceId. If the old socket is still open
        // it is closed first, so one identity never has two connections.
        let mut identity = None;
        if let Some(secret) = claimed_uuid {
            if let Some(live) = self.state.live_with_secret(secret, &app_id) {
                let (old_conn, old_id) = (live.conn, live.instance_id.clone());
                step.effects.push(Effect::Close {
                    conn: old_conn,
                    code: 1000,
                    reason: "superseded by a reconnect".into(),
                });
                self.end_instance(&old_id, step);
            }
            identity = self
                .state
                .reclaim(secret, &app_id, step.now, self.config.reconnect_window_ms)
                .map(|e| (e.instance_id, secret.to_owned()));
        }
        let (instance_id, instance_uuid) =
            identity.unwrap_or_else(|| (step.ids.uuid(), step.ids.secret()));
        self.admit(conn, &attempt, app_id, instance_id, instance_uuid, step);
    }

    /// Registers a validated instance and answers WCP5.
    fn admit(
        &mut self,
        conn: ConnId,
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
        self.complete_launch(&instance_id, step);
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
                if context
                    .as_ref()
                    .is_some_and(|c| crate::context_schema::validate_context(c).is_err()) =>
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
        let targets: Vec<(ConnId, String, i64)> = self
            .state
            .all()
            .map(|i| (i.conn, i.instance_id.clone(), now - i.last_heard_ms))
            .collect();
        for (conn, instance_id, silent_ms) in targets {
            if silent_ms >= self.config.dead_after_ms {
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
