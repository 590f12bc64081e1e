//! Retry delays: exponential backoff with full jitter, capped, so that many
//! widgets reconnecting after a server restart spread out instead of
//! arriving together (a reconnect storm).

/// A small deterministic PRNG (xorshift64*) for the jitter: the session
/// seeds it from `Math.random` and the clock (spread between tabs, not
/// secrecy), tests with a constant.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub base_ms: f64,
    pub cap_ms: f64,
}

impl Backoff {
    pub const DEFAULT: Backoff = Backoff { base_ms: 1000.0, cap_ms: 30_000.0 };

    /// The ceiling for the `attempt`-th retry (0-based): base·2^attempt,
    /// capped.
    pub fn ceiling(self, attempt: u32) -> f64 {
        (self.base_ms * f64::from(1u32 << attempt.min(20))).min(self.cap_ms)
    }

    /// Full jitter: uniform in `[0, ceiling)`.
    pub fn delay(self, attempt: u32, rng: &mut Rng) -> f64 {
        rng.unit() * self.ceiling(attempt)
    }

    /// When to try again after `attempts` failures: after the server's
    /// `retry_after_ms` if it gave one, else after a full-jitter delay.
    /// Counts the attempt.
    pub fn retry_at(self, now: f64, retry_after_ms: Option<f64>, attempts: &mut u32, rng: &mut Rng) -> f64 {
        let delay = retry_after_ms.unwrap_or_else(|| self.delay(*attempts, rng));
        *attempts += 1;
        now + delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_then_cap() {
        let b = Backoff::DEFAULT;
        let ceilings: Vec<f64> = (0..7).map(|a| b.ceiling(a)).collect();
        assert_eq!(ceilings, vec![1000.0, 2000.0, 4000.0, 8000.0, 16000.0, 30000.0, 30000.0]);
        assert_eq!(b.ceiling(u32::MAX), 30000.0);
    }

    #[test]
    fn full_jitter_stays_in_bounds_and_spreads() {
        let b = Backoff::DEFAULT;
        let mut rng = Rng::new(42);
        for attempt in 0..10 {
            let delays: Vec<f64> = (0..500).map(|_| b.delay(attempt, &mut rng)).collect();
            let ceiling = b.ceiling(attempt);
            assert!(delays.iter().all(|d| (0.0..ceiling).contains(d)));
            // Spread over the whole range, not clustered at one end.
            let low = delays.iter().filter(|d| **d < ceiling / 4.0).count();
            let high = delays.iter().filter(|d| **d > ceiling * 3.0 / 4.0).count();
            assert!(low > 75 && high > 75, "attempt {attempt}: low {low} high {high}");
        }
    }

    #[test]
    fn rng_is_deterministic_per_seed_and_never_stuck_at_zero() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.unit(), b.unit());
        let mut z = Rng::new(0);
        assert!((0..10).map(|_| z.unit()).any(|x| x > 0.0));
    }
}
