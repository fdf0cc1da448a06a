-- Merchants, their secret keys (SHA-256 only), payments and refunds. The
-- money of payments and refunds is in the ledger; these rows mirror it.
CREATE TABLE merchants (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    mcc         TEXT NOT NULL,
    fee_bp      INTEGER NOT NULL,
    webhook_key BLOB NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX merchants_owner ON merchants (owner_id);

CREATE TABLE merchant_keys (
    hash        BLOB PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL -- 0: no end
) STRICT;

CREATE INDEX merchant_keys_merchant ON merchant_keys (merchant_id);

CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    reference    TEXT NOT NULL,
    description  TEXT NOT NULL,
    manual       INTEGER NOT NULL,
    status       TEXT NOT NULL,
    payer_id     TEXT NOT NULL,
    captured     INTEGER NOT NULL,
    fee          INTEGER NOT NULL,
    refunded     INTEGER NOT NULL,
    refunded_fee INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    capture_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CHECK (refunded >= 0 AND refunded <= captured AND captured <= amount)
) STRICT;

CREATE INDEX payments_merchant ON payments (merchant_id, created_at, id);

CREATE TABLE refunds (
    id         TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    fee        INTEGER NOT NULL,
    currency   TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX refunds_payment ON refunds (payment_id, created_at);
