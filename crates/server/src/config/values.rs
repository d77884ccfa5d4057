//! The values of flags that are not clap's own types: durations, sizes, browser origins.

use std::time::Duration;
use usergate_core::webhooks::RetrySchedule;

use usergate_core::throttle::parse_duration;

pub(super) fn parse_ttl(s: &str) -> Result<Duration, String> {
    parse_duration(s)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("expected a duration like 3600s, 60m or 1h, got {s:?}"))
}

pub(super) fn parse_ttl_or_zero(s: &str) -> Result<Duration, String> {
    parse_duration(s).ok_or_else(|| format!("expected a duration like 5s, got {s:?}"))
}

/// An origin as a browser sends it: `http(s)://host[:port]`, nothing after; or `*`.
pub(super) fn parse_origin(raw: &str) -> Result<String, String> {
    let o = raw.trim();
    if o == "*" {
        return Ok(o.to_owned());
    }
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
        .ok_or_else(|| format!("{o:?} is not an origin: it starts with http:// or https://"))?;
    let ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if ok {
        Ok(o.to_owned())
    } else {
        Err(format!(
            "{o:?} is not an origin: scheme, host and port only, no path or trailing slash"
        ))
    }
}

/// Durations separated by commas (`5s,5m,30m`), each at least a second.
pub(super) fn parse_schedule(s: &str) -> Result<RetrySchedule, String> {
    let waits = s
        .split(',')
        .map(|part| parse_ttl(part.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RetrySchedule(waits))
}

/// Reads `262144`, `256KiB`, `256k`, `1MiB`, `1M` as bytes.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num
        .parse()
        .map_err(|_| format!("expected a size like 262144, 256KiB or 1MiB, got {s:?}"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        _ => return Err(format!("unknown size unit in {s:?} (use B, KiB or MiB)")),
    };
    n.checked_mul(factor)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("size out of range: {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for ok in [
            "https://app.example.com",
            "http://127.0.0.1:8080",
            "http://[::1]:3000",
            "*",
        ] {
            assert_eq!(parse_origin(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "app.example.com",
            "https://app.example.com/",
            "https://a.com/path",
            "ftp://a.com",
            "https://",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("256KiB"), Ok(262_144));
        assert_eq!(parse_size("1MiB"), Ok(1_048_576));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
    }
}
