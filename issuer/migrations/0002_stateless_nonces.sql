-- c_nonce values are minted without a write (HMAC under a key kept here, shared by every
-- issuer process) and made single use at redemption: the issuance transaction inserts the
-- nonce's digest into used_nonces, and a conflict on the primary key is a replay.

CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS used_nonces (
    nonce_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

DROP TABLE IF EXISTS nonces;
