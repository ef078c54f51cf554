//! The resolver queue: raises waiting for the user to choose a handler.
//!
//! One request is shown at a time; others wait behind it in order, so simultaneous raises never
//! overwrite each other. A request's countdown starts when it is shown, not when it was queued.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::{Effect, Step, Timer};
use crate::message::Millis;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResolverOption {
    /// The number the UI sends back to pick this option.
    pub option: usize,
    pub intent: String,
    /// `None`: start a new instance of the app.
    pub instance_id: Option<String>,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResolverApp {
    pub app_id: String,
    pub title: String,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub options: Vec<ResolverOption>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RaiserRef {
    pub app_id: String,
    pub title: String,
    pub instance_id: String,
}

/// Everything the resolver dialog shows for one request.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResolverView {
    pub id: String,
    /// `None` for `raiseIntentForContext`: each option carries its intent.
    pub intent: Option<String>,
    pub raiser: RaiserRef,
    #[ts(type = "unknown")]
    pub context: Value,
    pub deadline_ms: Millis,
    pub timeout_ms: Millis,
    /// How many further requests wait behind this one.
    pub queued: usize,
    pub apps: Vec<ResolverApp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ResolverChoice {
    Pick {
        option: usize,
    },
    /// Pick, and from now on answer the same question (intent, context type, raiser) with the
    /// same app without asking.
    PickAndRemember {
        option: usize,
    },
    Cancel,
}

#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub view: ResolverView,
    /// The raise this request belongs to.
    pub raise_key: String,
}

#[derive(Debug, Default)]
pub struct ResolverQueue {
    queue: VecDeque<Queued>,
}

impl ResolverQueue {
    pub fn current_view(&self) -> Option<ResolverView> {
        self.queue.front().map(|q| {
            let mut v = q.view.clone();
            v.queued = self.queue.len() - 1;
            v
        })
    }

    pub(crate) fn raise_key(&self, id: &str) -> Option<&str> {
        self.queue
            .iter()
            .find(|q| q.view.id == id)
            .map(|q| q.raise_key.as_str())
    }

    pub(crate) fn is_shown(&self, id: &str) -> bool {
        self.queue.front().is_some_and(|q| q.view.id == id)
    }

    pub(crate) fn enqueue(&mut self, mut item: Queued, timeout_ms: Millis, step: &mut Step) {
        let show_now = self.queue.is_empty();
        if show_now {
            item.view.deadline_ms = step.now + timeout_ms;
            step.timer(
                item.view.deadline_ms,
                Timer::ResolverDeadline {
                    id: item.view.id.clone(),
                },
            );
        }
        self.queue.push_back(item);
        // Either the new request, or the shown one with its waiting count updated.
        step.effects
            .push(Effect::ResolverChanged(self.current_view()));
    }

    /// Removes request `id`; if it was the one shown, the next one is shown with a fresh
    /// countdown.
    pub(crate) fn finish(
        &mut self,
        id: &str,
        timeout_ms: Millis,
        step: &mut Step,
    ) -> Option<Queued> {
        let pos = self.queue.iter().position(|q| q.view.id == id)?;
        let removed = self.queue.remove(pos);
        if pos == 0 {
            if let Some(next) = self.queue.front_mut() {
                next.view.deadline_ms = step.now + timeout_ms;
                step.timer(
                    next.view.deadline_ms,
                    Timer::ResolverDeadline {
                        id: next.view.id.clone(),
                    },
                );
            }
        }
        step.effects
            .push(Effect::ResolverChanged(self.current_view()));
        removed
    }
}
