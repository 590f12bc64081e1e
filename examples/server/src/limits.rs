//! Token-bucket rate limiting keyed by client IP or visitor. In memory:
//! limits restart with the process, which is fine for abuse control.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Buckets kept before idle (full) ones are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Copy, Debug)]
pub struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(per_minute: u32, now: Instant) -> Bucket {
        Bucket { tokens: f64::from(per_minute), last: now }
    }

    /// Takes one token, or says in how many whole seconds one will be back.
    pub fn take(&mut self, per_minute: u32, now: Instant) -> Result<(), u64> {
        let capacity = f64::from(per_minute.max(1));
        let rate = capacity / 60.0;
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - self.tokens) / rate).ceil() as u64).max(1))
        }
    }

    fn is_full(&self, per_minute: u32, now: Instant) -> bool {
        let rate = f64::from(per_minute.max(1)) / 60.0;
        self.tokens + now.saturating_duration_since(self.last).as_secs_f64() * rate >= f64::from(per_minute)
    }
}

#[derive(Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<String, (Bucket, u32)>>,
}

impl Limiter {
    /// `Err(seconds)` when `key` is over `per_minute`.
    pub fn check(&self, key: &str, per_minute: u32) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut map) = self.buckets.lock() else { return Ok(()) };
        if map.len() >= SWEEP_AT {
            map.retain(|_, (b, rate)| !b.is_full(*rate, now));
        }
        let (bucket, _) = map.entry(key.to_string()).or_insert((Bucket::new(per_minute, now), per_minute));
        bucket.take(per_minute, now)
    }
}

/// Counted slots per key (client IP, token): at most `limit` held at once
/// for each key, each released when its [`Slot`] drops.
#[derive(Clone, Default)]
pub struct Slots {
    held: Arc<Mutex<HashMap<String, usize>>>,
}

/// One held slot; dropping it gives it back.
pub struct Slot {
    held: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

impl Slots {
    /// A slot for `key`, or `None` when `limit` are already held.
    pub fn take(&self, key: String, limit: usize) -> Option<Slot> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(key.clone()).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(Slot { held: self.held.clone(), key })
    }

    /// Slots held for `key`.
    pub fn count(&self, key: &str) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).get(key).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_and_reports_retry_after() {
        let t0 = Instant::now();
        let mut b = Bucket::new(30, t0);
        for _ in 0..30 {
            assert!(b.take(30, t0).is_ok());
        }
        assert_eq!(b.take(30, t0), Err(2));
        assert!(b.take(30, t0 + Duration::from_secs(2)).is_ok());
    }

    #[test]
    fn slots_are_capped_per_key_and_given_back_on_drop() {
        let slots = Slots::default();
        let a1 = slots.take("a".into(), 2).unwrap();
        let _a2 = slots.take("a".into(), 2).unwrap();
        assert!(slots.take("a".into(), 2).is_none());
        let _b = slots.take("b".into(), 2).unwrap();
        drop(a1);
        assert_eq!(slots.count("a"), 1);
        assert!(slots.take("a".into(), 2).is_some());
        assert_eq!(slots.count("c"), 0);
    }
}
