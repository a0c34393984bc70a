//! Instruction counts of verification beside raw ES256 verification, for a machine too
//! busy for wall-clock benchmarks. Run under callgrind with N and with 0 iterations and
//! take the difference per iteration:
//!
//! ```sh
//! cargo build --release -p credentials --example verify_cost
//! for op in es256 sdjwt mdoc mdoc-cached; do for n in 0 100; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     $CARGO_TARGET_DIR/release/examples/verify_cost $op $n 2>&1 | grep refs
//! done; done
//! ```

#[path = "../benches/common/mod.rs"]
mod common;

use common::{AUD, NONCE, NOW};
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::mdoc::{verify_response, MdocVerifyOptions};
use credentials::report::CheckLog;
use credentials::sd_jwt::VerifyOptions;
use credentials::sd_jwt_vc::{self, IssuerKeySource, VcVerifyOptions};
use credentials::x509::ChainCache;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let op = args.get(1).map(String::as_str).unwrap_or("es256");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let (issuer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let (holder, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    match op {
        "es256" => {
            let msg = vec![0x5au8; 600];
            let sig = issuer.sign(&msg).unwrap();
            for _ in 0..n {
                issuer
                    .public_key()
                    .verify(Algorithm::Es256, &msg, &sig)
                    .unwrap();
            }
        }
        "sdjwt" => {
            let (_, p) = common::sd_jwt(&issuer, &holder);
            let mut o = VerifyOptions::at(NOW);
            o.aud = Some(AUD);
            o.nonce = Some(NONCE);
            o.require_key_binding = true;
            let opts = VcVerifyOptions::new(o);
            let source = IssuerKeySource::Key(issuer.public_key().clone());
            for _ in 0..n {
                sd_jwt_vc::verify(&p, &source, &opts, &mut CheckLog::default()).unwrap();
            }
        }
        "mdoc" | "mdoc-cached" => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let m = common::mdoc(&issuer, &holder, now);
            let anchors = [m.iaca.clone()];
            let cache = ChainCache::new();
            let mut opts = MdocVerifyOptions::new(now + 1, &anchors, &m.transcript);
            if op == "mdoc-cached" {
                opts.chain_cache = Some(&cache);
                verify_response(&m.response, &opts, &mut CheckLog::default()).unwrap();
            }
            for _ in 0..n {
                verify_response(&m.response, &opts, &mut CheckLog::default()).unwrap();
            }
        }
        other => panic!("unknown op {other}"),
    }
}
