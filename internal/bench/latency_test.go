package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	t.Run("Contiguous", func(t *testing.T) {
		for i := 0; i+1 < len(Histogram{}.counts); i++ {
			_, hi := bucketRange(i)
			lo, _ := bucketRange(i + 1)
			if hi+1 != lo {
				t.Fatalf("bucket %d ends at %d, bucket %d starts at %d", i, hi, i+1, lo)
			}
		}
		if _, hi := bucketRange(len(Histogram{}.counts) - 1); hi != math.MaxUint64 {
			t.Fatalf("last bucket ends at %d", hi)
		}
	})
	t.Run("ValueInItsBucket", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 100000 {
			v := rng.Uint64() >> rng.IntN(64)
			lo, hi := bucketRange(bucketOf(v))
			if v < lo || v > hi {
				t.Fatalf("%d in bucket [%d, %d]", v, lo, hi)
			}
			if v >= subCount && float64(hi-lo) > float64(v)/subCount {
				t.Fatalf("bucket [%d, %d] of %d is wider than 1/%d of it", lo, hi, v, subCount)
			}
		}
	})
}

// exactPercentile is the nearest-rank percentile of sorted.
func exactPercentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func TestPercentile(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		var h Histogram
		if got := h.Percentile(99); got != 0 {
			t.Fatalf("p99 of nothing = %s", got)
		}
	})
	t.Run("OneValueIsExact", func(t *testing.T) {
		var h Histogram
		h.Record(1234567 * time.Nanosecond)
		for _, p := range []float64{1, 50, 99, 100} {
			if got := h.Percentile(p); got != 1234567 {
				t.Fatalf("p%v = %d", p, got)
			}
		}
	})
	t.Run("SmallCounts", func(t *testing.T) {
		var h Histogram
		for _, v := range []time.Duration{5, 1, 4, 2, 3} { // below subCount: exact buckets
			h.Record(v)
		}
		for p, want := range map[float64]time.Duration{20: 1, 40: 2, 50: 3, 60: 3, 80: 4, 95: 5, 100: 5} {
			if got := h.Percentile(p); got != want {
				t.Errorf("p%v = %d, want %d", p, got, want)
			}
		}
	})
	t.Run("LogNormalWithinPrecision", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		var parts [4]Histogram // recorded by four "callers", then merged
		var all []time.Duration
		for i := range 200000 {
			d := time.Duration(math.Exp(rng.NormFloat64()*1.5) * float64(2*time.Millisecond))
			parts[i%4].Record(d)
			all = append(all, d)
		}
		var h Histogram
		for i := range parts {
			h.Merge(&parts[i])
		}
		if h.Count() != uint64(len(all)) {
			t.Fatalf("count %d, want %d", h.Count(), len(all))
		}
		slices.Sort(all)
		for _, p := range []float64{0.1, 50, 95, 99, 99.9, 100} {
			want, got := exactPercentile(all, p), h.Percentile(p)
			if rel := math.Abs(float64(got-want)) / float64(want); rel > 1.0/subCount {
				t.Errorf("p%v = %s, exact %s (off by %.2f%%)", p, got, want, rel*100)
			}
		}
		if h.Percentile(100) != all[len(all)-1] {
			t.Errorf("p100 = %s, want the maximum %s", h.Percentile(100), all[len(all)-1])
		}
	})
	t.Run("NegativeCountsAsZero", func(t *testing.T) {
		var h Histogram
		h.Record(-time.Second)
		if got := h.Percentile(50); got != 0 {
			t.Fatalf("p50 = %s", got)
		}
	})
}
