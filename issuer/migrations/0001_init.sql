-- The issuer's state. Portable SQL: the same statements run on SQLite and PostgreSQL.
-- No claim values here besides the subjects' verified attributes (the identity provider's
-- own record); codes, tokens and nonces are stored as SHA-256 digests where they are secrets.

CREATE TABLE IF NOT EXISTS subjects (
    subject_id TEXT PRIMARY KEY,
    attributes TEXT NOT NULL,
    gpg45_profile TEXT,
    verified_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS offers (
    offer_id TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL,
    configuration_ids TEXT NOT NULL,
    pre_auth_code_hash TEXT UNIQUE,
    tx_code_hash TEXT,
    tx_code_length BIGINT,
    tx_attempts BIGINT NOT NULL DEFAULT 0,
    issuer_state TEXT UNIQUE,
    state TEXT NOT NULL,
    offer_json TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS sign_in_codes (
    code_hash TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS par_requests (
    request_uri_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    configuration_ids TEXT NOT NULL,
    authorization_details BIGINT NOT NULL,
    state TEXT,
    issuer_state TEXT,
    dpop_jkt TEXT,
    expires_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS auth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    configuration_ids TEXT NOT NULL,
    authorization_details BIGINT NOT NULL,
    dpop_jkt TEXT,
    expires_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS access_tokens (
    token_hash TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL,
    configuration_ids TEXT NOT NULL,
    authorization_details BIGINT NOT NULL,
    client_id TEXT,
    dpop_jkt TEXT,
    expires_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS nonces (
    nonce TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS dpop_jtis (
    jti_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS status_lists (
    list_id BIGINT PRIMARY KEY,
    bits BIGINT NOT NULL,
    size BIGINT NOT NULL,
    full_since BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS status_entries (
    list_id BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    status BIGINT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    PRIMARY KEY (list_id, idx)
);

CREATE TABLE IF NOT EXISTS credentials (
    credential_id TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL,
    configuration_id TEXT NOT NULL,
    list_id BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    holder_jkt TEXT NOT NULL,
    kid TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS credentials_subject ON credentials (subject_id);
CREATE INDEX IF NOT EXISTS credentials_notification ON credentials (notification_id);

CREATE TABLE IF NOT EXISTS notifications (
    notification_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    event TEXT,
    updated_at BIGINT NOT NULL
);
