//! A bare Tauri 2 app: one window, one static page, no commands. The yardstick for Interlog's
//! start-up time and memory.

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the bare app failed to run");
}
