fn main() {
    // The app package's manifest sits at the repository root, so point tauri-build at the
    // capability files under src-tauri/ explicitly. Every command is declared, so none is
    // callable unless a capability grants it: the history and resolver windows get Interlog's
    // own commands (capabilities/default.json); an app's page gets only `hosted_post` and
    // `hosted_close`, granted per window at run time for the app's origin (src/hosted).
    // The sample apps are compiled in (src/samples): rebuild when they are rebuilt.
    println!("cargo:rerun-if-changed=ui/dist-samples");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(&[
                "history_list",
                "history_detail",
                "history_unconfirmed",
                "history_count",
                "history_people",
                "history_resend",
                "history_chart",
                "history_export",
                "history_export_cancel",
                "history_export_suggest",
                "history_export_choose",
                "ledger_health",
                "resolver_current",
                "resolver_choose",
                "raise_example",
                "launcher_view",
                "launcher_open",
                "instance_focus",
                "instance_close",
                "window_show",
                "sources_list",
                "sources_check",
                "sources_add",
                "sources_remove",
                "remembered_list",
                "remembered_remove",
                "retention_view",
                "retention_preview",
                "retention_set",
                "hosted_post",
                "hosted_close",
            ])),
    )
    .expect("failed to run tauri-build");
}
