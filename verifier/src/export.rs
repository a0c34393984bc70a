//! The Home Office inspection export: one `.tar.gz` with the selected records as signed
//! (`records/<id>.jws`, each verifiable offline with `vouch verifier check-record`), their
//! printable pages (`records/<id>.html`), the whole access log (`access-log.json`, its
//! hash chain verifiable) and a `README.txt` saying how to check them. Each export is itself
//! logged against every record it carries.

use std::io::Write;

use serde_json::json;

use crate::oid4vp::{Oid4vpError, Service};
use crate::store::{AccessEntry, Store};
use crate::web;

const README: &str = "Right to work check records, exported for inspection.

records/<id>.jws   each check's signed record (JWS by the verifier's record key)
records/<id>.html  the same record as a printable page
access-log.json    every creation, view, download, change, export and purge of a record,
                   each entry chained to the one before by SHA-256

Check a record offline (its signature, the trust register's snapshot and inclusion
proofs, the presentation again as of the check):

    vouch verifier check-record records/<id>.jws

Check the access log's chain: `intact` is true in access-log.json when it was exported;
recompute it with `vouch verifier access-log` on the verifier's database.
";

fn add(tar: &mut tar::Builder<impl Write>, path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o600);
    h.set_mtime(0);
    h.set_cksum();
    tar.append_data(&mut h, path, bytes)
}

impl Service {
    /// Organisation `org`'s inspection archive of `ids` (every record when empty), made by
    /// `actor` at the service's clock.
    pub async fn inspection_export(
        &self,
        org: &str,
        actor: &str,
        ids: &[String],
    ) -> Result<Vec<u8>, Oid4vpError> {
        inspection_archive(
            &self.store,
            org,
            actor,
            self.clock.now().unix_timestamp(),
            ids,
        )
        .await
    }
}

/// Organisation `org`'s inspection archive (`.tar.gz` bytes) of `ids` (every record of it
/// when empty), made by `actor` at `now`. An id unknown, or another organisation's, is
/// refused before anything is written or logged.
pub async fn inspection_archive(
    store: &Store,
    org: &str,
    actor: &str,
    now: i64,
    ids: &[String],
) -> Result<Vec<u8>, Oid4vpError> {
    let ids = if ids.is_empty() {
        store.record_ids(org).await?
    } else {
        ids.to_vec()
    };
    let mut records = Vec::with_capacity(ids.len());
    for id in &ids {
        let r = store
            .record(id)
            .await?
            .filter(|r| r.org_id == org)
            .ok_or(Oid4vpError::UnknownTransaction)?;
        records.push(r);
    }
    for r in &records {
        store.log_access(org, &r.id, "exported", actor, now).await?;
    }
    let log = store.access_log(org).await?;
    let io = |e: std::io::Error| Oid4vpError::Server(format!("the archive: {e}"));
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    add(&mut tar, "README.txt", README.as_bytes()).map_err(io)?;
    for r in &records {
        add(
            &mut tar,
            &format!("records/{}.jws", r.id),
            r.record.as_bytes(),
        )
        .map_err(io)?;
        let page = web::stored_record(r, None);
        add(&mut tar, &format!("records/{}.html", r.id), page.as_bytes()).map_err(io)?;
    }
    let log_json = json!({
        "intact": AccessEntry::verify_chain(&log).is_ok(),
        "entries": log,
    });
    let text =
        serde_json::to_vec_pretty(&log_json).map_err(|e| Oid4vpError::Server(e.to_string()))?;
    add(&mut tar, "access-log.json", &text).map_err(io)?;
    let gz = tar.into_inner().map_err(io)?;
    let bytes = gz.finish().map_err(io)?;
    tracing::info!(records = records.len(), "inspection export made");
    Ok(bytes)
}
