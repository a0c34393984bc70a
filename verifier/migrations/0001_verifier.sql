CREATE TABLE IF NOT EXISTS vp_transactions (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    nonce TEXT NOT NULL,
    client_id TEXT NOT NULL,
    response_mode TEXT NOT NULL,
    template TEXT NOT NULL,
    dcql TEXT NOT NULL,
    enc_key TEXT,
    response_code TEXT,
    presentation TEXT,
    outcome TEXT,
    responded_at BIGINT,
    completed_at BIGINT,
    record_id TEXT
);
CREATE TABLE IF NOT EXISTS rtw_records (
    id TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    employment_end TEXT,
    delete_after BIGINT,
    record TEXT NOT NULL
);
