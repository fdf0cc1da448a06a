-- The sweeper deletes expired sessions, codes and counters in small
-- batches; these indexes find them without scanning the tables.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX otps_expires ON otps (expires_at);
CREATE INDEX counters_window ON counters (window_start);
