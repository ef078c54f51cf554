fn main() {
    // The app package's manifest sits at the repository root, so point tauri-build at the
    // capability files under src-tauri/ explicitly.
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*"),
    )
    .expect("failed to run tauri-build");
}
