-- The sweeper's look-up of refunds whose money never moved (a crash, or an
-- outcome not known, between reserving the amount and the ledger).
CREATE INDEX refunds_pending ON refunds (status, created_at);
