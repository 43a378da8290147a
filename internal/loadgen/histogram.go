package loadgen

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// subBits sets the histogram's precision: each power of two is split into
// 2^subBits buckets, so a bucket is at most 1/128 of its lower bound wide
// and its midpoint is within 1/256 (0.4%) of any value in it.
const subBits = 7

const (
	subCount = 1 << subBits
	// nBuckets covers every int64 nanosecond count: values below subCount
	// exactly, then subCount buckets for each further power of two.
	nBuckets = subCount + (63-subBits)*subCount
)

// Precision is the histogram's relative error bound: a reported percentile
// or mean is within this fraction of the true sample value it stands for.
const Precision = 1.0 / (2 * subCount)

// Histogram records latencies in HDR-style logarithmic buckets: fixed
// memory (about 58 KiB) whatever the number of samples, relative error at
// most Precision, and lock-free recording from many goroutines. Max and the
// sum are exact.
type Histogram struct {
	counts [nBuckets]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Int64
	max    atomic.Int64
}

// bucketOf returns the bucket index for a value v >= 0.
func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1 - subBits // v>>e is in [subCount, 2*subCount)
	return subCount + e*subCount + int(v>>e) - subCount
}

// bucketMid returns the midpoint of bucket i, the value it reports.
func bucketMid(i int) int64 {
	if i < subCount {
		return int64(i)
	}
	e := (i - subCount) / subCount
	m := int64((i-subCount)%subCount + subCount)
	lo := m << e
	return lo + (int64(1)<<e)/2
}

// Record adds one latency. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
}

// Count returns the number of recorded samples.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max returns the largest recorded latency, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Mean returns the exact mean latency, or 0 without samples.
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / int64(n))
}

// Quantile returns the latency at quantile q in [0, 1]: the smallest
// recorded sample value v such that at least q of the samples are <= v,
// reported as its bucket's midpoint (never above Max). It returns 0
// without samples. Read while others record, it is a consistent-enough
// estimate, not a snapshot.
func (h *Histogram) Quantile(q float64) time.Duration {
	var total uint64
	var counts [nBuckets]uint64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	if rank < 1 {
		rank = 1
	}
	var cum uint64
	for i, c := range counts {
		cum += c
		if cum >= rank {
			return min(time.Duration(bucketMid(i)), h.Max())
		}
	}
	return h.Max()
}
