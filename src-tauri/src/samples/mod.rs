//! The sample apps (chat, two CRMs, contacts), built from `ui/samples` into `ui/dist-samples`
//! and compiled into the binary, served by Interlog itself on localhost: they work without
//! any network, and opening them needs nothing but Interlog.
//!
//! The directory of the samples is the named source [`SAMPLES_SOURCE`] (`interlog:samples`),
//! usable wherever a directory file or URL is (`--appd`, the settings): its URLs are made for
//! the port the server got.

mod server;

use std::net::SocketAddr;

use include_dir::{include_dir, Dir};

pub use server::serve;

/// The name of the bundled sample directory as a directory source.
pub const SAMPLES_SOURCE: &str = "interlog:samples";

/// The port the samples are served on when it is free (their origin, and so what they keep in
/// their storage, stays the same from one start to the next); any free port otherwise.
pub const PREFERRED_PORT: u16 = 4471;

/// What `ui/dist-samples` held when the binary was built.
pub(crate) static FILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/ui/dist-samples");

/// The placeholder for the server's origin in the bundled `appd.json`.
const ORIGIN_PLACEHOLDER: &str = "{{origin}}";

/// The samples' origin when served at `addr`.
pub fn origin(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// The sample directory (AppD v2) with its URLs on `origin`.
pub fn directory(origin: &str) -> String {
    FILES
        .get_file("appd.json")
        .and_then(|f| f.contents_utf8())
        .unwrap_or(r#"{"applications": []}"#)
        .replace(ORIGIN_PLACEHOLDER, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_directory_names_every_sample_on_the_origin() {
        let text = directory("http://127.0.0.1:4471");
        assert!(!text.contains(ORIGIN_PLACEHOLDER));
        let mut d = interlog_core::Directory::new();
        let skipped = d
            .add_json(SAMPLES_SOURCE, &text)
            .expect("a valid AppD document");
        assert!(skipped.is_empty(), "records skipped: {skipped:?}");
        for id in [
            "interlog.sample.chat",
            "interlog.sample.crm-harbor",
            "interlog.sample.crm-summit",
            "interlog.sample.contacts",
        ] {
            let app = d.get(id).unwrap_or_else(|| panic!("{id} missing"));
            let url = app.url().expect("a web app has a url");
            assert!(url.starts_with("http://127.0.0.1:4471/"), "{url}");
            let path = url.trim_start_matches("http://127.0.0.1:4471/");
            assert!(
                FILES.get_file(format!("{path}index.html")).is_some(),
                "{id}: no page at {path}"
            );
        }
    }
}
