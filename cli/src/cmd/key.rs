//! `vouch key`: create a private JWK, derive its public JWK.

use clap::{Subcommand, ValueEnum};
use credentials::keys::{provider, Algorithm, Jwk};

use crate::io::{self, CliResult};

/// Key commands.
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Generate a private key; prints the private JWK (kid = RFC 7638 thumbprint).
    New {
        /// Signature algorithm.
        #[arg(long, value_enum, default_value = "ES256")]
        alg: Alg,
    },
    /// Read a private JWK on stdin; print its public JWK.
    Public,
}

/// The algorithms `vouch key new` creates keys for.
#[derive(Clone, Copy, ValueEnum)]
pub enum Alg {
    /// ECDSA P-256 / SHA-256.
    #[value(name = "ES256")]
    Es256,
    /// ECDSA P-384 / SHA-384.
    #[value(name = "ES384")]
    Es384,
    /// Ed25519.
    #[value(name = "EdDSA")]
    EdDsa,
}

impl From<Alg> for Algorithm {
    fn from(a: Alg) -> Self {
        match a {
            Alg::Es256 => Algorithm::Es256,
            Alg::Es384 => Algorithm::Es384,
            Alg::EdDsa => Algorithm::EdDsa,
        }
    }
}

/// Runs a key command.
pub fn run(cmd: KeyCommand) -> CliResult<i32> {
    match cmd {
        KeyCommand::New { alg } => {
            let alg = Algorithm::from(alg);
            let secret = provider::default()
                .generate(alg.key_kind())
                .map_err(|e| e.to_string())?;
            io::print_json(&Jwk::from_secret_key(&secret).to_value());
        }
        KeyCommand::Public => {
            let text = io::read_stdin()?;
            let jwk =
                Jwk::from_json(&text).map_err(|e| format!("stdin is not a usable JWK: {e}"))?;
            io::print_json(&jwk.to_public().to_value());
        }
    }
    Ok(0)
}
