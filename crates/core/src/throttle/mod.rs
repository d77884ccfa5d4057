//! Sliding-window limits: the anonymous request limit per address and the login throttle per
//! account and per address. In memory, per instance, unless a shared store keeps them
//! ([`shared`]).

pub mod shared;

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `N` events per window, written `10/60s` (units `s`, `m`, `h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Events allowed per window.
    pub count: u32,
    /// The window.
    pub window: Duration,
}

impl Rate {
    /// `count` per `window`.
    pub const fn new(count: u32, window: Duration) -> Self {
        Rate { count, window }
    }
}

/// A rate that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("expected a rate like `10/60s` (count/window, window in s, m or h): {0}")]
pub struct RateParseError(String);

impl FromStr for Rate {
    type Err = RateParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || RateParseError(s.to_owned());
        let (count, window) = s.trim().split_once('/').ok_or_else(err)?;
        let count: u32 = count.trim().parse().map_err(|_| err())?;
        let window = parse_duration(window).ok_or_else(err)?;
        if count == 0 || window.is_zero() {
            return Err(err());
        }
        Ok(Rate { count, window })
    }
}

/// Reads `90`, `90s`, `15m`, `2h`, `7d` as a duration (a bare number is seconds).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

/// A sliding-window log per key: at most `rate.count` events in any `rate.window`.
pub struct SlidingWindow<K> {
    rate: Rate,
    events: Mutex<HashMap<K, VecDeque<Instant>>>,
    last_sweep: Mutex<Option<Instant>>,
}

impl<K: Hash + Eq + Clone> SlidingWindow<K> {
    /// An empty limiter.
    pub fn new(rate: Rate) -> Self {
        SlidingWindow {
            rate,
            events: Mutex::new(HashMap::new()),
            last_sweep: Mutex::new(None),
        }
    }

    /// If `key` is over its limit at `now`, how long until it is not.
    pub fn blocked_for(&self, key: &K, now: Instant) -> Option<Duration> {
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let log = map.get_mut(key)?;
        self.expire(log, now);
        if log.len() >= self.rate.count as usize {
            let oldest = *log.front()?;
            Some((oldest + self.rate.window).saturating_duration_since(now))
        } else {
            None
        }
    }

    /// Records an event for `key`; if it is over its limit, records nothing and returns how
    /// long until it is not.
    pub fn hit(&self, key: &K, now: Instant) -> Result<(), Duration> {
        self.sweep(now);
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let log = map.entry(key.clone()).or_default();
        self.expire(log, now);
        if log.len() >= self.rate.count as usize {
            let oldest = log.front().copied().unwrap_or(now);
            return Err((oldest + self.rate.window).saturating_duration_since(now));
        }
        log.push_back(now);
        Ok(())
    }

    /// Forgets `key` (a successful login clears its account's failures).
    pub fn clear(&self, key: &K) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    fn expire(&self, log: &mut VecDeque<Instant>, now: Instant) {
        while log
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.rate.window)
        {
            log.pop_front();
        }
    }

    /// Drops idle keys once per window so memory stays bounded by recent traffic.
    fn sweep(&self, now: Instant) {
        let mut last = self.last_sweep.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| now.saturating_duration_since(t) < self.rate.window) {
            return;
        }
        *last = Some(now);
        drop(last);
        let window = self.rate.window;
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, log| {
                log.back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
    }
}

/// Retry-After in whole seconds, rounded up and at least 1.
pub fn retry_after_secs(d: Duration) -> u64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(
            "10/60s".parse::<Rate>().expect("rate"),
            Rate::new(10, Duration::from_secs(60))
        );
        assert_eq!(
            "5/15m".parse::<Rate>().expect("rate"),
            Rate::new(5, Duration::from_secs(900))
        );
        assert!("0/60s".parse::<Rate>().is_err());
        assert!("10".parse::<Rate>().is_err());
        assert!("10/abc".parse::<Rate>().is_err());
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
    }

    #[test]
    fn window_slides() {
        let w = SlidingWindow::new(Rate::new(2, Duration::from_secs(60)));
        let t0 = Instant::now();
        assert!(w.hit(&"a", t0).is_ok());
        assert!(w.hit(&"a", t0 + Duration::from_secs(10)).is_ok());
        let wait = w
            .hit(&"a", t0 + Duration::from_secs(20))
            .expect_err("third in window");
        assert_eq!(wait, Duration::from_secs(40));
        assert!(w.hit(&"b", t0 + Duration::from_secs(20)).is_ok(), "per key");
        assert!(
            w.hit(&"a", t0 + Duration::from_secs(60)).is_ok(),
            "first expired"
        );
        assert_eq!(
            w.blocked_for(&"a", t0 + Duration::from_secs(61)),
            Some(Duration::from_secs(9))
        );
        w.clear(&"a");
        assert_eq!(w.blocked_for(&"a", t0 + Duration::from_secs(61)), None);
    }

    #[test]
    fn idle_keys_are_swept() {
        let w = SlidingWindow::new(Rate::new(1, Duration::from_secs(1)));
        let t0 = Instant::now();
        for i in 0..100u32 {
            w.hit(&i, t0).expect("first");
        }
        w.hit(&1000, t0 + Duration::from_secs(5)).expect("later");
        assert_eq!(w.events.lock().expect("lock").len(), 1);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(40)), 40);
    }
}
