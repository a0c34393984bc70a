//! Settings of the long-running commands (`vouch up` and each `serve`) from a TOML file, the
//! environment and flags. Precedence, highest first: a flag, then its environment variable
//! (`VOUCH_<SECTION>_<SETTING>`, e.g. `VOUCH_VERIFIER_LISTEN`), then the file
//! (`--config FILE` or `VOUCH_CONFIG`), then the built-in default.
//!
//! ```toml
//! log_format = "json"          # top level: every command
//! [up]
//! base_port = 7070
//! [verifier]
//! snapshot_refresh_seconds = 60
//! ```
//!
//! It works by rewriting the clap command before parsing: each setting of a section gets
//! its environment variable, and a value from the file becomes the argument's default, so
//! clap's own precedence (flag > env > default) gives the order above.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Arg, Command};

/// The file's sections: which subcommand each configures, and its environment prefix.
pub const SECTIONS: &[(&str, &[&str], &str)] = &[
    ("up", &["up"], "VOUCH_UP_"),
    ("registry", &["registry", "serve"], "VOUCH_REGISTRY_"),
    ("issuer", &["issuer", "serve"], "VOUCH_ISSUER_"),
    ("verifier", &["verifier", "serve"], "VOUCH_VERIFIER_"),
    ("wallet", &["wallet", "serve"], "VOUCH_WALLET_"),
];

/// Top-level settings of the file (arguments of the root command).
pub const TOP_LEVEL: &[&str] = &["log_format"];

/// The `--config FILE` (or `--config=FILE`) given before the command, else
/// `$VOUCH_CONFIG`. Only the options before the first command word are looked at: after it,
/// `--config` may be a command's own option (`vouch issuer offer --config pid_sd_jwt`).
pub fn path_from_args(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = s.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
        if s == "--log-format" {
            it.next();
            continue;
        }
        if s == "--" || !s.starts_with('-') {
            break;
        }
    }
    std::env::var_os("VOUCH_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Reads and parses a configuration file.
pub fn load(path: &Path) -> Result<toml::value::Table, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the configuration {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses configuration text.
pub fn parse(text: &str) -> Result<toml::value::Table, String> {
    match text.parse::<toml::Value>().map_err(|e| e.to_string())? {
        toml::Value::Table(t) => Ok(t),
        _ => Err("the configuration is not a table".into()),
    }
}

/// The environment variable of setting `id` in a section with `prefix`.
pub fn env_name(prefix: &str, id: &str) -> String {
    format!("{prefix}{}", id.to_ascii_uppercase().replace('-', "_"))
}

fn value_strings(v: &toml::Value) -> Result<Vec<String>, String> {
    Ok(match v {
        toml::Value::String(s) => vec![s.clone()],
        toml::Value::Integer(i) => vec![i.to_string()],
        toml::Value::Float(f) => vec![f.to_string()],
        toml::Value::Boolean(b) => vec![b.to_string()],
        toml::Value::Array(a) => a
            .iter()
            .map(|x| value_strings(x).map(|mut v| v.remove(0)))
            .collect::<Result<_, _>>()?,
        _ => return Err("expected a string, number, boolean or list".into()),
    })
}

/// Sets `arg`'s default from the file's value (a required argument given by the file is no
/// longer required on the command line).
fn with_file_value(arg: Arg, value: &toml::Value, what: &str) -> Result<Arg, String> {
    let values = value_strings(value).map_err(|e| format!("{what}: {e}"))?;
    let values: Vec<clap::builder::OsStr> = values.into_iter().map(Into::into).collect();
    Ok(arg.required(false).default_values(values))
}

/// Finds the file's value of `id` (written `snake_case` or `kebab-case`).
fn lookup<'a>(section: &'a toml::value::Table, id: &str) -> Option<&'a toml::Value> {
    section
        .get(id)
        .or_else(|| section.get(&id.replace('_', "-")))
}

fn is_setting(a: &Arg) -> bool {
    let id = a.get_id().as_str();
    !a.is_positional() && !a.is_global_set() && !["help", "version", "config"].contains(&id)
}

