//! Structured logs: `tracing` events to stderr, as text for a person or one JSON object a
//! line for a collector. The filter is `VOUCH_LOG`, else `RUST_LOG`, else `info`
//! (`tracing-subscriber`'s `EnvFilter` syntax, e.g. `info,vouch::http=warn`).
//!
//! Fields are chosen so that no personal data is logged: route templates, methods, status
//! codes, durations, counts, configuration ids; never claims, subjects or query strings. As a
//! guard, a field named in [`REDACTED_FIELDS`] is written as `[redacted]` whatever its value.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Field names whose values are never written (subjects and claims are personal data).
pub const REDACTED_FIELDS: &[&str] = &[
    "subject",
    "subject_id",
    "sub",
    "holder",
    "claims",
    "query",
    "given_name",
    "family_name",
    "birthdate",
    "address",
    "email",
    "phone_number",
    "portrait",
    "document_number",
];

const REDACTED: &str = "[redacted]";

fn redacted(field: &Field) -> bool {
    REDACTED_FIELDS.contains(&field.name())
}

/// Text fields as `tracing-subscriber` writes them (`message`, then `name=value`), with
/// [`REDACTED_FIELDS`] redacted.
struct TextFields;

impl<'w> FormatFields<'w> for TextFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: Writer<'w>,
        fields: R,
    ) -> fmt::Result {
        let mut v = TextVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut v);
        v.result
    }
}

struct TextVisitor<'w> {
    writer: Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Visit for TextVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        let sep = if self.first { "" } else { " " };
        self.first = false;
        self.result = if field.name() == "message" {
            write!(self.writer, "{sep}{value:?}")
        } else if redacted(field) {
            write!(self.writer, "{sep}{}={REDACTED}", field.name())
        } else {
            write!(self.writer, "{sep}{}={value:?}", field.name())
        };
    }
}

/// One JSON object a line, in `tracing-subscriber`'s shape (`timestamp`, `level`, `fields`,
/// `target`), with [`REDACTED_FIELDS`] redacted.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = JsonVisitor(Map::new());
        event.record(&mut fields);
        let meta = event.metadata();
        let timestamp = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut line = Map::new();
        line.insert("timestamp".into(), timestamp.into());
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("fields".into(), Value::Object(fields.0));
        line.insert("target".into(), meta.target().into());
        writeln!(writer, "{}", Value::Object(line))
    }
}

struct JsonVisitor(Map<String, Value>);

impl JsonVisitor {
    fn put(&mut self, field: &Field, v: Value) {
        let v = if redacted(field) { REDACTED.into() } else { v };
        self.0.insert(field.name().to_string(), v);
    }
}

impl Visit for JsonVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}

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

/// Installs the process's log subscriber (to stderr). A second call (or one after another
/// subscriber) changes nothing and returns `Ok`. A malformed filter is an error naming it.
pub fn init(format: LogFormat) -> Result<(), String> {
    let directive = filter_directive();
    let filter =
        EnvFilter::try_new(&directive).map_err(|e| format!("log filter {directive:?}: {e}"))?;
    let _ = tracing::subscriber::set_global_default(subscriber(format, filter, std::io::stderr));
    Ok(())
}

/// The subscriber [`init`] installs, writing to `writer`.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false);
    match format {
        LogFormat::Text => Box::new(builder.fmt_fields(TextFields).finish()),
        LogFormat::Json => Box::new(
            builder
                .event_format(JsonLines)
                .fmt_fields(format::JsonFields::new())
                .finish(),
        ),
    }
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

    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: LogFormat) -> String {
        let buf = Buffer::default();
        let out = buf.clone();
        let s = subscriber(format, EnvFilter::new("info"), move || out.clone());
        tracing::subscriber::with_default(s, || {
            tracing::info!(
                subject = %"citizen-ada",
                configuration = "pid_sd_jwt",
                count = 2u64,
                "credentials issued"
            );
        });
        let b = buf.0.lock().unwrap().clone();
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn json_lines_keep_the_shape_and_redact_subjects() {
        let text = logged(LogFormat::Json);
        let v: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["fields"]["message"], "credentials issued");
        assert_eq!(v["fields"]["configuration"], "pid_sd_jwt");
        assert_eq!(v["fields"]["count"], 2);
        assert_eq!(v["fields"]["subject"], "[redacted]");
        assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(!text.contains("citizen-ada"), "{text}");
    }

    #[test]
    fn text_lines_redact_subjects() {
        let text = logged(LogFormat::Text);
        assert!(text.contains("credentials issued"), "{text}");
        assert!(text.contains("subject=[redacted]"), "{text}");
        assert!(text.contains("configuration=\"pid_sd_jwt\""), "{text}");
        assert!(!text.contains("citizen-ada"), "{text}");
    }
}

/// What a log line may say of a bearer identifier (an offer, transaction, record or subject
/// id): the first 12 hex digits of its SHA-256, enough to follow one request through the
/// logs, useless to fetch what the id grants.
pub fn id_digest(id: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(id.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod id_digest_tests {
    #[test]
    fn a_digest_prefix_names_the_id_without_revealing_it() {
        let d = super::id_digest("offer-4b1c9e");
        assert_eq!(d.len(), 12);
        assert!(!d.contains("4b1c9e"));
        assert_eq!(d, super::id_digest("offer-4b1c9e"));
        assert_ne!(d, super::id_digest("offer-4b1c9f"));
    }
}
