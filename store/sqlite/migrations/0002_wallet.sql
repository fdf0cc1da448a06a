-- The wallet's own state (store/walletsql): users, sessions, one-time codes,
-- attempt counters, bank cards, bank operations, stored idempotent answers
-- and the audit log. No money: balances are the ledger's.
--
-- The statements are shared with PostgreSQL, so the columns are plain: times
-- are Unix nanoseconds (UTC, 0 for "none"), byte strings are BLOBs, User.Limits
-- is JSON text. STRICT makes SQLite refuse a value of the wrong type instead of
-- storing it, as PostgreSQL would.
CREATE TABLE users (
    id               TEXT    PRIMARY KEY,
    wallet_id        TEXT    NOT NULL UNIQUE,
    phone            TEXT    NOT NULL UNIQUE, -- "UNIQUE constraint failed: users.phone" → phone_taken
    name             TEXT    NOT NULL,
    password_hash    TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    kyc_tier         INTEGER NOT NULL,
    limits           TEXT    NOT NULL,        -- JSON object, or null
    pin_hash         BLOB,                    -- NULL: no PIN set
    pin_failures     INTEGER NOT NULL,
    pin_locked_until INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
) STRICT;

-- SearchUsers: newest first, paged by (created_at, id).
CREATE INDEX users_newest ON users (created_at, id);

CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE otps (
    phone      TEXT    NOT NULL,
    purpose    TEXT    NOT NULL,
    code_hash  BLOB    NOT NULL,
    failures   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (phone, purpose)
) STRICT, WITHOUT ROWID;

CREATE TABLE counters (
    key          TEXT    PRIMARY KEY,
    count        INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE cards (
    id          TEXT    PRIMARY KEY,
    user_id     TEXT    NOT NULL,
    brand       TEXT    NOT NULL,
    last4       TEXT    NOT NULL,
    exp_month   INTEGER NOT NULL,
    exp_year    INTEGER NOT NULL,
    holder      TEXT    NOT NULL,
    fingerprint BLOB    NOT NULL,
    ciphertext  BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    key_id      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    deleted_at  INTEGER NOT NULL -- 0: not deleted
) STRICT;

CREATE INDEX cards_user ON cards (user_id, created_at, id);

CREATE TABLE bank_ops (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    card_id      TEXT    NOT NULL,
    amount       INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    failure_code TEXT    NOT NULL,
    idem_key     TEXT    NOT NULL,
    request_id   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (user_id, idem_key)
) STRICT;

-- OpenBankOps: the recovery worker's few open operations among many
-- finished ones.
CREATE INDEX bank_ops_open ON bank_ops (created_at, id) WHERE status IN ('created', 'pending');

CREATE TABLE answers (
    principal   TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    fingerprint BLOB    NOT NULL,
    status      INTEGER NOT NULL,
    body        BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
) STRICT;

CREATE INDEX answers_created ON answers (created_at);

-- Append-only: the store never updates or deletes a row.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    ip         TEXT    NOT NULL,
    request_id TEXT    NOT NULL,
    time       INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_log_user ON audit_log (user_id, id);
