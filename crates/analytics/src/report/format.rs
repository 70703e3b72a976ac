//! Text formatting for the report: HTML escaping and fixed number formats (deterministic:
//! Rust's float formatting with a fixed number of decimals is exact and platform-independent).

use auction_trader_types::{Money, UnixNanos};

/// Escapes `& < > " '` for HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `YYYY-MM-DD HH:MM:SS` (UTC).
pub(crate) fn short_time(ts: UnixNanos) -> String {
    let text = ts.to_string();
    text.get(..19)
        .map_or(text.clone(), |head| head.replacen('T', " ", 1))
}

/// Money with two decimals.
pub(crate) fn money(value: Money) -> String {
    fixed(value.as_f64(), 2)
}

/// `value` with `decimals` decimals; negative zero prints as zero.
pub(crate) fn fixed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_owned()
    } else {
        text
    }
}

/// An optional number with `decimals` decimals and a unit suffix, or an em dash.
pub(crate) fn optional(value: Option<f64>, decimals: usize, suffix: &str) -> String {
    value.map_or_else(
        || "—".to_owned(),
        |value| format!("{}{suffix}", fixed(value, decimals)),
    )
}

/// A duration in seconds as `1h 02m 03s` / `2m 05s` / `7s`.
pub(crate) fn duration(seconds: f64) -> String {
    let total = seconds.round() as i64;
    let (hours, minutes, seconds) = (total / 3600, (total / 60) % 60, total % 60);
    if hours > 0 {
        format!("{hours}h {minutes:02}m {seconds:02}s")
    } else if minutes > 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers_have_fixed_formats() {
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(2.345_678, 3), "2.346");
        assert_eq!(money(Money::from_decimal_str("-12.346").unwrap()), "-12.35");
        assert_eq!(optional(None, 2, "%"), "—");
        assert_eq!(optional(Some(1.5), 1, "%"), "1.5%");
        assert_eq!(duration(3723.0), "1h 02m 03s");
        assert_eq!(duration(125.0), "2m 05s");
        assert_eq!(
            short_time(UnixNanos(1_723_161_255_030_314_667)),
            "2024-08-08 23:54:15"
        );
    }
}
