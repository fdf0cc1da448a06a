-- The bank connector's record of every request it sends (bank/httpbank):
-- created → sent → succeeded | failed | unknown. A final state
-- (succeeded, failed) is never overwritten. Card numbers are not kept.
CREATE TABLE bank_requests (
    id            TEXT    PRIMARY KEY,
    kind          TEXT    NOT NULL,
    amount        INTEGER NOT NULL,
    currency      TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    failure_code  TEXT    NOT NULL,
    bank_seq      INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    next_query_at INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- Daily reconciliation reports against the bank's statements, one per
-- day, replaced when the day is reconciled again.
CREATE TABLE reconciliations (
    day         TEXT    PRIMARY KEY,
    unexplained INTEGER NOT NULL,
    report      BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
