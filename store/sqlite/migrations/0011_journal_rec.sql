-- The number of the last ledger-journal record SQLite holds (see
-- store/sqlite/journal.go): a restart applies the records after it.
ALTER TABLE ledger_head ADD COLUMN journal_rec INTEGER NOT NULL DEFAULT 0;
