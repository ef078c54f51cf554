//! The FDC3 error strings an agent sends in `payload.error`.
//!
//! These are protocol outcomes (data on the wire), not Rust errors. Variant names follow the
//! FDC3 enum members; the wire strings are spelled out explicitly because they differ in places
//! (`ResolveError.UserCancelled` is sent as `"UserCancelledResolution"`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Fdc3Error {
    #[serde(rename = "AppNotFound")]
    AppNotFound,
    #[serde(rename = "ErrorOnLaunch")]
    ErrorOnLaunch,
    #[serde(rename = "AppTimeout")]
    AppTimeout,
    #[serde(rename = "ResolverUnavailable")]
    ResolverUnavailable,
    #[serde(rename = "MalformedContext")]
    MalformedContext,
    #[serde(rename = "NoAppsFound")]
    NoAppsFound,
    #[serde(rename = "UserCancelledResolution")]
    UserCancelled,
    #[serde(rename = "ResolverTimeout")]
    ResolverTimeout,
    #[serde(rename = "TargetAppUnavailable")]
    TargetAppUnavailable,
    #[serde(rename = "TargetInstanceUnavailable")]
    TargetInstanceUnavailable,
    #[serde(rename = "IntentDeliveryFailed")]
    IntentDeliveryFailed,
    #[serde(rename = "NoResultReturned")]
    NoResultReturned,
    #[serde(rename = "IntentHandlerRejected")]
    IntentHandlerRejected,
    #[serde(rename = "NoChannelFound")]
    NoChannelFound,
    #[serde(rename = "AccessDenied")]
    AccessDenied,
    #[serde(rename = "CreationFailed")]
    CreationFailed,
    #[serde(rename = "ApiTimeout")]
    ApiTimeout,
    /// A request that does not fit its schema (the contract answers it with this string).
    #[serde(rename = "MalformedMessage")]
    MalformedMessage,
}

impl Fdc3Error {
    pub const ALL: [Fdc3Error; 18] = [
        Fdc3Error::AppNotFound,
        Fdc3Error::ErrorOnLaunch,
        Fdc3Error::AppTimeout,
        Fdc3Error::ResolverUnavailable,
        Fdc3Error::MalformedContext,
        Fdc3Error::NoAppsFound,
        Fdc3Error::UserCancelled,
        Fdc3Error::ResolverTimeout,
        Fdc3Error::TargetAppUnavailable,
        Fdc3Error::TargetInstanceUnavailable,
        Fdc3Error::IntentDeliveryFailed,
        Fdc3Error::NoResultReturned,
        Fdc3Error::IntentHandlerRejected,
        Fdc3Error::NoChannelFound,
        Fdc3Error::AccessDenied,
        Fdc3Error::CreationFailed,
        Fdc3Error::ApiTimeout,
        Fdc3Error::MalformedMessage,
    ];

    /// The exact string sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Fdc3Error::AppNotFound => "AppNotFound",
            Fdc3Error::ErrorOnLaunch => "ErrorOnLaunch",
            Fdc3Error::AppTimeout => "AppTimeout",
            Fdc3Error::ResolverUnavailable => "ResolverUnavailable",
            Fdc3Error::MalformedContext => "MalformedContext",
            Fdc3Error::NoAppsFound => "NoAppsFound",
            Fdc3Error::UserCancelled => "UserCancelledResolution",
            Fdc3Error::ResolverTimeout => "ResolverTimeout",
            Fdc3Error::TargetAppUnavailable => "TargetAppUnavailable",
            Fdc3Error::TargetInstanceUnavailable => "TargetInstanceUnavailable",
            Fdc3Error::IntentDeliveryFailed => "IntentDeliveryFailed",
            Fdc3Error::NoResultReturned => "NoResultReturned",
            Fdc3Error::IntentHandlerRejected => "IntentHandlerRejected",
            Fdc3Error::NoChannelFound => "NoChannelFound",
            Fdc3Error::AccessDenied => "AccessDenied",
            Fdc3Error::CreationFailed => "CreationFailed",
            Fdc3Error::ApiTimeout => "ApiTimeout",
            Fdc3Error::MalformedMessage => "MalformedMessage",
        }
    }
}

impl std::fmt::Display for Fdc3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_and_as_str_agree_for_every_variant() {
        for e in Fdc3Error::ALL {
            let wire = serde_json::to_value(e).unwrap();
            assert_eq!(wire, serde_json::Value::String(e.as_str().to_owned()));
            let back: Fdc3Error = serde_json::from_value(wire).unwrap();
            assert_eq!(back, e);
        }
        assert_eq!(Fdc3Error::UserCancelled.as_str(), "UserCancelledResolution");
    }
}
