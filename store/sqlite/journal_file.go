package sqlite

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// The journal lives beside the database file, in <database>.ledger-journal/:
// a lock file and segments named by the number of their first record. The
// writer appends to the newest segment and starts another once it is
// segmentBytes long; a segment is deleted once SQLite holds every record in
// it durably.
var segmentBytes int64 = 64 << 20

const segmentExt = ".seg"

func journalDir(dbPath string) string { return dbPath + ".ledger-journal" }

func segmentName(dir string, first uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", first, segmentExt))
}

// segment is one journal file: its first record's number and, once known,
// its last.
type segment struct {
	path  string
	first uint64
	last  uint64 // 0 while it may still grow or when empty
}

// listSegments returns the directory's segments in record order.
func listSegments(dir string) ([]segment, error) {
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []segment
	for _, e := range names {
		name, ok := strings.CutSuffix(e.Name(), segmentExt)
		if !ok {
			continue
		}
		first, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, segment{path: filepath.Join(dir, e.Name()), first: first})
	}
	slices.SortFunc(out, func(a, b segment) int { return cmp.Compare(a.first, b.first) })
	return out, nil
}

// lockFile is an advisory lock on the journal directory: exclusive for the
// one process that journals, shared for processes that write SQLite
// directly (OpenShared), so that the two kinds never write at once.
type lockFile struct{ f *os.File }

// ErrInUse is returned when another process holds the database in a way
// that excludes this one.
var ErrInUse = errors.New("the database is in use by another ewallet process")

func openLock(dir string) (*lockFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create journal directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &lockFile{f: f}, nil
}

// try takes the lock (exclusive or shared) without waiting; a lock already
// held in the other mode is converted.
func (l *lockFile) try(exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	err := syscall.Flock(int(l.f.Fd()), how|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrInUse
	}
	return err
}

func (l *lockFile) close() error { return l.f.Close() } // closing releases the lock

// syncDir makes a directory's entries (a new or deleted segment) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// readSegment returns the records of a segment, and the offset where the
// readable ones end: a crash can leave a torn record at the end of the last
// segment, which is not an error.
func readSegment(path string) ([]record, int64, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	var out []record
	off := 0
	for off < len(buf) {
		rec, n, err := readRecord(buf[off:])
		if errors.Is(err, errTorn) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s at offset %d: %w", path, off, err)
		}
		out = append(out, rec)
		off += n
	}
	return out, int64(off), nil
}
