-- Merchants, their secret keys (SHA-256 only), payments and refunds. The
-- money of payments and refunds is in the ledger; these rows mirror it.
CREATE TABLE merchants (
    id          text PRIMARY KEY,
    owner_id    text NOT NULL,
    name        text NOT NULL,
    mcc         text NOT NULL,
    fee_bp      bigint NOT NULL,
    webhook_key bytea NOT NULL,
    created_at  bigint NOT NULL
);

CREATE INDEX merchants_owner ON merchants (owner_id);

CREATE TABLE merchant_keys (
    hash        bytea PRIMARY KEY,
    merchant_id text NOT NULL,
    created_at  bigint NOT NULL,
    expires_at  bigint NOT NULL -- 0: no end
);

CREATE INDEX merchant_keys_merchant ON merchant_keys (merchant_id);

CREATE TABLE payments (
    id           text PRIMARY KEY,
    merchant_id  text NOT NULL,
    amount       bigint NOT NULL,
    currency     text NOT NULL,
    reference    text NOT NULL,
    description  text NOT NULL,
    manual       bigint NOT NULL,
    status       text NOT NULL,
    payer_id     text NOT NULL,
    captured     bigint NOT NULL,
    fee          bigint NOT NULL,
    refunded     bigint NOT NULL,
    refunded_fee bigint NOT NULL,
    expires_at   bigint NOT NULL,
    capture_by   bigint NOT NULL,
    created_at   bigint NOT NULL,
    updated_at   bigint NOT NULL,
    CHECK (refunded >= 0 AND refunded <= captured AND captured <= amount)
);

CREATE INDEX payments_merchant ON payments (merchant_id, created_at, id);

CREATE TABLE refunds (
    id         text PRIMARY KEY,
    payment_id text NOT NULL,
    amount     bigint NOT NULL,
    fee        bigint NOT NULL,
    currency   text NOT NULL,
    status     text NOT NULL,
    created_at bigint NOT NULL
);

CREATE INDEX refunds_payment ON refunds (payment_id, created_at);