/// Rewrites `root` so that each section's settings read their environment variable and take
/// the file's values as defaults. Unknown sections or settings are errors naming them.
pub fn apply(mut root: Command, file: Option<&toml::value::Table>) -> Result<Command, String> {
    let empty = toml::value::Table::new();
    let file = file.unwrap_or(&empty);
    for (key, value) in file {
        let known_section = SECTIONS.iter().any(|(s, _, _)| s == key);
        if !known_section && !TOP_LEVEL.contains(&key.as_str()) {
            return Err(format!(
                "the configuration has an unknown setting or section \"{key}\" (top level: {}; sections: {})",
                TOP_LEVEL.join(", "),
                SECTIONS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
            ));
        }
        if known_section && !value.is_table() {
            return Err(format!("[{key}] must be a table of settings"));
        }
    }
    for id in TOP_LEVEL {
        if let Some(v) = file.get(*id) {
            let arg = root
                .get_arguments()
                .find(|a| a.get_id() == id)
                .cloned()
                .ok_or_else(|| format!("no top-level argument {id}"))?;
            let arg = with_file_value(arg, v, id)?;
            root = root.mut_arg(*id, |_| arg);
        }
    }
    for (section, path, prefix) in SECTIONS {
        let values = file.get(*section).and_then(toml::Value::as_table);
        let mut err = None;
        root = mut_path(root, path, &mut |cmd: Command| {
            let settings: Vec<Arg> = cmd
                .get_arguments()
                .filter(|a| is_setting(a))
                .cloned()
                .collect();
            if let Some(values) = values {
                for key in values.keys() {
                    let id = key.replace('-', "_");
                    if !settings.iter().any(|a| a.get_id() == id.as_str()) {
                        err = Some(format!(
                            "[{section}] has no setting \"{key}\" (known: {})",
                            settings
                                .iter()
                                .map(|a| a.get_id().as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
            }
            let mut cmd = cmd;
            for arg in settings {
                let id = arg.get_id().as_str().to_string();
                let mut arg = arg.env(env_name(prefix, &id));
                if let Some(v) = values.and_then(|t| lookup(t, &id)) {
                    match with_file_value(arg.clone(), v, &format!("[{section}] {id}")) {
                        Ok(a) => arg = a,
                        Err(e) => err = Some(e),
                    }
                }
                cmd = cmd.mut_arg(id, |_| arg);
            }
            cmd
        });
        if let Some(e) = err {
            return Err(e);
        }
    }
    Ok(root)
}

fn mut_path(cmd: Command, path: &[&str], f: &mut dyn FnMut(Command) -> Command) -> Command {
    match path.split_first() {
        None => f(cmd),
        Some((first, rest)) => cmd.mut_subcommand(*first, |sub| mut_path(sub, rest, f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn matches(file: &str, args: &[&str]) -> Result<clap::ArgMatches, String> {
        let t = parse(file)?;
        let cmd = apply(crate::Cli::command(), Some(&t))?;
        cmd.try_get_matches_from(args).map_err(|e| e.to_string())
    }

    fn up_value(m: &clap::ArgMatches, id: &str) -> String {
        let up = m.subcommand_matches("up").unwrap();
        up.get_raw(id)
            .unwrap()
            .map(|v| v.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(",")
    }

    // One test touches the process environment, so the cases run in order.
    #[test]
    fn flag_beats_env_beats_file_beats_default() {
        let file = "[up]\nbase_port = 9000\ndata_dir = \"from-file\"\n";
        std::env::remove_var("VOUCH_UP_BASE_PORT");
        std::env::remove_var("VOUCH_UP_DATA_DIR");
        let m = matches("", &["vouch", "up"]).unwrap();
        assert_eq!(up_value(&m, "base_port"), "7070", "built-in default");
        let m = matches(file, &["vouch", "up"]).unwrap();
        assert_eq!(
            up_value(&m, "base_port"),
            "9000",
            "the file beats the default"
        );
        assert_eq!(up_value(&m, "data_dir"), "from-file");
        std::env::set_var("VOUCH_UP_BASE_PORT", "9100");
        let m = matches(file, &["vouch", "up"]).unwrap();
        assert_eq!(
            up_value(&m, "base_port"),
            "9100",
            "the environment beats the file"
        );
        assert_eq!(up_value(&m, "data_dir"), "from-file");
        let m = matches(file, &["vouch", "up", "--base-port", "9200"]).unwrap();
        assert_eq!(
            up_value(&m, "base_port"),
            "9200",
            "a flag beats the environment"
        );
        std::env::remove_var("VOUCH_UP_BASE_PORT");
    }

    #[test]
    fn a_file_can_give_a_required_setting_and_a_top_level_one() {
        let m = matches(
            "log_format = \"json\"\n[registry]\nadmin-token-file = \"/etc/vouch/operator.token\"\n",
            &["vouch", "registry", "serve"],
        )
        .unwrap();
        assert_eq!(m.get_one::<String>("log_format").unwrap(), "json");
        let serve = m
            .subcommand_matches("registry")
            .and_then(|r| r.subcommand_matches("serve"))
            .unwrap();
        assert_eq!(
            serve.get_one::<PathBuf>("admin_token_file").unwrap(),
            Path::new("/etc/vouch/operator.token")
        );
    }

    #[test]
    fn unknown_settings_and_sections_are_refused_by_name() {
        let e = matches("[verifier]\nlisen = \"x\"\n", &["vouch", "up"]).unwrap_err();
        assert!(e.contains("[verifier] has no setting \"lisen\""), "{e}");
        assert!(e.contains("listen"), "{e}");
        let e = matches("[issuers]\n", &["vouch", "up"]).unwrap_err();
        assert!(e.contains("\"issuers\""), "{e}");
    }

    #[test]
    fn booleans_and_lists_from_the_file() {
        let m = matches(
            "[verifier]\noffline = true\n[wallet]\nverifier_root = [\"a.pem\", \"b.pem\"]\n",
            &[
                "vouch",
                "verifier",
                "serve",
                "--snapshot",
                "s",
                "--snapshot-key",
                "k",
                "--log-key",
                "l",
            ],
        )
        .unwrap();
        let serve = m
            .subcommand_matches("verifier")
            .and_then(|r| r.subcommand_matches("serve"))
            .unwrap();
        assert!(serve.get_flag("offline"));
        let m = matches(
            "[wallet]\nverifier_root = [\"a.pem\", \"b.pem\"]\n",
            &["vouch", "wallet", "serve"],
        )
        .unwrap();
        let serve = m
            .subcommand_matches("wallet")
            .and_then(|r| r.subcommand_matches("serve"))
            .unwrap();
        let roots: Vec<&PathBuf> = serve.get_many("verifier_root").unwrap().collect();
        assert_eq!(roots, [Path::new("a.pem"), Path::new("b.pem")]);
    }

    #[test]
    fn environment_names_follow_the_section() {
        assert_eq!(
            env_name("VOUCH_VERIFIER_", "snapshot_refresh_seconds"),
            "VOUCH_VERIFIER_SNAPSHOT_REFRESH_SECONDS"
        );
        let cmd = apply(crate::Cli::command(), None).unwrap();
        let serve = cmd
            .find_subcommand("issuer")
            .and_then(|c| c.find_subcommand("serve"))
            .unwrap();
        let listen = serve
            .get_arguments()
            .find(|a| a.get_id() == "listen")
            .unwrap();
        assert_eq!(listen.get_env().unwrap(), "VOUCH_ISSUER_LISTEN");
    }

    #[test]
    fn finds_the_config_flag_in_both_spellings() {
        let a = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            path_from_args(&a(&["vouch", "--config", "v.toml", "up"])),
            Some(PathBuf::from("v.toml"))
        );
        assert_eq!(
            path_from_args(&a(&[
                "vouch",
                "--log-format",
                "json",
                "--config=w.toml",
                "up"
            ])),
            Some(PathBuf::from("w.toml"))
        );
        std::env::remove_var("VOUCH_CONFIG");
        // After the command word, --config belongs to the command.
        assert_eq!(
            path_from_args(&a(&["vouch", "issuer", "offer", "--config", "pid_sd_jwt"])),
            None
        );
    }
}
