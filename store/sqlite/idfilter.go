package sqlite

import (
	"hash/maphash"
	"math/bits"
)

// idFilter remembers every transfer ID the ledger has used (committed or
// refused) as a Bloom filter, so that the journaling writer can tell a new
// ID from a possibly used one without reading SQLite: a new ID, nearly every
// request, needs no look-up at all; a "maybe" (an ID really used, or a false
// positive about one time in a hundred) is looked up in the database, so an
// answer is never wrong, only sometimes slower.
//
// It grows by adding filters twice the size of the last one, each sized for
// its own share of IDs at a fixed false-positive rate, so it needs no
// rebuilding: about 1.2 bytes per ID.
type idFilter struct {
	seed    maphash.Seed
	filters []*bloom
}

// idFilterHashes is k, the probes per ID: 7 at 10 bits per ID gives a
// false-positive rate of about 1%.
const (
	idFilterHashes  = 7
	idFilterBitsPer = 10
	idFilterMinCap  = 1 << 16
)

type bloom struct {
	bits  []uint64
	mask  uint64 // len(bits)*64 - 1 (a power of two)
	n, at int    // IDs added, capacity
}

func newIDFilter(expected int) *idFilter {
	f := &idFilter{seed: maphash.MakeSeed()}
	f.grow(max(idFilterMinCap, 2*expected))
	return f
}

func (f *idFilter) grow(capacity int) {
	nbits := uint64(1) << bits.Len64(uint64(capacity*idFilterBitsPer-1))
	f.filters = append(f.filters, &bloom{bits: make([]uint64, nbits/64), mask: nbits - 1, at: capacity})
}

// probes returns the two halves of the double hashing of id.
func (f *idFilter) probes(id string) (uint64, uint64) {
	h := maphash.String(f.seed, id)
	return h, h>>32 | h<<32 | 1
}

func (f *idFilter) add(id string) {
	last := f.filters[len(f.filters)-1]
	if last.n >= last.at {
		f.grow(2 * last.at)
		last = f.filters[len(f.filters)-1]
	}
	h1, h2 := f.probes(id)
	for i := range uint64(idFilterHashes) {
		b := (h1 + i*h2) & last.mask
		last.bits[b/64] |= 1 << (b % 64)
	}
	last.n++
}

// mayContain is false only for an ID never added.
func (f *idFilter) mayContain(id string) bool {
	h1, h2 := f.probes(id)
	for _, bl := range f.filters {
		hit := true
		for i := range uint64(idFilterHashes) {
			b := (h1 + i*h2) & bl.mask
			if bl.bits[b/64]&(1<<(b%64)) == 0 {
				hit = false
				break
			}
		}
		if hit {
			return true
		}
	}
	return false
}
