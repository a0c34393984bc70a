-- Right-to-work checks bound to the employer (issue 17), and their retention: the candidate's planned start date on the check and
-- its record, the deletion date of every record, and the append-only, hash-chained access
-- log of every view, download, change and purge of a record.
ALTER TABLE vp_transactions ADD COLUMN planned_start TEXT;
-- The SHA-256 of the token of the employer's browser that started the check (the
-- transaction id, in the QR code, grants nothing by itself).
ALTER TABLE vp_transactions ADD COLUMN browser_hash TEXT;
ALTER TABLE rtw_records ADD COLUMN planned_start TEXT;
-- A record of the previous version without a deletion date is one whose employment end was
-- never entered, as for someone never hired: it is kept 183 days (six months) after its check.
UPDATE rtw_records SET delete_after = created_at + 15811200 WHERE delete_after IS NULL;
CREATE TABLE IF NOT EXISTS rtw_access_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    record_id TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
