//! Structured logs: `tracing` events to stderr, as text for a person or one JSON object a
//! line for a collector. The filter is `VOUCH_LOG`, else `RUST_LOG`, else `info`
//! (`tracing-subscriber`'s `EnvFilter` syntax, e.g. `info,vouch::http=warn`).
//!
//! Fields are chosen so that no personal data is logged: route templates, methods, status
//! codes, durations, counts, configuration ids; never claims, subjects or query strings.

use std::str::FromStr;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object a line (`timestamp`, `level`, `target`, `fields`).
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format {other:?}: expected text or json")),
        }
    }
}

impl std::fmt::Display for LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        })
    }
}

/// The filter directive in force: `VOUCH_LOG`, else `RUST_LOG`, else `info`.
pub fn filter_directive() -> String {
    ["VOUCH_LOG", "RUST_LOG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "info".to_string())
}

/// Installs the process's log subscriber. A second call (or one after another subscriber)
/// changes nothing and returns `Ok`. A malformed filter is an error naming it.
pub fn init(format: LogFormat) -> Result<(), String> {
    let directive = filter_directive();
    let filter =
        EnvFilter::try_new(&directive).map_err(|e| format!("log filter {directive:?}: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_formats_case_insensitively() {
        assert_eq!("JSON".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!("text".parse::<LogFormat>(), Ok(LogFormat::Text));
        assert!("yaml".parse::<LogFormat>().is_err());
        assert_eq!(LogFormat::Json.to_string(), "json");
    }
}
