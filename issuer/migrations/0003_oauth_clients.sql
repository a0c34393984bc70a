-- Registered OAuth clients (wallets) with their exact redirect URIs: a pushed authorization
-- request from any other client, or to any other redirect URI, is refused. And a count of
-- wrong sign-in codes on each pushed request: the fifth consumes it.

CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

ALTER TABLE par_requests ADD COLUMN failed_attempts BIGINT NOT NULL DEFAULT 0;
