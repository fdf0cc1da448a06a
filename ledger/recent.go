package ledger

// maxRecentIDs bounds the IDs the writer remembers; past it the oldest
// batches are forgotten, and requests whose look-up is older than what is
// left are looked up in the database again (at 20,000 transfers/s it holds
// the last 1.6 s, where a request waits a few milliseconds).
const maxRecentIDs = 1 << 15

// recentIDs is what the writer remembers of the IDs its own batches used,
// so that a request whose ID was looked up before it queued (see
// PriorSnapshots) need not be looked up again under the head lock.
//
// A look-up at write version v saw every batch up to v. The IDs it could not
// see are those of the batches committed after v; recentIDs holds every batch
// with a version above floor, so for v >= floor the look-up plus recentIDs is
// exactly the set of used IDs. The versions are the store's, read under the
// head lock: if a batch begins at a version other than the one this writer
// last committed, someone else wrote (another process, or another Ledger on
// the same database), and recentIDs starts over with floor at that version.
// Only the writer goroutine touches it.
type recentIDs struct {
	version int64 // the store's version this memory is true at; -1: unknown
	floor   int64 // every batch with a version above floor is remembered
	ids     map[string]Prior
	batches []recentBatch // oldest first
	n       int           // IDs in batches
}

type recentBatch struct {
	version int64
	ids     []string
}

// begin checks the memory against the version a batch began at and says
// whether it may be used in this batch.
func (m *recentIDs) begin(version int64) {
	if m.ids != nil && m.version == version {
		return
	}
	m.ids = map[string]Prior{}
	m.batches = m.batches[:0]
	m.n = 0
	m.version, m.floor = version, version
}

// covers reports whether a look-up made at version v, together with the
// memory, tells every ID used up to now.
func (m *recentIDs) covers(v int64) bool { return m.ids != nil && v >= m.floor }

// keep records the IDs a committed batch used, which the store now has at
// version. A batch that stored nothing leaves the version where it was.
func (m *recentIDs) keep(version int64, decided map[string]decided) {
	if version == m.version {
		return
	}
	b := recentBatch{version: version, ids: make([]string, 0, len(decided))}
	for id, d := range decided {
		p := Prior{Fingerprint: d.fp}
		if d.ans.err != nil {
			e, ok := d.ans.err.(*Error)
			if !ok {
				continue // not a remembered refusal
			}
			p.Err = e
		} else {
			t := d.ans.res.Transfer
			p.Transfer = &t
		}
		m.ids[id] = p
		b.ids = append(b.ids, id)
	}
	m.batches = append(m.batches, b)
	m.n += len(b.ids)
	m.version = version
	for m.n > maxRecentIDs && len(m.batches) > 1 {
		old := m.batches[0]
		for _, id := range old.ids {
			delete(m.ids, id)
		}
		m.n -= len(old.ids)
		m.floor = old.version
		m.batches[0] = recentBatch{}
		m.batches = m.batches[1:]
	}
}

// reset forgets everything: the next batch starts over.
func (m *recentIDs) reset() { m.ids, m.version = nil, -1 }
