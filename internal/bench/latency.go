package bench

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power of two is split into
// 2^subBits buckets, so a recorded value is known to within 1/2^(subBits+1)
// (0.4%) of itself — the scheme of HdrHistogram with fixed memory
// (about 58 KiB) whatever the run's length.
const subBits = 7

const subCount = 1 << subBits

// Histogram records durations with bounded relative error. The zero value is
// ready to use. It is not safe for concurrent use: give each caller its own
// and Merge them.
type Histogram struct {
	counts   [(65 - subBits) * subCount]uint64
	n        uint64
	min, max time.Duration
}

// bucketOf maps a non-negative value to its bucket: values below 2^subBits
// get one bucket each; above, the bucket keeps the top subBits+1 bits.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	n := bits.Len64(v)       // > subBits
	shift := n - subBits - 1 // >= 0
	return (shift)*subCount + int(v>>shift)
}

// bucketRange is the smallest and largest value that fall into bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < subCount {
		return uint64(i), uint64(i)
	}
	shift := i/subCount - 1
	m := uint64(i%subCount + subCount)
	lo = m << shift
	return lo, lo + (1 << shift) - 1
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100): the
// smallest recorded value that at least p% of the values do not exceed,
// to within the histogram's precision (the minimum and maximum exactly).
// It returns 0 when nothing was recorded.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	switch rank { // the extremes are known exactly
	case 1:
		return h.min
	case h.n:
		return h.max
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			mid := time.Duration(lo + (hi-lo)/2)
			return min(max(mid, h.min), h.max)
		}
	}
	return h.max
}
