-- The ledger's write version: one more after every batch that stored
-- anything, rejections included (a batch of refusals alone does not move the
-- head's seq). A caller that looked up its transfer ID on a read connection
-- notes the version it saw; the writer then knows exactly which batches that
-- look-up could not have seen (see ledger.PriorSnapshots).
ALTER TABLE ledger_head ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
