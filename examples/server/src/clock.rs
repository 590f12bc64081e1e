//! Wall-clock helpers: milliseconds since the epoch in the database,
//! RFC 3339 strings on the wire, and the server's [`Clock`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

/// The server's "now" for what a conversation's life depends on (message
/// and life-cycle times, availability and hours, the rating change window,
/// idle close): the system clock, or a time a test sets through
/// `POST /api/v1/test/clock` (`--test-hooks`), so tests drive hours and
/// windows without sleeping. Token expiry stays on the system clock: a
/// token is checked against the same clock that the browser's copy of
/// `expiresAt` and the socket's expiry timer follow.
pub struct Clock {
    /// The time a test set, if any, and how many times one was set.
    /// Watched by the scheduler, which wakes when it changes.
    fixed: watch::Sender<Setting>,
    /// The last setting the scheduler has acted on (its `count`).
    acted: watch::Sender<u64>,
}

#[derive(Clone, Copy, Default)]
pub struct Setting {
    at: Option<i64>,
    count: u64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock { fixed: watch::Sender::new(Setting::default()), acted: watch::Sender::new(0) }
    }
}

/// Longest wait of the test hook for the scheduler.
const ACT_WAIT: Duration = Duration::from_secs(5);

impl Clock {
    pub fn now_ms(&self) -> i64 {
        self.fixed.borrow().at.unwrap_or_else(now_ms)
    }

    /// Sets the time (test hook) and waits until the scheduler has acted on
    /// it (frames pushed, idle conversations ended), so a test that goes on
    /// sees only what follows from the new time.
    pub async fn set(&self, ms: i64) {
        let mut count = 0;
        self.fixed.send_modify(|s| {
            s.count += 1;
            count = s.count;
            s.at = Some(ms);
        });
        let mut acted = self.acted.subscribe();
        // Bounded: a server without its scheduler still answers.
        let _ = tokio::time::timeout(ACT_WAIT, acted.wait_for(|done| *done >= count)).await;
    }

    /// A receiver that wakes when a test sets the time.
    pub fn watch(&self) -> watch::Receiver<Setting> {
        self.fixed.subscribe()
    }

    /// The scheduler's pass for the setting `seen` (read from [`Self::watch`]
    /// before the pass) is done.
    pub fn acted(&self, seen: &Setting) {
        self.acted.send_if_modified(|done| {
            let newer = seen.count > *done;
            *done = (*done).max(seen.count);
            newer
        });
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// `2026-05-21T07:53:20.123Z`. Days to civil date after Howard Hinnant's
/// `civil_from_days`, to avoid a date crate for one format.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z", sod / 3600, sod % 3600 / 60, sod % 60)
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_716_268_800_123), "2024-05-21T05:20:00.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
