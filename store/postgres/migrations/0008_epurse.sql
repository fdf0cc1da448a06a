-- Stored-value cards (e-purse). The value itself is in the ledger (one
-- account per card, epurse:<number>:CNY, together the e-purse float);
-- these tables hold what the protocol needs around it.

-- Cards issued to wallets. status: active, lost (on the deny list since
-- denied_at; its rest is refunded at refund_at), refunded.
CREATE TABLE epurse_cards (
    id          text PRIMARY KEY,   -- epc_<16 hex digits of the card number>
    user_id     text NOT NULL,
    wallet_id   text NOT NULL,
    currency    text NOT NULL,
    status      text NOT NULL,
    denied_at   bigint NOT NULL,   -- 0 while active
    refund_at   bigint NOT NULL,   -- 0 while active
    refunded    bigint NOT NULL,   -- the amount refunded, once refunded
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL
);

CREATE INDEX epurse_cards_user ON epurse_cards (user_id, created_at);
CREATE INDEX epurse_cards_due ON epurse_cards (status, refund_at);

-- Loads between MAC2 and the card's TAC. At most one pending per card:
-- the card's next INITIALIZE FOR LOAD settles it (see purse/load.go).
-- status: pending, completed, reversed.
CREATE TABLE epurse_loads (
    id             text PRIMARY KEY,  -- epl_…
    card_id        text NOT NULL,
    user_id        text NOT NULL,
    online_counter bigint NOT NULL,
    random         text NOT NULL,     -- hex
    amount         bigint NOT NULL,
    balance_before bigint NOT NULL,
    terminal       text NOT NULL,     -- hex
    time           bigint NOT NULL,  -- Unix seconds in MAC2
    mac2           text NOT NULL,     -- hex
    transfer_id    text NOT NULL,
    status         text NOT NULL,
    created_at     bigint NOT NULL,
    updated_at     bigint NOT NULL
);

CREATE UNIQUE INDEX epurse_loads_pending ON epurse_loads (card_id) WHERE status = 'pending';
CREATE INDEX epurse_loads_card ON epurse_loads (card_id, created_at);

-- Terminals (each with a SAM) registered by merchants.
CREATE TABLE epurse_terminals (
    id          text PRIMARY KEY,   -- trm_<12 hex digits of the terminal id>
    merchant_id text NOT NULL,
    name        text NOT NULL,
    currency    text NOT NULL,
    created_at  bigint NOT NULL
);

CREATE INDEX epurse_terminals_merchant ON epurse_terminals (merchant_id, created_at);

-- Purchase records cleared, one per card and offline counter. The money of
-- each moved in the ledger transfer transfer_id first; a row missing after
-- a crash is written again when the record is uploaded again.
CREATE TABLE epurse_cleared (
    card_id        text NOT NULL,
    counter        bigint NOT NULL,
    terminal       text NOT NULL,     -- hex
    terminal_seq   bigint NOT NULL,
    amount         bigint NOT NULL,
    time           bigint NOT NULL,  -- Unix seconds on the record
    tac            text NOT NULL,     -- hex
    transfer_id    text NOT NULL,
    cleared_at     bigint NOT NULL,
    PRIMARY KEY (card_id, counter)
);

CREATE INDEX epurse_cleared_terminal ON epurse_cleared (card_id, terminal, terminal_seq);
