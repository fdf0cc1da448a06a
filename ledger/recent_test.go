package ledger

import (
	"fmt"
	"testing"
)

// The writer's memory of used IDs forgets whole batches, oldest first, and
// then covers only the look-ups made at or after the newest batch it forgot.
func TestRecentIDsEviction(t *testing.T) {
	var m recentIDs
	m.reset()
	if m.covers(0) {
		t.Fatal("an unset memory covers nothing")
	}
	m.begin(10)
	if !m.covers(10) || m.covers(9) {
		t.Fatal("after starting at version 10, it covers look-ups from 10 on")
	}
	const per = 1000
	batches := maxRecentIDs/per + 3
	for b := range batches {
		ds := map[string]decided{}
		for i := range per {
			ds[fmt.Sprintf("%d-%d", b, i)] = decided{ans: answer{res: Result{Transfer: Transfer{Seq: int64(b*per + i)}}}}
		}
		m.begin(int64(10 + b))
		m.keep(int64(11+b), ds)
	}
	if m.n > maxRecentIDs || m.n != len(m.ids) {
		t.Fatalf("holds %d IDs (map %d), bound %d", m.n, len(m.ids), maxRecentIDs)
	}
	forgotten := batches - m.n/per
	if m.floor != int64(10+forgotten) {
		t.Fatalf("floor %d after forgetting %d batches, want %d", m.floor, forgotten, 10+forgotten)
	}
	if m.covers(m.floor-1) || !m.covers(m.floor) {
		t.Fatalf("covers the wrong look-ups around floor %d", m.floor)
	}
	if _, ok := m.ids["0-0"]; ok {
		t.Fatal("a forgotten batch's ID is still remembered")
	}
	if p, ok := m.ids[fmt.Sprintf("%d-5", batches-1)]; !ok || p.Transfer == nil {
		t.Fatal("the newest batch's ID is not remembered")
	}
	// Someone else wrote: the memory starts over at the version found.
	m.begin(m.version + 5)
	if len(m.ids) != 0 || m.covers(m.version-1) || !m.covers(m.version) {
		t.Fatal("a version jump must empty the memory")
	}
	// A batch that stored nothing leaves the version and remembers nothing.
	v := m.version
	m.keep(v, map[string]decided{"x": {}})
	if _, ok := m.ids["x"]; ok {
		t.Fatal("kept IDs of a batch that stored nothing")
	}
}
