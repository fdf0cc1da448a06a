-- The ledger: accounts, the hash-chained journal, per-account entries, holds,
-- remembered refusals and the journal head. Times are Unix nanoseconds (UTC,
-- microsecond precision); amounts are integer minor units.
--
-- An account's balances are those of its newest entry (balance, held_after):
-- they are not copied into accounts, so a batch does not rewrite one accounts
-- page per account it touches on top of the entries it appends.
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    currency   TEXT    NOT NULL,
    flags      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE transfers (
    seq        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    type       INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    hold_id    TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    postings   TEXT    NOT NULL,
    metadata   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    fp         BLOB    NOT NULL,
    hash       BLOB    NOT NULL
);

CREATE TABLE entries (
    account_id INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    amount     INTEGER NOT NULL,
    held_delta INTEGER NOT NULL,
    balance    INTEGER NOT NULL,
    held_after INTEGER NOT NULL,
    PRIMARY KEY (account_id, seq)
) WITHOUT ROWID;

CREATE TABLE holds (
    id          TEXT    PRIMARY KEY,
    seq         INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    resolved_by INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX holds_pending_expiry ON holds (expires_at) WHERE status = 1 AND expires_at > 0;

CREATE TABLE rejections (
    id         TEXT    PRIMARY KEY,
    fp         BLOB    NOT NULL,
    code       TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE ledger_head (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    seq  INTEGER NOT NULL,
    hash BLOB    NOT NULL,
    time INTEGER NOT NULL
);

INSERT INTO ledger_head (one, seq, hash, time) VALUES (1, 0, zeroblob(32), 0);
