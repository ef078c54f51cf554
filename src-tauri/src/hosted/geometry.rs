//! Where each app's window was, so the next launch of the app opens at the same size and place.
//! Kept in `windows.json` in the data folder (`{"appId": {"x":…,"y":…,"width":…,"height":…}}`);
//! a file that cannot be read is reported and ignored, the defaults apply.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Bounds {
    /// Too small to use or absurdly far away: not worth restoring.
    fn usable(&self) -> bool {
        self.width >= 200.0
            && self.height >= 150.0
            && self.width <= 20_000.0
            && self.height <= 20_000.0
            && self.x.abs() <= 50_000.0
            && self.y.abs() <= 50_000.0
    }
}

pub struct Geometry {
    path: PathBuf,
    by_app: Mutex<HashMap<String, Bounds>>,
}

impl Geometry {
    pub fn load(data_dir: &std::path::Path) -> Geometry {
        let path = data_dir.join("windows.json");
        let by_app = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(file = %path.display(), error = %e, "window positions ignored");
                HashMap::new()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "window positions unreadable");
                HashMap::new()
            }
        };
        Geometry {
            path,
            by_app: Mutex::new(by_app),
        }
    }

    pub fn get(&self, app_id: &str) -> Option<Bounds> {
        let map = self.by_app.lock().ok()?;
        map.get(app_id).copied().filter(Bounds::usable)
    }

    /// Remembers where the app's window was and writes the file (replaced whole, so a crash
    /// mid-write leaves the previous one).
    pub fn remember(&self, app_id: &str, bounds: Bounds) {
        if !bounds.usable() {
            return;
        }
        let text = {
            let Ok(mut map) = self.by_app.lock() else {
                return;
            };
            map.insert(app_id.to_owned(), bounds);
            serde_json::to_string_pretty(&*map).unwrap_or_default()
        };
        let tmp = self.path.with_extension("json.tmp");
        let written = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            tracing::warn!(file = %self.path.display(), error = %e, "cannot remember window positions");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_per_app_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let g = Geometry::load(dir.path());
        assert_eq!(g.get("crm"), None);
        let b = Bounds {
            x: 40.0,
            y: 60.0,
            width: 900.0,
            height: 700.0,
        };
        g.remember("crm", b);
        g.remember("tiny", Bounds { width: 10.0, ..b });
        let again = Geometry::load(dir.path());
        assert_eq!(again.get("crm"), Some(b));
        assert_eq!(again.get("tiny"), None);
    }

    #[test]
    fn a_corrupt_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("windows.json"), "{not json").unwrap();
        let g = Geometry::load(dir.path());
        assert_eq!(g.get("crm"), None);
    }
}
