//! Rate limits several instances share, in Redis: one GCRA key per policy and key, updated by
//! one Lua script on Redis's own clock (no instance's clock matters), named
//! `ug:rl:<policy>:<sha256 of the key>` (no address or account in clear in Redis).
//!
//! A circuit breaker guards every call: after three errors or timeouts in a row (each call is
//! bounded to 50 ms), Redis is skipped for five seconds, then tried again. While it is
//! skipped, core falls back to its in-process limits, so an outage never answers 500 and
//! never adds a timeout to every request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use usergate_core::throttle::Rate;
use usergate_core::throttle::shared::{SharedLimiter, Unavailable};

/// The bound of one Redis call (connection checkout, then the script).
const TIMEOUT: Duration = Duration::from_millis(50);
/// Errors in a row that open the breaker.
const TRIP_AFTER: u32 = 3;
/// How long an open breaker skips Redis.
const OPEN_FOR: Duration = Duration::from_secs(5);

/// GCRA: KEYS[1] the key; ARGV[1] the emission interval (window / count) and ARGV[2] the
/// window, in ms; ARGV[3] `hit` (spend one) or `peek`. Returns {allowed, wait_ms}.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if ARGV[3] == 'peek' then
  local allow_at = tat + interval - window
  if now < allow_at then return {0, allow_at - now} end
  return {1, 0}
end
local new_tat = tat + interval
local allow_at = new_tat - window
if now < allow_at then return {0, allow_at - now} end
redis.call('SET', KEYS[1], new_tat, 'PX', math.max(new_tat - now, 1))
return {1, 0}
";

/// GCRA peeks of several keys: KEYS[i] with ARGV[2i-1] the interval and ARGV[2i] the window;
/// returns each key's wait in ms (0: not blocked).
const PEEK_ALL: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local allow_at = tat + tonumber(ARGV[2 * i - 1]) - tonumber(ARGV[2 * i])
  if now < allow_at then out[i] = allow_at - now else out[i] = 0 end
end
return out
";

/// Why the limiter could not start.
#[derive(Debug, thiserror::Error)]
#[error("invalid --redis-url: {0}")]
pub struct RedisUrlError(String);

/// Shared limits in Redis.
pub struct RedisLimiter {
    pool: r2d2::Pool<redis::Client>,
    script: redis::Script,
    peek_all: redis::Script,
    breaker: Mutex<Breaker>,
}

#[derive(Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

impl RedisLimiter {
    /// A limiter on the Redis at `url` (`redis://host:port/db`). Nothing is connected yet: a
    /// server starts whether Redis is up or not.
    pub fn open(url: &str) -> Result<Self, RedisUrlError> {
        let client = redis::Client::open(url).map_err(|e| RedisUrlError(e.to_string()))?;
        let pool = r2d2::Pool::builder()
            .max_size(16)
            .min_idle(Some(0))
            .connection_timeout(TIMEOUT)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(client);
        metrics::gauge!("usergate_ratelimit_backend_up", "backend" => "redis").set(1.0);
        Ok(RedisLimiter {
            pool,
            script: redis::Script::new(GCRA),
            peek_all: redis::Script::new(PEEK_ALL),
            breaker: Mutex::new(Breaker::default()),
        })
    }

    /// Runs `call` on a pooled connection unless the breaker is open, and keeps the breaker.
    fn guarded<T>(
        &self,
        call: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, Unavailable> {
        let now = Instant::now();
        {
            let b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
            if b.open_until.is_some_and(|t| now < t) {
                return Err(Unavailable);
            }
        }
        let result = self
            .pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                conn.set_read_timeout(Some(TIMEOUT))
                    .and_then(|()| conn.set_write_timeout(Some(TIMEOUT)))
                    .map_err(|e| e.to_string())?;
                call(&mut conn).map_err(|e| e.to_string())
            });
        let mut b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(v) => {
                if b.failures >= TRIP_AFTER {
                    tracing::info!("Redis answers again: rate limits are shared again");
                    metrics::gauge!("usergate_ratelimit_backend_up", "backend" => "redis").set(1.0);
                }
                *b = Breaker::default();
                Ok(v)
            }
            Err(e) => {
                b.failures = b.failures.saturating_add(1);
                if b.failures >= TRIP_AFTER {
                    if b.open_until.is_none_or(|t| now >= t) {
                        tracing::warn!(error = %e, "Redis is not answering: rate limits fall back to this instance for {OPEN_FOR:?}");
                    }
                    b.open_until = Some(now + OPEN_FOR);
                    metrics::gauge!("usergate_ratelimit_backend_up", "backend" => "redis").set(0.0);
                }
                Err(Unavailable)
            }
        }
    }

    fn run(
        &self,
        policy: &'static str,
        rate: Rate,
        key: &str,
        mode: &str,
    ) -> Result<Option<Duration>, Unavailable> {
        let window = u64::try_from(rate.window.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let interval = (window / u64::from(rate.count.max(1))).max(1);
        let key = redis_key(policy, key);
        let (allowed, wait_ms): (i64, i64) = self.guarded(|conn| {
            self.script
                .key(&key)
                .arg(interval)
                .arg(window)
                .arg(mode)
                .invoke(conn)
        })?;
        Ok((allowed == 0).then(|| Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0))))
    }
}

impl SharedLimiter for RedisLimiter {
    fn hit(
        &self,
        policy: &'static str,
        rate: Rate,
        key: &str,
    ) -> Result<Option<Duration>, Unavailable> {
        self.run(policy, rate, key, "hit")
    }

    fn peek(
        &self,
        policy: &'static str,
        rate: Rate,
        key: &str,
    ) -> Result<Option<Duration>, Unavailable> {
        self.run(policy, rate, key, "peek")
    }

    fn peek_all(
        &self,
        checks: &[(&'static str, Rate, String)],
    ) -> Result<Vec<Option<Duration>>, Unavailable> {
        let mut invocation = self.peek_all.prepare_invoke();
        for (policy, rate, key) in checks {
            let (interval, window) = gcra(*rate);
            invocation
                .key(redis_key(policy, key))
                .arg(interval)
                .arg(window);
        }
        let waits: Vec<i64> = self.guarded(|conn| invocation.invoke(conn))?;
        Ok(waits
            .into_iter()
            .map(|ms| (ms > 0).then(|| Duration::from_millis(u64::try_from(ms).unwrap_or(0))))
            .collect())
    }

    fn clear(&self, policy: &'static str, key: &str) -> Result<(), Unavailable> {
        let key = redis_key(policy, key);
        self.guarded(|conn| redis::cmd("DEL").arg(&key).query::<i64>(conn))
            .map(drop)
    }
}

/// A rate as GCRA's emission interval and window, in ms.
fn gcra(rate: Rate) -> (u64, u64) {
    let window = u64::try_from(rate.window.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    ((window / u64::from(rate.count.max(1))).max(1), window)
}

/// `ug:rl:<policy>:<sha256(key) in hex>`.
fn redis_key(policy: &str, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("ug:rl:{policy}:{hex}")
}

#[cfg(test)]
mod tests {
    use super::redis_key;

    #[test]
    fn keys_hold_no_address_in_clear() {
        let k = redis_key("login_account", "ann@example.com");
        assert!(k.starts_with("ug:rl:login_account:") && !k.contains("ann"));
        assert_eq!(k.len(), "ug:rl:login_account:".len() + 64);
    }
}
