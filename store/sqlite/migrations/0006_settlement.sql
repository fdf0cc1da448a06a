-- Where each follower of the ledger's journal has got to (the merchant
-- package mirrors payments and publishes their events from it).
CREATE TABLE cursors (
    name TEXT PRIMARY KEY,
    seq  INTEGER NOT NULL
) STRICT;

-- The sweeper's look-up of unpaid payments whose time ran out.
CREATE INDEX payments_due ON payments (status, expires_at);

-- The card of the merchant's owner that settlements are paid to ('' none).
ALTER TABLE merchants ADD COLUMN payout_card TEXT NOT NULL DEFAULT '';

-- Settlements: one payout per merchant, day and currency. The money is in
-- the ledger and the bank operation (bank_ops, kind payout) tracks the
-- bank's answer; this row names them.
CREATE TABLE payouts (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    day         TEXT NOT NULL, -- YYYY-MM-DD in the operator's zone
    currency    TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    card_id     TEXT NOT NULL,
    status      TEXT NOT NULL, -- pending, paid, failed
    failure     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (merchant_id, day, currency)
) STRICT;

CREATE INDEX payouts_merchant ON payouts (merchant_id, created_at, id);
