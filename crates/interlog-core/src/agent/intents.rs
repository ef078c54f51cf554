//! Intents: listeners, `findIntent*`, `raiseIntent*`, resolution, delivery and results.
//!
//! A raise is recorded before anything is delivered, and each step after it (resolved,
//! delivered, completed) is recorded as it happens. A raise always ends: with a result, or an
//! FDC3 error for the raiser (no candidates, cancelled, timed out, handler gone, no result).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::ledger::{LedgerEvent, Resolution, ResultOutcome};
use super::resolver::{
    Queued, RaiserRef, ResolverApp, ResolverChoice, ResolverOption, ResolverView,
};
use super::state::Instance;
use super::{ConnId, Effect, Parts, Request, Step, Timer};
use crate::context_schema::validate_context;
use crate::directory::AppRecord;
use crate::errors::Fdc3Error;
use crate::json_text::JsonText;
use crate::message::{app_identifier, object, opt_str, AppTarget, Millis};

/// The most of a refused raise's context the ledger keeps whole (JSON bytes).
pub const REFUSED_CONTEXT_BYTES: usize = 8 * 1024;

/// One way a raise could be handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaiseOption {
    pub intent: String,
    pub app_id: String,
    /// `None` would mean "start a new instance" (once Interlog can launch apps).
    pub instance_id: Option<String>,
}

impl RaiseOption {
    fn wire(&self) -> Value {
        json!({ "intent": self.intent, "appId": self.app_id, "instanceId": self.instance_id })
    }
}

#[derive(Debug, Clone)]
enum Stage {
    Resolving {
        resolver_id: String,
    },
    /// A new instance of the chosen app is being started.
    Launching,
    AwaitingListener {
        option: RaiseOption,
        resolution: Resolution,
    },
    Delivered {
        handler: String,
        event_uuid: String,
    },
}

#[derive(Debug, Clone)]
pub struct Raise {
    key: String,
    /// Kept with the raise: the raiser may have left by the time it is delivered.
    raiser_app: String,
    raiser_instance: String,
    raiser_conn: ConnId,
    request_uuid: String,
    response_kind: String,
    /// Shared, so that a copy of the raise is cheap; it leaves with the intentEvent (a delivered
    /// raise keeps only what answering its raiser needs).
    context: Arc<Value>,
    stage: Stage,
}

/// The instance a raise is delivered to, as delivery needs it.
struct Handler {
    app_id: String,
    instance_id: String,
    conn: ConnId,
}

impl Handler {
    fn of(instance: &Instance) -> Handler {
        Handler {
            app_id: instance.app_id.clone(),
            instance_id: instance.instance_id.clone(),
            conn: instance.conn,
        }
    }
}

#[derive(Debug, Default)]
pub struct Raises {
    by_key: HashMap<String, Raise>,
    /// intentEvent's eventUuid → raise key, to match the handler's result.
    by_event: HashMap<String, String>,
    /// What each app has left to raise.
    budgets: super::budget::Budgets,
    /// The options behind each resolver request, by resolver id.
    pending_options: HashMap<String, Vec<RaiseOption>>,
    /// The ledger's disk is low: raises are refused.
    disk_low: bool,
}

impl Raises {
    pub(crate) fn set_disk_low(&mut self, low: bool) {
        if low != self.disk_low {
            let now = if low {
                "low: raises are refused"
            } else {
                "no longer low"
            };
            tracing::warn!("the ledger's disk is {now}");
        }
        self.disk_low = low;
    }
}

/// Does a declared `resultType` satisfy a requested one? `channel` matches every typed
/// channel; an app that declares nothing matches no requested type.
pub fn result_type_matches(requested: Option<&str>, declared: Option<&str>) -> bool {
    match (requested, declared) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some("channel"), Some(d)) => d == "channel" || d.starts_with("channel<"),
        (Some(r), Some(d)) => r == d,
    }
}

fn context_type(context: &Value) -> Option<&str> {
    context.get("type").and_then(Value::as_str)
}

/// Would this running instance take `intent` with a context of `ctx_type`? It must listen for
/// the intent, and its app must declare it for that context — or declare no intents at all
/// (a dynamic registration, which FDC3 2.2 cannot filter by context).
fn instance_accepts(
    app: &AppRecord,
    instance: &Instance,
    intent: &str,
    ctx_type: Option<&str>,
) -> bool {
    instance.listens_for_intent(intent)
        && (app.accepts(intent, ctx_type) || app.listens_for.is_empty())
}

