//! A static file server for the bundled sample apps, on 127.0.0.1 only: GET and HEAD of the
//! files built into the binary, nothing else.

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::{directory, origin, FILES, PREFERRED_PORT};

/// Binds the server (the preferred port, else any free one) and serves in the background for
/// as long as the runtime runs. Returns the address it listens on.
pub async fn serve() -> std::io::Result<SocketAddr> {
    let listener = match TcpListener::bind(("127.0.0.1", PREFERRED_PORT)).await {
        Ok(l) => l,
        Err(e) => {
            tracing::info!(port = PREFERRED_PORT, error = %e, "sample apps: preferred port taken, using another");
            TcpListener::bind(("127.0.0.1", 0)).await?
        }
    };
    let addr = listener.local_addr()?;
    let appd = directory(&origin(addr));
    tokio::spawn(async move {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    // Out of descriptors, say: wait a moment rather than spin.
                    tracing::warn!(error = %e, "sample apps: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let appd = appd.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let appd = appd.clone();
                    async move { Ok::<_, Infallible>(respond(&req, &appd)) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(std::time::Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), service);
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "sample apps: connection ended");
                }
            });
        }
    });
    tracing::info!(url = %origin(addr), "sample apps served");
    Ok(addr)
}

fn respond(req: &Request<Incoming>, appd: &str) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "GET only");
    }
    let path = req.uri().path();
    let (body, content_type) = match file(path) {
        Some(File::Directory) => (Bytes::from(appd.to_owned()), "application/json"),
        Some(File::Static(name, bytes)) => (Bytes::from_static(bytes), content_type(name)),
        None => return plain(StatusCode::NOT_FOUND, "not found"),
    };
    let mut response = Response::new(if req.method() == Method::HEAD {
        Full::new(Bytes::new())
    } else {
        Full::new(body)
    });
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

enum File {
    /// The sample directory, with this server's origin in its URLs.
    Directory,
    Static(&'static str, &'static [u8]),
}

/// The file a request path names: `/chat/` is `chat/index.html`; `/appd.json` and `/v2/apps`
/// are the directory. Paths with `..` or a `\` name nothing.
fn file(path: &str) -> Option<File> {
    let path = path.trim_start_matches('/');
    if path == "appd.json" || path == "v2/apps" || path == "v2/apps/" {
        return Some(File::Directory);
    }
    if path.split('/').any(|seg| seg == ".." || seg == ".") || path.contains('\\') {
        return None;
    }
    let name = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_owned()
    };
    let f = FILES.get_file(&name)?;
    let name: &'static str = f.path().to_str()?;
    Some(File::Static(name, f.contents()))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_only_bundled_files() {
        assert!(matches!(
            file("/chat/"),
            Some(File::Static("chat/index.html", _))
        ));
        assert!(matches!(file("/v2/apps"), Some(File::Directory)));
        assert!(file("/chat/../../etc/passwd").is_none());
        assert!(file("/nothing-here.js").is_none());
        assert_eq!(content_type("chat/index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/x.js"),
            "text/javascript; charset=utf-8"
        );
    }
}
