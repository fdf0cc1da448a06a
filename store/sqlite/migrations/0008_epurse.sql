-- Stored-value cards (e-purse). The value itself is in the ledger (one
-- account per card, epurse:<number>:CNY, together the e-purse float);
-- these tables hold what the protocol needs around it.

-- Cards issued to wallets. status: active, lost (on the deny list since
-- denied_at; its rest is refunded at refund_at), refunded.
CREATE TABLE epurse_cards (
    id          TEXT PRIMARY KEY,   -- epc_<16 hex digits of the card number>
    user_id     TEXT NOT NULL,
    wallet_id   TEXT NOT NULL,
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL,
    denied_at   INTEGER NOT NULL,   -- 0 while active
    refund_at   INTEGER NOT NULL,   -- 0 while active
    refunded    INTEGER NOT NULL,   -- the amount refunded, once refunded
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX epurse_cards_user ON epurse_cards (user_id, created_at);
CREATE INDEX epurse_cards_due ON epurse_cards (status, refund_at);

-- Loads between MAC2 and the card's TAC. At most one pending per card:
-- the card's next INITIALIZE FOR LOAD settles it (see purse/load.go).
-- status: pending, completed, reversed.
CREATE TABLE epurse_loads (
    id             TEXT PRIMARY KEY,  -- epl_…
    card_id        TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    online_counter INTEGER NOT NULL,
    random         TEXT NOT NULL,     -- hex
    amount         INTEGER NOT NULL,
    balance_before INTEGER NOT NULL,
    terminal       TEXT NOT NULL,     -- hex
    time           INTEGER NOT NULL,  -- Unix seconds in MAC2
    mac2           TEXT NOT NULL,     -- hex
    transfer_id    TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX epurse_loads_pending ON epurse_loads (card_id) WHERE status = 'pending';
CREATE INDEX epurse_loads_card ON epurse_loads (card_id, created_at);

-- Terminals (each with a SAM) registered by merchants.
CREATE TABLE epurse_terminals (
    id          TEXT PRIMARY KEY,   -- trm_<12 hex digits of the terminal id>
    merchant_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX epurse_terminals_merchant ON epurse_terminals (merchant_id, created_at);

-- Purchase records cleared, one per card and offline counter. The money of
-- each moved in the ledger transfer transfer_id first; a row missing after
-- a crash is written again when the record is uploaded again.
CREATE TABLE epurse_cleared (
    card_id        TEXT NOT NULL,
    counter        INTEGER NOT NULL,
    terminal       TEXT NOT NULL,     -- hex
    terminal_seq   INTEGER NOT NULL,
    amount         INTEGER NOT NULL,
    time           INTEGER NOT NULL,  -- Unix seconds on the record
    tac            TEXT NOT NULL,     -- hex
    transfer_id    TEXT NOT NULL,
    cleared_at     INTEGER NOT NULL,
    PRIMARY KEY (card_id, counter)
) STRICT;

CREATE INDEX epurse_cleared_terminal ON epurse_cleared (card_id, terminal, terminal_seq);
