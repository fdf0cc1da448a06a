package sqlite

import (
	"errors"
	"time"
)

// SetWALRestartFrames lets a test restart the WAL sooner.
func SetWALRestartFrames(n int64) { walRestartFrames = n }

// SetApplyPace makes the applier wait up to every, or for atLeast transfers,
// before applying (unless a read hurries it); it returns the old pace.
func SetApplyPace(every time.Duration, atLeast int) (time.Duration, int) {
	oldEvery, oldAtLeast := applyEvery, applyAtLeast
	applyEvery, applyAtLeast = every, atLeast
	return oldEvery, oldAtLeast
}

// SetSegmentBytes sets the journal segments' size; it returns the old one.
func SetSegmentBytes(n int64) int64 {
	old := segmentBytes
	segmentBytes = n
	return old
}

// SetApplyAttempts sets how often the applier tries before giving up.
func SetApplyAttempts(n int) int {
	old := applyAttempts
	applyAttempts = n
	return old
}

// Crash stops db as a power cut would, with the records it synced on disk:
// the applier applies nothing more, the segments stay, the lock is let go.
func Crash(db *DB) {
	j := db.journal
	j.fail(errors.New("crashed"))
	close(j.stop)
	<-j.done
	j.seg.Close()
	j.lock.close()
	db.journal = nil
	db.Close()
}

// BreakJournal closes the journal's segment under the syncer, so that its
// next write fails as a failing disk would.
func BreakJournal(db *DB) { db.journal.seg.Close() }

// JournalSegments lists the journal's segment files.
func JournalSegments(path string) []string {
	segs, _ := listSegments(journalDir(path))
	var out []string
	for _, s := range segs {
		out = append(out, s.path)
	}
	return out
}
