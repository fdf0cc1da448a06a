-- Merchant webhooks (package webhook): the endpoints merchants register,
-- the outbox of events, one delivery per (event, endpoint) that the relay
-- leases, sends and reschedules, and the log of every attempt. Times are
-- Unix nanoseconds (UTC, 0 for "none"), as in the other wallet tables.
CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    url         TEXT NOT NULL,
    -- The subscribed types space-separated with a space at each end
    -- (' payment.succeeded refund.succeeded ', or ' * '), so that the
    -- fan-out matches a type with LIKE '% type %' on every backend.
    events      TEXT NOT NULL,
    disabled    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, created_at, id);

CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY, -- derived from what happened: publishing twice stores once
    merchant_id TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,    -- the JSON object sent as "data"
    created_at  INTEGER NOT NULL
) STRICT;

-- Events: newest first, paged by (created_at, id).
CREATE INDEX webhook_events_merchant ON webhook_events (merchant_id, created_at, id);

CREATE TABLE webhook_deliveries (
    event_id    TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    state       TEXT NOT NULL,    -- pending, succeeded, failed
    attempts    INTEGER NOT NULL, -- attempts started, ever; with lease_until, a claim's fence
    failures    INTEGER NOT NULL, -- since (re)queued: picks the next delay
    next_at     INTEGER NOT NULL, -- pending: due then
    deadline    INTEGER NOT NULL, -- no attempt after it
    lease_until INTEGER NOT NULL, -- a relay sends it until then; 0: none
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
) STRICT;

-- The relay's claim: pending deliveries by due time, and only those.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    event_id     TEXT NOT NULL,
    endpoint_id  TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    attempted_at INTEGER NOT NULL,
    status       INTEGER NOT NULL, -- HTTP status; 0: no response (error says why)
    error        TEXT NOT NULL,
    duration     INTEGER NOT NULL, -- nanoseconds
    next_at      INTEGER NOT NULL, -- 0: no next attempt
    state        TEXT NOT NULL,    -- the delivery's state after this attempt
    PRIMARY KEY (event_id, endpoint_id, attempt)
) STRICT;

CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, attempted_at);
