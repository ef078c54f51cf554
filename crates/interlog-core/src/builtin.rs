//! The apps that come with Interlog, as an AppD v2 document loaded before any other source (so
//! no other directory can take their ids).

/// The built-in Interaction Log: handles CreateInteraction and stores the interaction.
pub const LOG_APP_ID: &str = "interlog.log";
pub const LOG_IDENTITY_URL: &str = "https://interlog.local/log";
/// Interlog's history window as an app: handles ViewInteractions by showing the history
/// filtered to the contact (or contacts, or organisation) it is given.
pub const HISTORY_APP_ID: &str = "interlog.history";
pub const HISTORY_IDENTITY_URL: &str = "https://interlog.local/history";
/// The `interlog raise` command line, a raiser.
pub const CLI_APP_ID: &str = "interlog.cli";
pub const CLI_IDENTITY_URL: &str = "https://interlog.local/cli";
/// Interlog's own window, which can raise the FDC3 example interaction.
pub const UI_APP_ID: &str = "interlog.ui";
pub const UI_IDENTITY_URL: &str = "https://interlog.local/ui";

/// Identities only Interlog's own code may take: a process on the socket that could connect as
/// the interaction log would be offered in the resolver as Interlog's log. (The command line
/// connects over the socket as `interlog.cli`.)
pub fn in_process_only(app_id: &str) -> bool {
    matches!(app_id, LOG_APP_ID | UI_APP_ID | HISTORY_APP_ID)
}

/// Interlog's own apps (the directory's built-in records): the launcher does not list them.
pub fn is_builtin(app_id: &str) -> bool {
    matches!(app_id, LOG_APP_ID | HISTORY_APP_ID | CLI_APP_ID | UI_APP_ID)
}

/// Built-in apps that only raise: they may never handle an intent (the command line connects
/// over the socket, so a process posing as it must not be offered in the resolver).
pub fn raises_only(app_id: &str) -> bool {
    matches!(app_id, CLI_APP_ID | UI_APP_ID)
}

pub const BUILTIN_APPD: &str = r#"{"applications": [
  {
    "appId": "interlog.log",
    "title": "Interlog interaction log",
    "description": "Records the interaction in Interlog's own history, searchable at any time.",
    "type": "other",
    "details": {"url": "https://interlog.local/log"},
    "icons": [{"src": "data:image/svg+xml;base64,PHN2ZyB4bWxucz0naHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmcnIHdpZHRoPSczMicgaGVpZ2h0PSczMicgdmlld0JveD0nMCAwIDMyIDMyJz48cmVjdCB4PSc1JyB5PSczJyB3aWR0aD0nMjInIGhlaWdodD0nMjYnIHJ4PSczJyBmaWxsPScjMmY2ZmRlJy8+PHJlY3QgeD0nOScgeT0nOCcgd2lkdGg9JzE0JyBoZWlnaHQ9JzIuNScgcng9JzEnIGZpbGw9JyNmZmYnLz48cmVjdCB4PSc5JyB5PScxNCcgd2lkdGg9JzE0JyBoZWlnaHQ9JzIuNScgcng9JzEnIGZpbGw9JyNmZmYnLz48cmVjdCB4PSc5JyB5PScyMCcgd2lkdGg9JzknIGhlaWdodD0nMi41JyByeD0nMScgZmlsbD0nI2ZmZicvPjwvc3ZnPg==", "size": "32x32", "type": "image/svg+xml"}],
    "interop": {"intents": {"listensFor": {
      "CreateInteraction": {"contexts": ["fdc3.interaction", "fdc3.contactList"], "resultType": "fdc3.transactionResult", "displayName": "Create Interaction"}
    }}}
  },
  {
    "appId": "interlog.history",
    "title": "Interlog history",
    "description": "Shows the interactions logged with a contact, a list of contacts or an organisation.",
    "type": "other",
    "details": {"url": "https://interlog.local/history"},
    "icons": [{"src": "data:image/svg+xml;base64,PHN2ZyB4bWxucz0naHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmcnIHdpZHRoPSczMicgaGVpZ2h0PSczMicgdmlld0JveD0nMCAwIDMyIDMyJz48Y2lyY2xlIGN4PScxNicgY3k9JzE2JyByPScxMycgZmlsbD0nIzJmNmZkZScvPjxwYXRoIGQ9J00xNiA5djhsNSAzJyBzdHJva2U9JyNmZmYnIHN0cm9rZS13aWR0aD0nMi41JyBmaWxsPSdub25lJyBzdHJva2UtbGluZWNhcD0ncm91bmQnLz48L3N2Zz4=", "size": "32x32", "type": "image/svg+xml"}],
    "interop": {"intents": {"listensFor": {
      "ViewInteractions": {"contexts": ["fdc3.contact", "fdc3.contactList", "fdc3.organization"], "displayName": "View Interactions"}
    }}}
  },
  {
    "appId": "interlog.cli",
    "title": "Interlog command line",
    "description": "The `interlog raise` command.",
    "type": "other",
    "details": {"url": "https://interlog.local/cli"},
    "interop": {"intents": {"raises": {"CreateInteraction": ["fdc3.interaction", "fdc3.contactList"]}}}
  },
  {
    "appId": "interlog.ui",
    "title": "Interlog",
    "description": "Interlog's history window.",
    "type": "other",
    "details": {"url": "https://interlog.local/ui"},
    "interop": {"intents": {"raises": {"CreateInteraction": ["fdc3.interaction"]}}}
  }
]}"#;
