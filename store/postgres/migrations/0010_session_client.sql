-- Where a session was opened from, so that the holder can tell their own
-- devices from a stranger's in the sessions list.
ALTER TABLE sessions ADD COLUMN ip text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent text NOT NULL DEFAULT '';
