//! Completing a check: the employer's likeness confirmation, and the signed record of the
//! check kept with its retention date.

use serde_json::Value;

use super::{random_id, Oid4vpError, Service};

impl Service {
    /// The employer confirmed (or refused) the photo likeness: the check is complete and
    /// its signed record stored, its creation logged as by `actor`. Returns the record id.
    pub async fn complete(
        &self,
        id: &str,
        confirmed: bool,
        checked_by: &str,
        employment_end: Option<time::Date>,
        actor: &str,
    ) -> Result<String, Oid4vpError> {
        let t = self
            .store
            .transaction(id)
            .await?
            .ok_or(Oid4vpError::UnknownTransaction)?;
        if t.state != "responded" {
            return Err(Oid4vpError::InvalidRequest(
                "the check is not awaiting a likeness confirmation".into(),
            ));
        }
        let outcome: Value =
            serde_json::from_str(t.outcome.as_deref().unwrap_or("null")).unwrap_or_default();
        // A check that did not pass (a forged or untrusted credential, a rule not met) has no
        // photo to compare and gives no statutory excuse: its page says why, and nothing
        // about the person is kept.
        if outcome["passed"] != Value::Bool(true) {
            return Err(Oid4vpError::InvalidRequest(
                "the check did not pass: there is no photo to confirm and no record is kept".into(),
            ));
        }
        let now = self.clock.now();
        let trust = self.verifier.trust.current();
        let proofs = match (&self.proofs, outcome["entry_id"].as_str()) {
            (Some(p), Some(entry)) => crate::record::entry_proofs(p.as_ref(), &trust, entry).await,
            _ => vec![],
        };
        let likeness = crate::record::Likeness {
            confirmed,
            checked_by: checked_by.to_string(),
            at: crate::rfc3339(now),
        };
        let record_id = random_id();
        let payload = crate::record::payload(
            &record_id,
            &t,
            &outcome,
            &trust,
            &self.snapshot_keys,
            proofs,
            &likeness,
            now.unix_timestamp(),
            &self.response_uri(&t.id),
        );
        let jws = crate::record::sign(&payload, self.record_key.as_ref())?;
        if let Some(end) = employment_end {
            if end < now.date() {
                return Err(Oid4vpError::InvalidRequest(format!(
                    "the employment end date ({end}) cannot be before the check ({})",
                    now.date()
                )));
            }
        }
        let stored = crate::store::StoredRecord {
            id: record_id.clone(),
            transaction_id: t.id.clone(),
            created_at: now.unix_timestamp(),
            employment_end: employment_end.map(|d| d.to_string()),
            // Until an employment end is entered, the record is kept as for someone never
            // hired; entering the end date moves its deletion to two years after it.
            delete_after: Some(match employment_end {
                Some(d) => self.delete_after(d),
                None => self.delete_after_not_hired(now.unix_timestamp()),
            }),
            record: jws,
            planned_start: t.planned_start.clone(),
            org_id: t.org_id.clone(),
        };
        if !self
            .store
            .complete(id, &stored, actor, now.unix_timestamp())
            .await?
        {
            return Err(Oid4vpError::AlreadyAnswered);
        }
        tracing::info!(
            transaction = %vouch_ops::log::id_digest(id),
            record = %vouch_ops::log::id_digest(&record_id),
            "check completed"
        );
        if let Some(hook) = &self.webhook {
            // Ids and the outcome only: the HR system reads the record with its API key.
            hook.spawn_notice(
                serde_json::json!({
                    "iss": self.base_url,
                    "event": "check.completed",
                    "transaction_id": id,
                    "record_id": record_id,
                    "statutory_excuse": confirmed,
                    "iat": now.unix_timestamp(),
                }),
                self.record_key.clone(),
            );
        }
        Ok(record_id)
    }
}
