//! The current time, injected so that scenarios can move it (rate-limit windows, retries,
//! token expiry) without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, FixedOffset, Utc};

#[derive(Clone, Default)]
pub struct Clock {
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    #[must_use]
    pub fn now(&self) -> DateTime<FixedOffset> {
        let offset = *self
            .offset
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (Utc::now() + offset).fixed_offset()
    }

    /// Moves this clock forward (tests and scenarios only).
    pub fn advance(&self, by: Duration) {
        let mut offset = self
            .offset
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *offset += by;
    }
}

/// The clock of the running application.
#[must_use]
pub fn of(ctx: &loco_rs::app::AppContext) -> Clock {
    ctx.shared_store.get::<Clock>().unwrap_or_default()
}
