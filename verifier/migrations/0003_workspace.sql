-- The employer's workspace (issue 17): organisations with members, roles, invitations and
-- sessions; every check and record belongs to one organisation, and each organisation's
-- access log is its own hash chain.
CREATE TABLE IF NOT EXISTS organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- SHA-256 (hex) of the organisation's API key for its HR systems (NULL: none).
    api_key_hash TEXT UNIQUE,
    -- Whether it signs its requests with its own key and certificate (its own x509_hash
    -- client id, registered in the register as its relying party) instead of the
    -- deployment's.
    own_client_id BOOLEAN NOT NULL DEFAULT FALSE,
    -- The email domains its members' addresses must be at (comma-separated, set by the
    -- operator; NULL: any), so that one organisation cannot invite, and so claim, the
    -- addresses of another's staff.
    email_domains TEXT,
    -- The IANA time zone its members read times in.
    time_zone TEXT NOT NULL DEFAULT 'Europe/London',
    created_at BIGINT NOT NULL
);
-- The organisation that the checks and records of the previous version belong to.
INSERT INTO organisations (id, name, api_key_hash, created_at) VALUES ('default', 'Employer', NULL, 0);
CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- admin (HR administrator), recruiter or auditor.
    role TEXT NOT NULL,
    -- Argon2id, PHC string form.
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- When an HR administrator removed them (kept, so the access log still names them).
    removed_at BIGINT
);
CREATE TABLE IF NOT EXISTS invitations (
    -- SHA-256 (hex) of the one-time token in the invitation link.
    token_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT
);
CREATE TABLE IF NOT EXISTS sessions (
    -- SHA-256 (hex) of the session cookie's token.
    token_hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members(id),
    -- The form token of this session (CSRF), sent back in every form.
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
ALTER TABLE vp_transactions ADD COLUMN org_id TEXT NOT NULL DEFAULT 'default';
-- The member who started the check (NULL: the organisation's HR system, through the API).
ALTER TABLE vp_transactions ADD COLUMN member_id TEXT;
-- Each organisation's bound on checks waiting for a wallet is counted through this.
CREATE INDEX IF NOT EXISTS vp_transactions_org_pending ON vp_transactions (org_id, state, expires_at);
ALTER TABLE rtw_records ADD COLUMN org_id TEXT NOT NULL DEFAULT 'default';
-- One chain per organisation, numbered from 1; the entries of the previous version are the
-- default organisation's chain, their hashes unchanged (an empty actor is not hashed).
CREATE TABLE IF NOT EXISTS access_log (
    org_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    record_id TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    -- Who: a member id, `api` (the HR system), `system` (retention); '' before this version.
    actor TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);
INSERT INTO access_log (org_id, seq, at, record_id, action, detail, actor, prev_hash, hash)
    SELECT 'default', seq, at, record_id, action, detail, '', prev_hash, hash FROM rtw_access_log;
DROP TABLE rtw_access_log;
