//! Reading inputs and writing outputs for the commands, with errors a person can act on.

use std::io::Read;
use std::path::Path;

use credentials::keys::Jwk;
use serde_json::Value;

/// A usage or I/O error (exit status 2).
pub type CliResult<T> = Result<T, String>;

/// Reads a whole file as text.
pub fn read_text(path: &Path) -> CliResult<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Reads a whole file as bytes.
pub fn read_bytes(path: &Path) -> CliResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Reads stdin as bytes.
pub fn read_stdin_bytes() -> CliResult<Vec<u8>> {
    let mut v = Vec::new();
    std::io::stdin()
        .read_to_end(&mut v)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    Ok(v)
}

/// Reads stdin as text.
pub fn read_stdin() -> CliResult<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    Ok(s)
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> CliResult<Value> {
    serde_json::from_str(&read_text(path)?)
        .map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// Reads a JWK file; `private` demands the private part.
pub fn read_jwk(path: &Path, private: bool) -> CliResult<Jwk> {
    let jwk = Jwk::from_value(&read_json(path)?)
        .map_err(|e| format!("{} is not a usable JWK: {e}", path.display()))?;
    if private && !jwk.is_private() {
        return Err(format!(
            "{} is a public JWK; a private key (with \"d\") is needed",
            path.display()
        ));
    }
    Ok(jwk)
}

/// Reads every certificate of every PEM file, in order.
pub fn read_certificates(
    paths: &[std::path::PathBuf],
) -> CliResult<Vec<credentials::x509::Certificate>> {
    let mut out = Vec::new();
    for p in paths {
        let certs = credentials::x509::Certificate::from_pem_chain(&read_text(p)?)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        out.extend(certs);
    }
    Ok(out)
}

/// The verification time: `--at` (RFC 3339) or now.
pub fn at_or_now(at: Option<&str>) -> CliResult<i64> {
    Ok(at.map(parse_time).transpose()?.unwrap_or_else(now))
}

/// Prints JSON, pretty, to stdout.
pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON serializes")
    );
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Parses an RFC 3339 time into seconds since the epoch.
pub fn parse_time(text: &str) -> CliResult<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| format!("\"{text}\" is not an RFC 3339 time such as 2026-03-01T09:00:00Z"))
}
