package loadgen

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// within reports whether got is within the histogram's precision of want.
func within(got, want time.Duration) bool {
	d := float64(got - want)
	if d < 0 {
		d = -d
	}
	return d <= Precision*float64(want)+1
}

// A known distribution: uniform 1..1000 ms, each value once, fed in a
// random order. The exact quantiles are the order statistics.
func TestHistogramUniform(t *testing.T) {
	var h Histogram
	vals := rand.Perm(1000)
	for _, v := range vals {
		h.Record(time.Duration(v+1) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.50, 500 * time.Millisecond}, {0.90, 900 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, 1000 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := h.Quantile(c.q); !within(got, c.want) {
			t.Errorf("q%.3f = %v, want %v within %.2f%%", c.q, got, c.want, Precision*100)
		}
	}
	if h.Max() != time.Second || h.Count() != 1000 {
		t.Errorf("max %v count %d", h.Max(), h.Count())
	}
	if h.Mean() != 500500*time.Microsecond {
		t.Errorf("mean %v, want 500.5ms", h.Mean())
	}
}

// Every value from 0 to well past the exact range lands in a bucket whose
// midpoint is within the stated precision, and buckets are in order.
func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for v := int64(0); v < 1<<20; v += 1 + v/1000 {
		i := bucketOf(v)
		if i < prev || i >= nBuckets {
			t.Fatalf("bucketOf(%d) = %d after %d", v, i, prev)
		}
		prev = i
		if mid := bucketMid(i); !within(time.Duration(mid), time.Duration(v)) {
			t.Fatalf("value %d reported as %d", v, mid)
		}
	}
	for _, v := range []int64{1 << 40, 1<<62 + 12345, 1<<63 - 1} {
		if i := bucketOf(v); i >= nBuckets || !within(time.Duration(bucketMid(i)), time.Duration(v)) {
			t.Fatalf("value %d: bucket %d mid %d", v, i, bucketMid(i))
		}
	}
}

func TestClosedLoopRequests(t *testing.T) {
	var n atomic.Int64
	rep, err := Execute(context.Background(), Options{Concurrency: 4, Requests: 1000}, func(context.Context) string {
		if n.Add(1)%10 == 0 {
			return "HTTP 503"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1000 || rep.Requests != 1000 || rep.Errors != 100 || rep.ErrorsBy["HTTP 503"] != 100 || len(rep.ErrorsBy) != 1 {
		t.Errorf("ran %d; report %+v", n.Load(), rep)
	}
}

// A deliberately slow target under an open-loop rate it cannot serve: one
// worker, a 20 ms operation, 40 requests due 5 ms apart. The 40th is due at
// 195 ms but cannot start before 780 ms, so its latency from its due time
// is at least 585 ms, while each operation itself takes about 20 ms. A
// tool with coordinated omission (latency from the actual send) reports
// about 20 ms for all of them.
func TestOpenLoopCountsLateness(t *testing.T) {
	const service = 20 * time.Millisecond
	slow := func(context.Context) string { time.Sleep(service); return "" }
	rep, err := Execute(context.Background(), Options{Concurrency: 1, Requests: 40, Rate: 200}, slow)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 40 {
		t.Fatalf("requests %d", rep.Requests)
	}
	if rep.Max < 585*time.Millisecond {
		t.Errorf("max latency %v: the lateness of queued sends is not counted (operation takes %v)", rep.Max, service)
	}
	if rep.P50 < 5*service {
		t.Errorf("p50 %v: lateness not counted", rep.P50)
	}
	if rep.Late < 30 {
		t.Errorf("late sends %d, want most of 40", rep.Late)
	}

	// The same target in closed loop: latency is the service time.
	closed, _ := Execute(context.Background(), Options{Concurrency: 1, Requests: 10}, slow)
	if closed.P50 < service {
		t.Errorf("closed loop p50 %v < service time %v", closed.P50, service)
	}
}

// An open loop does not send ahead of its timetable: 21 requests at 100/s
// span at least 200 ms, with a fast target.
func TestOpenLoopKeepsRate(t *testing.T) {
	rep, err := Execute(context.Background(), Options{Concurrency: 8, Requests: 21, Rate: 100}, func(context.Context) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Elapsed < 200*time.Millisecond || rep.Requests != 21 {
		t.Errorf("21 requests at 100/s took %v (%d done)", rep.Elapsed, rep.Requests)
	}
}

func TestDurationEnds(t *testing.T) {
	rep, err := Execute(context.Background(), Options{Concurrency: 2, Duration: 100 * time.Millisecond}, func(context.Context) string {
		time.Sleep(time.Millisecond)
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Elapsed < 100*time.Millisecond || rep.Requests == 0 {
		t.Errorf("report %+v", rep)
	}
}

func TestCancelStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := Execute(ctx, Options{Concurrency: 2, Duration: time.Hour}, func(ctx context.Context) string {
		<-ctx.Done()
		return "cancelled"
	})
	if err == nil {
		t.Fatal("no error from a cancelled run")
	}
}

func TestValidate(t *testing.T) {
	for _, o := range []Options{{}, {Concurrency: 1}, {Concurrency: 0, Requests: 1}, {Concurrency: 1, Requests: -1}} {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
