//! App icons for the resolver dialog, fetched by the agent instead of the window.
//!
//! The windows run under a CSP that allows images only from the app itself and `data:` URLs, so a
//! webview never contacts a host an app directory names. The agent fetches each directory app's
//! icon once, in the background after start (size-capped, images only, short timeout), and the
//! resolver view carries it inlined as a `data:` URL. An icon not fetched (yet, or at all) is left
//! out of the view, and the window shows the app's letter avatar instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use interlog_core::agent::ResolverView;
use interlog_core::Directory;

/// Icons larger than this are not shown (an icon is a few KB; this bounds memory and the view).
pub const MAX_ICON_BYTES: u64 = 256 * 1024;
/// Per icon, for the whole request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an icon is not shown (logged; the window falls back to the letter avatar).
#[derive(Debug, thiserror::Error)]
enum IconError {
    #[error(transparent)]
    Http(#[from] ureq::Error),
    #[error("not an image (content-type {0:?})")]
    NotAnImage(String),
    #[error("empty response")]
    Empty,
}

#[derive(Debug, Clone)]
enum Fetched {
    /// The icon as a `data:` URL.
    Ready(String),
    Failed,
}

/// Icon URL → what fetching it gave. Cloning shares the cache.
#[derive(Debug, Clone, Default)]
pub struct IconCache {
    icons: Arc<Mutex<HashMap<String, Fetched>>>,
}

/// The http(s) icon URLs of a directory's apps (`data:` icons need no fetching).
pub fn remote_icons(directory: &Directory) -> Vec<String> {
    let mut urls: Vec<String> = directory
        .apps()
        .filter_map(|app| app.icon())
        .map(str::trim)
        .filter(|src| is_remote(src))
        .map(str::to_owned)
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

fn is_remote(src: &str) -> bool {
    let lower = src.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

impl IconCache {
    /// Fetches `urls` one after another on a background thread; the cache fills as they arrive.
    pub fn fetch_in_background(urls: Vec<String>) -> IconCache {
        let cache = IconCache::default();
        cache.fetch(urls);
        cache
    }

    /// Fetches those of `urls` not fetched yet (a directory added later), in the background.
    pub fn fetch(&self, urls: Vec<String>) {
        let urls: Vec<String> = {
            let known = self.lock();
            urls.into_iter()
                .filter(|u| !known.contains_key(u))
                .collect()
        };
        if urls.is_empty() {
            return;
        }
        let filling = self.clone();
        let spawned = std::thread::Builder::new()
            .name("interlog-icons".into())
            .spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .timeout_global(Some(FETCH_TIMEOUT))
                    .build()
                    .into();
                for url in urls {
                    let fetched = match fetch(&agent, &url) {
                        Ok(data_url) => Fetched::Ready(data_url),
                        Err(problem) => {
                            tracing::info!(%url, %problem, "app icon not shown");
                            Fetched::Failed
                        }
                    };
                    filling.lock().insert(url, fetched);
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start fetching app icons; letter avatars are shown");
        }
    }

    /// What a window may show for icon `src`: a fetched remote icon as its `data:` URL, a
    /// `data:image/` icon as it is; nothing for one not fetched (yet) or of another kind.
    pub fn data_url(&self, src: &str) -> Option<String> {
        let src = src.trim();
        if is_remote(src) {
            match self.lock().get(src) {
                Some(Fetched::Ready(data_url)) => Some(data_url.clone()),
                Some(Fetched::Failed) | None => None,
            }
        } else if src.to_ascii_lowercase().starts_with("data:image/") {
            Some(src.to_owned())
        } else {
            None
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Fetched>> {
        // A panic while inserting leaves the map itself intact.
        self.icons.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The view as the window may show it: remote icons replaced by their fetched `data:` URL, or
    /// dropped if there is none; `data:` icons kept.
    pub fn inline(&self, mut view: ResolverView) -> ResolverView {
        for app in &mut view.apps {
            app.icon = app.icon.take().and_then(|src| self.data_url(&src));
        }
        view
    }
}

/// One icon as a `data:` URL, or why not.
fn fetch(agent: &ureq::Agent, url: &str) -> Result<String, IconError> {
    let mut response = agent.get(url).header("Accept", "image/*").call()?;
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !content_type.starts_with("image/") {
        return Err(IconError::NotAnImage(content_type));
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_ICON_BYTES)
        .read_to_vec()?;
    if bytes.is_empty() {
        return Err(IconError::Empty);
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(format!("data:{content_type};base64,{encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use interlog_core::agent::{RaiserRef, ResolverApp};
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Instant;

    /// A one-connection-at-a-time HTTP server answering every request with the response `path`
    /// maps to; returns its base URL.
    fn serve(routes: Vec<(&'static str, &'static str, Vec<u8>)>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request = [0u8; 4096];
                let n = stream.read(&mut request).unwrap_or(0);
                let line = String::from_utf8_lossy(&request[..n]);
                let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                let (content_type, body) = routes
                    .iter()
                    .find(|(p, _, _)| *p == path)
                    .map(|(_, ct, body)| (*ct, body.clone()))
                    .unwrap_or(("text/plain", b"not found".to_vec()));
                let status = if routes.iter().any(|(p, _, _)| *p == path) {
                    "200 OK"
                } else {
                    "404 Not Found"
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        base
    }

    fn view(icons: &[Option<String>]) -> ResolverView {
        ResolverView {
            id: "r1".into(),
            intent: Some("CreateInteraction".into()),
            raiser: RaiserRef {
                app_id: "chat".into(),
                title: "Chat".into(),
                instance_id: "i1".into(),
            },
            context: serde_json::json!({"type": "fdc3.nothing"}),
            deadline_ms: 0,
            timeout_ms: 0,
            queued: 0,
            apps: icons
                .iter()
                .enumerate()
                .map(|(i, icon)| ResolverApp {
                    app_id: format!("app{i}"),
                    title: format!("App {i}"),
                    description: None,
                    icon: icon.clone(),
                    options: Vec::new(),
                })
                .collect(),
        }
    }

    fn wait_until_fetched(cache: &IconCache, count: usize) {
        let started = Instant::now();
        while cache.lock().len() < count {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "icons never fetched"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn remote_icons_are_inlined_and_anything_else_is_dropped() {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-not-really-but-bytes";
        let base = serve(vec![
            ("/crm.png", "image/png", PNG.to_vec()),
            (
                "/page.html",
                "text/html; charset=utf-8",
                b"<script>x</script>".to_vec(),
            ),
            (
                "/huge.png",
                "image/png",
                vec![0u8; MAX_ICON_BYTES as usize + 1],
            ),
        ]);
        let url = |path: &str| format!("{base}{path}");
        let cache = IconCache::fetch_in_background(vec![
            url("/crm.png"),
            url("/page.html"),
            url("/huge.png"),
            url("/missing.png"),
        ]);
        wait_until_fetched(&cache, 4);

        let shown = cache.inline(view(&[
            Some(url("/crm.png")),
            Some(url("/page.html")),
            Some(url("/huge.png")),
            Some(url("/missing.png")),
            Some("https://never.fetched.example/icon.png".into()),
            Some("data:image/svg+xml;base64,PHN2Zy8+".into()),
            Some("javascript:alert(1)".into()),
            None,
        ]));
        let icons: Vec<Option<String>> = shown.apps.into_iter().map(|a| a.icon).collect();
        let expected_png = format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(PNG)
        );
        assert_eq!(
            icons,
            vec![
                Some(expected_png),
                None, // not an image
                None, // over the size cap
                None, // 404
                None, // never fetched
                Some("data:image/svg+xml;base64,PHN2Zy8+".into()),
                None, // not an image source at all
                None,
            ]
        );
    }

    #[test]
    fn only_remote_directory_icons_are_fetched_once_each() {
        let mut directory = Directory::new();
        let appd = serde_json::json!({"applications": [
            {"appId": "a", "title": "A", "type": "web", "details": {"url": "https://a.example/"},
             "icons": [{"src": "https://icons.example/a.png"}]},
            {"appId": "b", "title": "B", "type": "web", "details": {"url": "https://b.example/"},
             "icons": [{"src": " https://icons.example/a.png "}, {"src": "https://icons.example/b2.png"}]},
            {"appId": "c", "title": "C", "type": "web", "details": {"url": "https://c.example/"},
             "icons": [{"src": "data:image/png;base64,AAAA"}]},
            {"appId": "d", "title": "D", "type": "web", "details": {"url": "https://d.example/"}}
        ]});
        let skipped = directory
            .add_json("test", &appd.to_string())
            .expect("directory");
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(
            remote_icons(&directory),
            vec!["https://icons.example/a.png"]
        );
    }
}
