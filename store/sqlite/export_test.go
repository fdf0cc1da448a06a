package sqlite

// SetWALRestartFrames lets a test restart the WAL sooner.
func SetWALRestartFrames(n int64) { walRestartFrames = n }