impl Parts<'_> {
    pub(crate) fn add_intent_listener(&mut self, r: &Request, step: &mut Step) {
        let Some(intent) = opt_str(r.payload, "intent").filter(|s| !s.is_empty()) else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        let Some(i) = self.state.get_mut(&r.instance_id) else {
            return;
        };
        if crate::builtin::raises_only(&i.app_id) {
            r.fail(step, Fdc3Error::AccessDenied);
            return;
        }
        let uuid = step.ids.uuid();
        i.intent_listeners.push((uuid.clone(), intent.to_owned()));
        r.reply(step, json!({ "listenerUUID": uuid }));
        self.on_listener_added(r.conn, step);
        // Raises that were waiting for this instance to listen can now be delivered.
        let waiting: Vec<String> = self
            .intents
            .by_key
            .values()
            .filter(|raise| {
                matches!(&raise.stage, Stage::AwaitingListener { option, .. }
                    if option.instance_id.as_deref() == Some(&r.instance_id) && option.intent == intent)
            })
            .map(|raise| raise.key.clone())
            .collect();
        for key in waiting {
            if let Some(Stage::AwaitingListener { option, resolution }) =
                self.intents.by_key.get(&key).map(|x| x.stage.clone())
            {
                self.deliver(&key, option, resolution, step);
            }
        }
    }

    pub(crate) fn intent_listener_unsubscribe(&mut self, r: &Request, step: &mut Step) {
        let uuid = opt_str(r.payload, "listenerUUID").unwrap_or_default();
        let removed = self.state.get_mut(&r.instance_id).is_some_and(|i| {
            let before = i.intent_listeners.len();
            i.intent_listeners.retain(|(u, _)| u != uuid);
            before != i.intent_listeners.len()
        });
        if removed {
            r.reply(step, json!({}));
        } else {
            r.fail(step, Fdc3Error::MalformedMessage);
        }
    }

    /// The `AppMetadata` entries that can handle `intent` for the given context and result
    /// type: running instances first (in connection order), then the directory apps.
    fn apps_for_intent(
        &self,
        intent: &str,
        ctx_type: Option<&str>,
        result_type: Option<&str>,
    ) -> Vec<Value> {
        let mut apps = Vec::new();
        for instance in self.state.all() {
            let Some(app) = self.directory.get(&instance.app_id) else {
                continue;
            };
            let declared = app
                .listens_for
                .get(intent)
                .and_then(|d| d.result_type.as_deref());
            if instance_accepts(app, instance, intent, ctx_type)
                && result_type_matches(result_type, declared)
            {
                let mut meta = app.metadata(Some(&instance.instance_id));
                meta["resultType"] = json!(declared);
                apps.push(meta);
            }
        }
        for app in self.directory.apps() {
            let declared = app
                .listens_for
                .get(intent)
                .and_then(|d| d.result_type.as_deref());
            if app.accepts(intent, ctx_type) && result_type_matches(result_type, declared) {
                let mut meta = app.metadata(None);
                meta["resultType"] = json!(declared);
                apps.push(meta);
            }
        }
        apps
    }

    fn app_intent(&self, intent: &str, apps: Vec<Value>) -> Value {
        let display = self
            .directory
            .apps()
            .find_map(|a| {
                a.listens_for
                    .get(intent)
                    .and_then(|d| d.display_name.clone())
            })
            .unwrap_or_else(|| intent.to_owned());
        json!({ "intent": { "name": intent, "displayName": display }, "apps": apps })
    }

    /// Reads and checks an optional context; `Err` carries the answer to send.
    fn optional_context(payload: &Value) -> Result<Option<&Value>, Fdc3Error> {
        match payload.get("context") {
            None | Some(Value::Null) => Ok(None),
            Some(c) => validate_context(c)
                .map(|()| Some(c))
                .map_err(|_| Fdc3Error::MalformedContext),
        }
    }

    pub(crate) fn find_intent(&mut self, r: &Request, step: &mut Step) {
        let Some(intent) = opt_str(r.payload, "intent") else {
            r.fail(step, Fdc3Error::MalformedMessage);
            return;
        };
        let context = match Self::optional_context(r.payload) {
            Ok(c) => c,
            Err(e) => return r.fail(step, e),
        };
        let apps = self.apps_for_intent(
            intent,
            context.and_then(context_type),
            opt_str(r.payload, "resultType"),
        );
        if apps.is_empty() {
            r.fail(step, Fdc3Error::NoAppsFound);
            return;
        }
        let app_intent = self.app_intent(intent, apps);
        r.reply(step, json!({ "appIntent": app_intent }));
    }

    /// Every intent any app declares or any instance listens for, in a stable order.
    fn known_intents(&self) -> Vec<String> {
        let mut intents: Vec<String> = Vec::new();
        let declared = self
            .directory
            .apps()
            .flat_map(|a| a.listens_for.keys().cloned());
        let listened = self
            .state
            .all()
            .flat_map(|i| i.intent_listeners.iter().map(|(_, n)| n.clone()));
        for name in declared.chain(listened) {
            if !intents.contains(&name) {
                intents.push(name);
            }
        }
        intents
    }

    pub(crate) fn find_intents_by_context(&mut self, r: &Request, step: &mut Step) {
        let context = match Self::optional_context(r.payload) {
            Ok(Some(c)) => c,
            Ok(None) => return r.fail(step, Fdc3Error::MalformedContext),
            Err(e) => return r.fail(step, e),
        };
        let result_type = opt_str(r.payload, "resultType");
        let app_intents: Vec<Value> = self
            .known_intents()
            .into_iter()
            .filter_map(|intent| {
                let apps = self.apps_for_intent(&intent, context_type(context), result_type);
                (!apps.is_empty()).then(|| self.app_intent(&intent, apps))
            })
            .collect();
        if app_intents.is_empty() {
            r.fail(step, Fdc3Error::NoAppsFound);
            return;
        }
        r.reply(step, json!({ "appIntents": app_intents }));
    }

    /// Running instances that would take the raise, per the contract: only instances that
    /// listen. Apps that could be started instead are [`Self::launchable_options`].
    fn running_options(
        &self,
        intents: &[String],
        ctx_type: Option<&str>,
        only_app: Option<&str>,
    ) -> Vec<RaiseOption> {
        let mut options = Vec::new();
        for instance in self.state.all() {
            if only_app.is_some_and(|a| a != instance.app_id) {
                continue;
            }
            let Some(app) = self.directory.get(&instance.app_id) else {
                continue;
            };
            for intent in intents {
                if instance_accepts(app, instance, intent, ctx_type) {
                    options.push(RaiseOption {
                        intent: intent.clone(),
                        app_id: instance.app_id.clone(),
                        instance_id: Some(instance.instance_id.clone()),
                    });
                }
            }
        }
        options
    }

    /// "Start a new instance" options: directory apps Interlog can launch that declare the
    /// intent for this context.
    fn launchable_options(
        &self,
        intents: &[String],
        ctx_type: Option<&str>,
        only_app: Option<&str>,
    ) -> Vec<RaiseOption> {
        let mut options = Vec::new();
        for app in self.directory.apps() {
            if only_app.is_some_and(|a| a != app.app_id)
                || super::launch::launch_target(app, self.config).is_none()
            {
                continue;
            }
            for intent in intents {
                if app.accepts(intent, ctx_type) {
                    options.push(RaiseOption {
                        intent: intent.clone(),
                        app_id: app.app_id.clone(),
                        instance_id: None,
                    });
                }
            }
        }
        options
    }

    /// `raiseIntent` and `raiseIntentForContext`.
    pub(crate) fn raise(&mut self, r: &Request, for_context: bool, step: &mut Step) {
        let key = step.ids.uuid();
        let context = r.payload.get("context").cloned().unwrap_or(Value::Null);
        let intent = if for_context {
            None
        } else {
            opt_str(r.payload, "intent").map(str::to_owned)
        };
        let target_value = r.payload.get("app").filter(|v| !v.is_null()).cloned();
        let raiser_app = self
            .state
            .get(&r.instance_id)
            .map(|i| i.app_id.clone())
            .unwrap_or_default();
        let decision = match self.spend_budget(&raiser_app, &context, step.now) {
            // Nothing accepted can be lost for want of room: new raises wait for the disk.
            Ok(()) if self.intents.disk_low => {
                Err((Fdc3Error::IntentDeliveryFailed, Resolution::DiskLow))
            }
            Ok(()) => self.decide(r, intent.as_deref(), &context, target_value.as_ref()),
            Err(over) => {
                tracing::warn!(app = %raiser_app, ?over, "raise over the app's budget: refused");
                Err((over.error(), Resolution::OverBudget))
            }
        };
        let candidates = match &decision {
            Ok((options, _)) => Value::Array(options.iter().map(RaiseOption::wire).collect()),
            Err(_) => json!([]),
        };
        // A refused raise is on record with its reason, but one app must not fill the ledger
        // with payloads nobody accepted: a large one is kept as a bounded excerpt.
        let recorded = match &decision {
            Ok(_) => JsonText::of(&context),
            Err(_) => JsonText::of(&super::ledger::bounded_excerpt(
                context.clone(),
                REFUSED_CONTEXT_BYTES,
            )),
        };
        // The raise is on record before anything else happens to it.
        step.record(LedgerEvent::Raised {
            key: key.clone(),
            at_ms: step.now,
            raiser_app: raiser_app.clone(),
            raiser_instance: r.instance_id.clone(),
            request_uuid: r.request_uuid.to_owned(),
            intent: intent.clone(),
            context: recorded,
            target: target_value,
            candidates,
        });
        let raise = Raise {
            key: key.clone(),
            raiser_app,
            raiser_instance: r.instance_id.clone(),
            raiser_conn: r.conn,
            request_uuid: r.request_uuid.to_owned(),
            response_kind: r.response_kind.clone(),
            context: Arc::new(context),
            stage: Stage::Resolving {
                resolver_id: String::new(),
            },
        };
        self.intents.by_key.insert(key.clone(), raise);
        match decision {
            Err((error, resolution)) => self.fail_raise(&key, error, Some(resolution), step),
            Ok((mut options, resolution)) => {
                if options.len() == 1 {
                    let option = options.remove(0);
                    self.deliver(&key, option, resolution, step);
                } else if let Some(option) = self.remembered_option(&key, &options) {
                    self.deliver(&key, option, Resolution::Remembered, step);
                } else if !self.config.resolver_available {
                    self.fail_raise(
                        &key,
                        Fdc3Error::ResolverUnavailable,
                        Some(Resolution::Unavailable),
                        step,
                    );
                } else {
                    self.ask_user(&key, intent, options, step);
                }
            }
        }
    }

    /// Takes a raise from the app's budget (Interlog's own apps have none).
    fn spend_budget(
        &mut self,
        app_id: &str,
        context: &Value,
        now: Millis,
    ) -> Result<(), super::budget::OverBudget> {
        if crate::builtin::in_process_only(app_id) {
            return Ok(());
        }
        self.intents
            .budgets
            .spend(self.config.raise_budget, app_id, context, now)
    }

    /// Which options a raise has, or the error it ends with.
    #[allow(clippy::type_complexity)]
    fn decide(
        &self,
        r: &Request,
        intent: Option<&str>,
        context: &Value,
        target: Option<&Value>,
    ) -> Result<(Vec<RaiseOption>, Resolution), (Fdc3Error, Resolution)> {
        let no = |e| Err((e, Resolution::NoCandidates));
        let is_raise_intent = r.kind == "raiseIntentRequest";
        if is_raise_intent && intent.is_none_or(str::is_empty) {
            return no(Fdc3Error::MalformedMessage);
        }
        if validate_context(context).is_err() {
            return no(Fdc3Error::MalformedContext);
        }
        let ctx_type = context_type(context);
        let intents: Vec<String> = match intent {
            Some(i) => vec![i.to_owned()],
            None => self.known_intents(),
        };
        let Some(target) = target else {
            let mut options = self.running_options(&intents, ctx_type, None);
            options.extend(self.launchable_options(&intents, ctx_type, None));
            return match options.len() {
                0 => no(Fdc3Error::NoAppsFound),
                1 => Ok((options, Resolution::SingleCandidate)),
                _ => Ok((options, Resolution::UserChoice)),
            };
        };
        let Some(target) = AppTarget::read(target) else {
            return no(Fdc3Error::TargetAppUnavailable);
        };
        let Some(app) = self.directory.get(&target.app_id) else {
            return no(Fdc3Error::TargetAppUnavailable);
        };
        // Interlog's raisers never listen: waiting for one to would only time out.
        if crate::builtin::raises_only(&app.app_id) {
            return no(Fdc3Error::NoAppsFound);
        }
        let app_takes = |i: &str| app.accepts(i, ctx_type);
        let declared_any = intents.iter().any(|i| app_takes(i));
        if let Some(instance_id) = &target.instance_id {
            let Some(instance) = self
                .state
                .get(instance_id)
                .filter(|x| x.app_id == app.app_id)
            else {
                return no(Fdc3Error::TargetInstanceUnavailable);
            };
            let dynamic = app.listens_for.is_empty();
            if !declared_any && !dynamic {
                return no(Fdc3Error::NoAppsFound);
            }
            // Prefer an intent the instance already listens for; else wait for the first
            // declared one.
            let chosen = intents
                .iter()
                .find(|i| instance_accepts(app, instance, i, ctx_type))
                .or_else(|| intents.iter().find(|i| app_takes(i)))
                .or_else(|| intents.first());
            let Some(chosen) = chosen else {
                return no(Fdc3Error::NoAppsFound);
            };
            return Ok((
                vec![RaiseOption {
                    intent: chosen.clone(),
                    app_id: app.app_id.clone(),
                    instance_id: Some(instance_id.clone()),
                }],
                Resolution::Targeted,
            ));
        }
        if !declared_any && !app.listens_for.is_empty() {
            return no(Fdc3Error::NoAppsFound);
        }
        // Contract: a raise at {appId} alone starts a new instance when Interlog can.
        let launch = self.launchable_options(&intents, ctx_type, Some(&app.app_id));
        if let Some(first) = launch.into_iter().next() {
            return Ok((vec![first], Resolution::Targeted));
        }
        let options = self.running_options(&intents, ctx_type, Some(&app.app_id));
        match options.len() {
            0 => no(Fdc3Error::TargetAppUnavailable),
            1 => Ok((options, Resolution::Targeted)),
            _ => Ok((options, Resolution::UserChoice)),
        }
    }

    /// The option a remembered choice gives for this raise: the remembered app's first running
    /// instance, else a new one; `None` when nothing is remembered for the question or the app
    /// is not among the options (gone, or no longer handling it).
    fn remembered_option(&self, key: &str, options: &[RaiseOption]) -> Option<RaiseOption> {
        let raise = self.intents.by_key.get(key)?;
        let intent = options.first()?.intent.as_str();
        // raiseIntentForContext offers several intents: no one question to remember.
        if options.iter().any(|o| o.intent != intent) {
            return None;
        }
        let app_id =
            self.remembered
                .find(intent, context_type(&raise.context)?, &raise.raiser_app)?;
        let of_app = || options.iter().filter(|o| o.app_id == app_id);
        of_app()
            .find(|o| o.instance_id.is_some())
            .or_else(|| of_app().next())
            .cloned()
    }

    /// Remembers the user's pick for this raise's question and tells the runtime.
    fn remember(&mut self, key: &str, option: &RaiseOption, step: &mut Step) {
        let Some(raise) = self.intents.by_key.get(key) else {
            return;
        };
        let Some(context_type) = context_type(&raise.context) else {
            return;
        };
        self.remembered.remember(super::RememberedChoice {
            intent: option.intent.clone(),
            context_type: context_type.to_owned(),
            raiser_app_id: raise.raiser_app.clone(),
            app_id: option.app_id.clone(),
        });
        step.effects
            .push(Effect::RememberedChanged(self.remembered.list().to_vec()));
    }

    fn ask_user(
        &mut self,
        key: &str,
        intent: Option<String>,
        options: Vec<RaiseOption>,
        step: &mut Step,
    ) {
        let Some(raise) = self.intents.by_key.get(key) else {
            return;
        };
        let raiser = self.state.get(&raise.raiser_instance);
        let raiser_app = raiser.map(|i| i.app_id.clone()).unwrap_or_default();
        let raiser_title = self
            .directory
            .get(&raiser_app)
            .map(|a| a.title.clone())
            .unwrap_or_else(|| raiser_app.clone());
        let mut apps: Vec<ResolverApp> = Vec::new();
        for (n, option) in options.iter().enumerate() {
            let label = match &option.instance_id {
                Some(id) => format!("Running instance {}", short_id(id)),
                None => "Start a new instance".to_owned(),
            };
            let entry = ResolverOption {
                option: n,
                intent: option.intent.clone(),
                instance_id: option.instance_id.clone(),
                label,
            };
            match apps.iter_mut().find(|a| a.app_id == option.app_id) {
                Some(app) => app.options.push(entry),
                None => {
                    let record = self.directory.get(&option.app_id);
                    apps.push(ResolverApp {
                        app_id: option.app_id.clone(),
                        title: record
                            .map(|a| a.title.clone())
                            .unwrap_or_else(|| option.app_id.clone()),
                        description: record.and_then(|a| a.description.clone()),
                        icon: record.and_then(|a| a.icon().map(str::to_owned)),
                        options: vec![entry],
                    });
                }
            }
        }
        let resolver_id = step.ids.uuid();
        let view = ResolverView {
            id: resolver_id.clone(),
            intent,
            raiser: RaiserRef {
                app_id: raiser_app,
                title: raiser_title,
                instance_id: raise.raiser_instance.clone(),
            },
            context: Value::clone(&raise.context),
            deadline_ms: 0,
            timeout_ms: self.config.resolver_timeout_ms,
            queued: 0,
            apps,
        };
        if let Some(raise) = self.intents.by_key.get_mut(key) {
            raise.stage = Stage::Resolving {
                resolver_id: resolver_id.clone(),
            };
        }
        self.intents.pending_options.insert(resolver_id, options);
        self.resolver.enqueue(
            Queued {
                view,
                raise_key: key.to_owned(),
            },
            self.config.resolver_timeout_ms,
            step,
        );
    }

    pub(crate) fn on_resolver_choice(&mut self, id: &str, choice: ResolverChoice, step: &mut Step) {
        // Only the request on screen can be answered; a stale click is ignored.
        if !self.resolver.is_shown(id) {
            tracing::warn!(
                resolver = id,
                "answer for a resolver request that is not shown"
            );
            return;
        }
        let Some(key) = self.resolver.raise_key(id).map(str::to_owned) else {
            return;
        };
        let options = self.intents.pending_options.remove(id).unwrap_or_default();
        self.resolver
            .finish(id, self.config.resolver_timeout_ms, step);
        match choice {
            ResolverChoice::Cancel => self.fail_raise(
                &key,
                Fdc3Error::UserCancelled,
                Some(Resolution::Cancelled),
                step,
            ),
            ResolverChoice::Pick { option } | ResolverChoice::PickAndRemember { option } => {
                match options.get(option) {
                    Some(o) => {
                        if matches!(choice, ResolverChoice::PickAndRemember { .. }) {
                            self.remember(&key, o, step);
                        }
                        self.deliver(&key, o.clone(), Resolution::UserChoice, step)
                    }
                    None => self.fail_raise(
                        &key,
                        Fdc3Error::UserCancelled,
                        Some(Resolution::Cancelled),
                        step,
                    ),
                }
            }
        }
    }

    pub(crate) fn on_resolver_deadline(&mut self, id: &str, step: &mut Step) {
        if !self.resolver.is_shown(id) {
            return;
        }
        let Some(key) = self.resolver.raise_key(id).map(str::to_owned) else {
            return;
        };
        self.intents.pending_options.remove(id);
        self.resolver
            .finish(id, self.config.resolver_timeout_ms, step);
        self.fail_raise(
            &key,
            Fdc3Error::ResolverTimeout,
            Some(Resolution::TimedOut),
            step,
        );
    }

    /// Sends the intent to the chosen instance, or waits for it to add its listener.
    fn deliver(&mut self, key: &str, option: RaiseOption, resolution: Resolution, step: &mut Step) {
        let Some(mut raise) = self.intents.by_key.get(key).cloned() else {
            return;
        };
        if option.instance_id.is_none() {
            let purpose = super::launch::Purpose::Raise {
                key: key.to_owned(),
                intent: option.intent.clone(),
                resolution,
            };
            match self.launch(&option.app_id, purpose, step) {
                Ok(()) => {
                    if let Some(x) = self.intents.by_key.get_mut(key) {
                        x.stage = Stage::Launching;
                    }
                }
                Err(_) => {
                    self.fail_raise(key, Fdc3Error::IntentDeliveryFailed, Some(resolution), step)
                }
            }
            return;
        }
        // Only what delivery needs of the handler (not its listeners: a copy per raise).
        let Some((handler, listening)) = option
            .instance_id
            .as_deref()
            .and_then(|id| self.state.get(id))
            .map(|i| (Handler::of(i), i.listens_for_intent(&option.intent)))
        else {
            // The chosen instance left while the user was choosing.
            self.fail_raise(key, Fdc3Error::IntentDeliveryFailed, Some(resolution), step);
            return;
        };
        if !listening {
            if !matches!(raise.stage, Stage::AwaitingListener { .. }) {
                step.timer(
                    step.now + self.config.listener_timeout_ms,
                    Timer::ListenerDeadline {
                        key: key.to_owned(),
                    },
                );
            }
            if let Some(x) = self.intents.by_key.get_mut(key) {
                x.stage = Stage::AwaitingListener { option, resolution };
            }
            return;
        }
        step.record(LedgerEvent::Resolved {
            key: key.to_owned(),
            at_ms: step.now,
            resolution,
            handler_app: Some(handler.app_id.clone()),
            handler_instance: Some(handler.instance_id.clone()),
        });
        // The context goes with the intentEvent: taken from the raise, not copied.
        if let Some(x) = self.intents.by_key.get_mut(key) {
            x.context = Arc::default();
        }
        let context = Arc::unwrap_or_clone(std::mem::take(&mut raise.context));
        let event_uuid = step.event(
            handler.conn,
            "intentEvent",
            object([
                ("intent", Value::from(option.intent.as_str())),
                ("context", context),
                (
                    "originatingApp",
                    app_identifier(&raise.raiser_app, &raise.raiser_instance),
                ),
                (
                    "raiseIntentRequestUuid",
                    Value::from(raise.request_uuid.as_str()),
                ),
            ]),
        );
        step.record(LedgerEvent::Delivered {
            key: key.to_owned(),
            at_ms: step.now,
        });
        step.respond(
            raise.raiser_conn,
            &raise.response_kind,
            &raise.request_uuid,
            json!({ "intentResolution": {
                "intent": option.intent,
                "source": app_identifier(&handler.app_id, &handler.instance_id),
            }}),
        );
        step.timer(
            step.now + self.config.result_timeout_ms,
            Timer::ResultDeadline {
                key: key.to_owned(),
            },
        );
        self.intents
            .by_event
            .insert(event_uuid.clone(), key.to_owned());
        if let Some(x) = self.intents.by_key.get_mut(key) {
            x.stage = Stage::Delivered {
                handler: handler.instance_id.clone(),
                event_uuid,
            };
        }
    }

    /// Ends a raise that never reached a handler: the raiser gets the error response.
    fn fail_raise(
        &mut self,
        key: &str,
        error: Fdc3Error,
        resolution: Option<Resolution>,
        step: &mut Step,
    ) {
        let Some(raise) = self.intents.by_key.remove(key) else {
            return;
        };
        cancel_raise_timers(key, step);
        if let Some(resolution) = resolution {
            step.record(LedgerEvent::Resolved {
                key: key.to_owned(),
                at_ms: step.now,
                resolution,
                handler_app: None,
                handler_instance: None,
            });
        }
        step.record(LedgerEvent::Completed {
            key: key.to_owned(),
            at_ms: step.now,
            outcome: ResultOutcome::Error(error.as_str().to_owned()),
        });
        step.respond_error(
            raise.raiser_conn,
            &raise.response_kind,
            &raise.request_uuid,
            error,
        );
    }

    /// Ends a delivered raise without a result: the raiser's `getResult()` rejects.
    fn fail_result(&mut self, key: &str, error: Fdc3Error, step: &mut Step) {
        let Some(raise) = self.intents.by_key.remove(key) else {
            return;
        };
        cancel_raise_timers(key, step);
        if let Stage::Delivered { event_uuid, .. } = &raise.stage {
            self.intents.by_event.remove(event_uuid);
        }
        step.record(LedgerEvent::Completed {
            key: key.to_owned(),
            at_ms: step.now,
            outcome: ResultOutcome::Error(error.as_str().to_owned()),
        });
        step.respond_error(
            raise.raiser_conn,
            "raiseIntentResultResponse",
            &raise.request_uuid,
            error,
        );
    }

    pub(crate) fn intent_result(&mut self, r: &Request, step: &mut Step) {
        let event_uuid = opt_str(r.payload, "intentEventUuid").unwrap_or_default();
        let key = self.intents.by_event.get(event_uuid).cloned();
        let raise = key
            .as_ref()
            .and_then(|k| self.intents.by_key.get(k))
            .cloned();
        let Some(raise) = raise.filter(
            |x| matches!(&x.stage, Stage::Delivered { handler, .. } if *handler == r.instance_id),
        ) else {
            // Not a result this instance owes (unknown, already answered, or someone else's).
            r.fail(step, Fdc3Error::NoResultReturned);
            return;
        };
        // No `intentResult` at all is a void result, as `{}` is.
        let result = r.payload.get("intentResult").unwrap_or(&Value::Null);
        let outcome = match self.checked_result(result, &r.instance_id) {
            Ok(outcome) => outcome,
            Err(refusal) => {
                // The handler hears why; the raiser gets the handler's rejection, on record.
                tracing::warn!(handler = %r.instance_id, error = %refusal.as_str(), "refused an intent result");
                r.fail(step, refusal);
                self.fail_result(&raise.key, Fdc3Error::IntentHandlerRejected, step);
                return;
            }
        };
        if let ResultOutcome::Channel(channel) = &outcome {
            if let Some(id) = channel.get("id").and_then(Value::as_str) {
                self.channels.admit_to_private(id, &raise.raiser_instance);
            }
        }
        let wire_result = match &outcome {
            // The handler's own value: the outcome holds it as text, for the ledger.
            ResultOutcome::Context(_) => object([(
                "context",
                result.get("context").cloned().unwrap_or_default(),
            )]),
            ResultOutcome::Channel(c) => object([("channel", c.clone())]),
            _ => json!({}),
        };
        self.intents.by_event.remove(event_uuid);
        self.intents.by_key.remove(&raise.key);
        cancel_raise_timers(&raise.key, step);
        step.record(LedgerEvent::Completed {
            key: raise.key.clone(),
            at_ms: step.now,
            outcome,
        });
        step.respond(
            raise.raiser_conn,
            "raiseIntentResultResponse",
            &raise.request_uuid,
            object([("intentResult", wire_result)]),
        );
        r.reply(step, json!({}));
    }

    /// What a handler returned, if it may return it: a context valid as a raised one, or a
    /// channel that exists and that the handler may use (a private channel only by a party to
    /// it, or the handler could add the raiser to a conversation it has no part in).
    fn checked_result(&self, result: &Value, handler: &str) -> Result<ResultOutcome, Fdc3Error> {
        if let Some(context) = result.get("context").filter(|c| !c.is_null()) {
            validate_context(context).map_err(|_| Fdc3Error::MalformedContext)?;
            return Ok(ResultOutcome::Context(JsonText::of(context)));
        }
        let Some(channel) = result.get("channel").filter(|c| !c.is_null()) else {
            return Ok(ResultOutcome::Void);
        };
        let id = channel
            .get("id")
            .and_then(Value::as_str)
            .ok_or(Fdc3Error::MalformedMessage)?;
        self.usable_channel(id, handler)?;
        Ok(ResultOutcome::Channel(channel.clone()))
    }

    pub(crate) fn on_listener_deadline(&mut self, key: &str, step: &mut Step) {
        let waiting = self
            .intents
            .by_key
            .get(key)
            .is_some_and(|x| matches!(x.stage, Stage::AwaitingListener { .. }));
        if waiting {
            self.fail_raise(key, Fdc3Error::IntentDeliveryFailed, None, step);
        }
    }

    pub(crate) fn on_result_deadline(&mut self, key: &str, step: &mut Step) {
        let delivered = self
            .intents
            .by_key
            .get(key)
            .is_some_and(|x| matches!(x.stage, Stage::Delivered { .. }));
        if delivered {
            self.fail_result(key, Fdc3Error::NoResultReturned, step);
        }
    }

    /// A departed handler fails what it owed; a departed raiser's pending choice is withdrawn.
    pub(crate) fn raises_after_instance_ended(&mut self, instance: &Instance, step: &mut Step) {
        let id = &instance.instance_id;
        let affected: Vec<(String, Stage, bool)> = self
            .intents
            .by_key
            .values()
            .map(|x| (x.key.clone(), x.stage.clone(), x.raiser_instance == *id))
            .collect();
        for (key, stage, raiser_left) in affected {
            match stage {
                Stage::Delivered { handler, .. } if handler == *id => {
                    self.fail_result(&key, Fdc3Error::NoResultReturned, step)
                }
                Stage::AwaitingListener { option, .. }
                    if option.instance_id.as_deref() == Some(id) =>
                {
                    self.fail_raise(&key, Fdc3Error::IntentDeliveryFailed, None, step)
                }
                Stage::Resolving { resolver_id } if raiser_left => {
                    self.intents.pending_options.remove(&resolver_id);
                    self.resolver
                        .finish(&resolver_id, self.config.resolver_timeout_ms, step);
                    self.fail_raise(
                        &key,
                        Fdc3Error::UserCancelled,
                        Some(Resolution::Cancelled),
                        step,
                    );
                }
                _ => {}
            }
        }
    }

    /// A launched instance connected: deliver the raise it was started for (waiting for its
    /// intent listener as for any instance).
    pub(crate) fn deliver_to_instance(
        &mut self,
        key: &str,
        intent: &str,
        app_id: &str,
        instance_id: &str,
        resolution: Resolution,
        step: &mut Step,
    ) {
        let option = RaiseOption {
            intent: intent.to_owned(),
            app_id: app_id.to_owned(),
            instance_id: Some(instance_id.to_owned()),
        };
        self.deliver(key, option, resolution, step);
    }

    /// The app started for a raise never connected (or could not be started).
    pub(crate) fn fail_launch_raise(&mut self, key: &str, step: &mut Step) {
        self.fail_raise(key, Fdc3Error::IntentDeliveryFailed, None, step);
    }
}

/// The first block of an id, enough to tell instances apart in the dialog.
fn short_id(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

/// A raise is over: its deadlines (if set) are not kept waiting for minutes.
fn cancel_raise_timers(key: &str, step: &mut Step) {
    let key = key.to_owned();
    step.effects
        .push(Effect::CancelTimer(Timer::ListenerDeadline {
            key: key.clone(),
        }));
    step.effects
        .push(Effect::CancelTimer(Timer::ResultDeadline { key }));
}
