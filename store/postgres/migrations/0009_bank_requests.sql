-- The bank connector's record of every request it sends (bank/httpbank):
-- created → sent → succeeded | failed | unknown. A final state
-- (succeeded, failed) is never overwritten. Card numbers are not kept.
CREATE TABLE bank_requests (
    id            text   PRIMARY KEY,
    kind          text   NOT NULL,
    amount        bigint NOT NULL,
    currency      text   NOT NULL,
    state         text   NOT NULL,
    failure_code  text   NOT NULL,
    bank_seq      bigint NOT NULL,
    attempts      bigint NOT NULL,
    next_query_at bigint NOT NULL,
    created_at    bigint NOT NULL,
    updated_at    bigint NOT NULL
);

-- Daily reconciliation reports against the bank's statements, one per
-- day, replaced when the day is reconciled again.
CREATE TABLE reconciliations (
    day         text   PRIMARY KEY,
    unexplained bigint NOT NULL,
    report      bytea  NOT NULL,
    created_at  bigint NOT NULL
);
