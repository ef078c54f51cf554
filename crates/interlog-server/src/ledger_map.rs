//! The core says what happened to a raise; the store keeps it. This maps one onto the other.

use interlog_core::agent::LedgerEvent;
use interlog_store::{LedgerWrite, RaiseRecord};

pub fn to_write(event: LedgerEvent) -> LedgerWrite {
    match event {
        LedgerEvent::Raised {
            key,
            at_ms,
            raiser_app,
            raiser_instance,
            request_uuid,
            intent,
            context,
            target,
            candidates,
        } => LedgerWrite::Raised(RaiseRecord {
            raise_key: key,
            raised_at_ms: at_ms,
            raiser_app,
            raiser_instance,
            request_uuid,
            intent,
            context,
            target,
            candidates,
        }),
        LedgerEvent::Resolved {
            key,
            at_ms,
            resolution: r,
            handler_app,
            handler_instance,
        } => LedgerWrite::Resolved {
            raise_key: key,
            at_ms,
            resolution: r,
            handler_app,
            handler_instance,
        },
        LedgerEvent::Delivered { key, at_ms } => LedgerWrite::Delivered {
            raise_key: key,
            at_ms,
        },
        LedgerEvent::Completed {
            key,
            at_ms,
            outcome,
        } => LedgerWrite::Completed {
            raise_key: key,
            at_ms,
            outcome,
        },
    }
}
