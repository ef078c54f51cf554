//! The TypeScript declarations of what the windows exchange with the backend, generated from the
//! Rust types so the two cannot drift apart. `ui/src/ipc/generated.ts` is the committed output; a
//! test fails when it is out of date, and `UPDATE_UI_TYPES=1 cargo test -p interlog --lib
//! ui_types` rewrites it.

use interlog_core::agent::{
    RaiserRef, RememberedChoice, ResolverApp, ResolverChoice, ResolverOption, ResolverView,
};
use interlog_store::{
    ChartStack, DayCount, HistoryDetail, HistoryOutcome, HistoryQuery, HistoryRow, Person,
};
use ts_rs::{Config, TS};

use crate::commands::{CommandError, RaisedExample};
use crate::export::Format as ExportFormat;
use crate::launcher::{AppKind, ChannelBadge, LauncherApp, LauncherInstance, LauncherView};
use crate::retention::RetentionView;
use crate::sources::{SourceCheck, SourcesView};
use crate::window_export::{ExportDone, ExportProgress};
use crate::windows::{HistorySearch, OwnWindow};

/// Where the declarations go, from the repository root.
pub const GENERATED_PATH: &str = "ui/src/ipc/generated.ts";

/// The whole generated file.
pub fn typescript() -> String {
    // Millisecond timestamps and row ids are i64 in Rust but stay far below 2^53: plain numbers.
    let cfg = Config::new().with_large_int("number");
    let declarations = [
        HistoryQuery::decl(&cfg),
        HistoryOutcome::decl(&cfg),
        Person::decl(&cfg),
        HistoryRow::decl(&cfg),
        HistoryDetail::decl(&cfg),
        ChartStack::decl(&cfg),
        DayCount::decl(&cfg),
        ExportFormat::decl(&cfg),
        ExportProgress::decl(&cfg),
        ExportDone::decl(&cfg),
        RaiserRef::decl(&cfg),
        ResolverOption::decl(&cfg),
        ResolverApp::decl(&cfg),
        ResolverView::decl(&cfg),
        ResolverChoice::decl(&cfg),
        RaisedExample::decl(&cfg),
        CommandError::decl(&cfg),
        LauncherView::decl(&cfg),
        LauncherApp::decl(&cfg),
        AppKind::decl(&cfg),
        LauncherInstance::decl(&cfg),
        ChannelBadge::decl(&cfg),
        OwnWindow::decl(&cfg),
        HistorySearch::decl(&cfg),
        SourcesView::decl(&cfg),
        SourceCheck::decl(&cfg),
        RememberedChoice::decl(&cfg),
        RetentionView::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/ui_types.rs: do not edit.\n\
         // Regenerate with `UPDATE_UI_TYPES=1 cargo test -p interlog --lib ui_types`.\n",
    );
    for declaration in declarations {
        out.push('\n');
        out.push_str("export ");
        out.push_str(&declaration);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn ui_types_match_the_rust_types() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED_PATH);
        let wanted = typescript();
        if std::env::var_os("UPDATE_UI_TYPES").is_some() {
            std::fs::write(&path, &wanted).expect("write the generated types");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == wanted,
            "{GENERATED_PATH} is out of date with the Rust types; regenerate it with \
             `UPDATE_UI_TYPES=1 cargo test -p interlog --lib ui_types`"
        );
    }
}
