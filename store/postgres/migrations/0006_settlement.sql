-- Where each follower of the ledger's journal has got to (the merchant
-- package mirrors payments and publishes their events from it).
CREATE TABLE cursors (
    name text PRIMARY KEY,
    seq  bigint NOT NULL
);

-- The sweeper's look-up of unpaid payments whose time ran out.
CREATE INDEX payments_due ON payments (status, expires_at);

-- The card of the merchant's owner that settlements are paid to ('' none).
ALTER TABLE merchants ADD COLUMN payout_card text NOT NULL DEFAULT '';

-- Settlements: one payout per merchant, day and currency. The money is in
-- the ledger and the bank operation (bank_ops, kind payout) tracks the
-- bank's answer; this row names them.
CREATE TABLE payouts (
    id          text PRIMARY KEY,
    merchant_id text NOT NULL,
    day         text NOT NULL, -- YYYY-MM-DD in the operator's zone
    currency    text NOT NULL,
    amount      bigint NOT NULL,
    card_id     text NOT NULL,
    status      text NOT NULL, -- pending, paid, failed
    failure     text NOT NULL,
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL,
    UNIQUE (merchant_id, day, currency)
);

CREATE INDEX payouts_merchant ON payouts (merchant_id, created_at, id);
