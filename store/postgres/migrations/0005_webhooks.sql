-- Merchant webhooks (package webhook): the endpoints merchants register,
-- the outbox of events, one delivery per (event, endpoint) that the relay
-- leases, sends and reschedules, and the log of every attempt. Times are
-- Unix nanoseconds (UTC, 0 for "none"), as in the other wallet tables.
CREATE TABLE webhook_endpoints (
    id          text PRIMARY KEY,
    merchant_id text NOT NULL,
    url         text NOT NULL,
    -- The subscribed types space-separated with a space at each end
    -- (' payment.succeeded refund.succeeded ', or ' * '), so that the
    -- fan-out matches a type with LIKE '% type %' on every backend.
    events      text NOT NULL,
    disabled    bigint NOT NULL,
    created_at  bigint NOT NULL
);

CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, created_at, id);

CREATE TABLE webhook_events (
    id          text PRIMARY KEY, -- derived from what happened: publishing twice stores once
    merchant_id text NOT NULL,
    type        text NOT NULL,
    data        text NOT NULL,   -- the JSON object sent as "data"
    created_at  bigint NOT NULL
);

-- Events: newest first, paged by (created_at, id).
CREATE INDEX webhook_events_merchant ON webhook_events (merchant_id, created_at, id);

CREATE TABLE webhook_deliveries (
    event_id    text NOT NULL,
    endpoint_id text NOT NULL,
    merchant_id text NOT NULL,
    state       text NOT NULL,   -- pending, succeeded, failed
    attempts    bigint NOT NULL, -- attempts started, ever; with lease_until, a claim's fence
    failures    bigint NOT NULL, -- since (re)queued: picks the next delay
    next_at     bigint NOT NULL, -- pending: due then
    deadline    bigint NOT NULL, -- no attempt after it
    lease_until bigint NOT NULL, -- a relay sends it until then; 0: none
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
);

-- The relay's claim: pending deliveries by due time, and only those.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    event_id     text NOT NULL,
    endpoint_id  text NOT NULL,
    attempt      bigint NOT NULL,
    attempted_at bigint NOT NULL,
    status       bigint NOT NULL, -- HTTP status; 0: no response (error says why)
    error        text NOT NULL,
    duration     bigint NOT NULL, -- nanoseconds
    next_at      bigint NOT NULL, -- 0: no next attempt
    state        text NOT NULL,   -- the delivery's state after this attempt
    PRIMARY KEY (event_id, endpoint_id, attempt)
);

CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, attempted_at);
