// Package loadgen drives load against a target and measures it, for
// certgate's load tool (certgate bench). It knows nothing about HTTP or
// certgate: a caller gives it one operation to repeat.
//
// Two models:
//
//   - Closed loop (Rate 0): Concurrency workers each send the next request
//     as soon as their last one finished. Latency is the operation's own
//     time. Throughput is what the target sustains at that concurrency.
//   - Open loop (Rate R): requests are due on a fixed timetable, one every
//     1/R seconds from the start, whatever the target does; Concurrency
//     bounds how many are in flight. Latency is measured from the time a
//     request was due, not from when a free worker got round to sending it,
//     so a stalled target shows up as the queueing its users would see
//     (no coordinated omission, as in wrk2 and HdrHistogram).
//
// Latencies go into a Histogram (logarithmic buckets, 0.4% precision);
// failures are counted by the class the operation names.
package loadgen

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// Op performs one request. It returns "" on success, or a short class for
// the failure ("HTTP 403 AccessDeniedException", "transport: connection
// refused"); failures are counted by class. An Op runs in many goroutines
// at once.
type Op func(ctx context.Context) (errClass string)

// Options says how much load to apply.
type Options struct {
	// Concurrency is the number of workers: requests in flight at most.
	Concurrency int
	// Duration ends the run after this long; Requests ends it after this
	// many requests. At least one must be set; with both, the first reached
	// ends it.
	Duration time.Duration
	Requests int
	// Rate, if above zero, is the open-loop send rate in requests per
	// second.
	Rate float64
}

// Validate reports options that cannot run.
func (o Options) Validate() error {
	switch {
	case o.Concurrency < 1:
		return errors.New("concurrency must be at least 1")
	case o.Duration < 0 || o.Requests < 0 || o.Rate < 0:
		return errors.New("duration, requests and rate cannot be negative")
	case o.Duration == 0 && o.Requests == 0:
		return errors.New("give a duration or a number of requests")
	}
	return nil
}

// Run is one measurement in progress. Its methods are safe to call from
// other goroutines while it runs, for progress lines.
type Run struct {
	opts    Options
	start   time.Time
	hist    Histogram
	late    atomic.Uint64 // open loop: requests sent after their due time
	mu      sync.Mutex
	errs    map[string]uint64
	nerrs   atomic.Uint64
	claimed atomic.Int64
	end     atomic.Int64 // elapsed nanoseconds once finished
}

// Start begins a run; Wait (or the returned channel) tells when it ends.
// Cancelling ctx stops it early: requests in flight are abandoned and not
// counted.
func Start(ctx context.Context, opts Options, op Op) (*Run, <-chan struct{}, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	r := &Run{opts: opts, errs: map[string]uint64{}, start: time.Now()}
	runCtx := ctx
	var cancel context.CancelFunc = func() {}
	if opts.Duration > 0 {
		// Requests still in flight at the deadline may finish and count
		// (up to a grace period), so that the slowest are not dropped.
		runCtx, cancel = context.WithDeadline(ctx, r.start.Add(opts.Duration+10*time.Second))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker(ctx, runCtx, op)
		}()
	}
	go func() {
		wg.Wait()
		cancel()
		r.end.Store(int64(time.Since(r.start)))
		close(done)
	}()
	return r, done, nil
}

// Execute runs to the end and returns the report.
func Execute(ctx context.Context, opts Options, op Op) (Report, error) {
	r, done, err := Start(ctx, opts, op)
	if err != nil {
		return Report{}, err
	}
	<-done
	return r.Report(), ctx.Err()
}

// next claims the next request: its sequence number and the time it is due
// (the zero time in closed loop). ok is false when the run is over.
func (r *Run) next() (due time.Time, ok bool) {
	i := r.claimed.Add(1) - 1
	if r.opts.Requests > 0 && i >= int64(r.opts.Requests) {
		return time.Time{}, false
	}
	if r.opts.Rate > 0 {
		due = r.start.Add(time.Duration(float64(i) / r.opts.Rate * float64(time.Second)))
		if r.opts.Duration > 0 && due.Sub(r.start) >= r.opts.Duration {
			return time.Time{}, false
		}
		return due, true
	}
	if r.opts.Duration > 0 && time.Since(r.start) >= r.opts.Duration {
		return time.Time{}, false
	}
	return time.Time{}, true
}

func (r *Run) worker(stop, ctx context.Context, op Op) {
	for stop.Err() == nil {
		due, ok := r.next()
		if !ok {
			return
		}
		if !due.IsZero() {
			if wait := time.Until(due); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-stop.Done():
					t.Stop()
					return
				}
			} else {
				r.late.Add(1)
			}
		}
		sent := time.Now()
		class := op(ctx)
		if stop.Err() != nil {
			return // interrupted: the result says nothing about the target
		}
		from := sent
		if !due.IsZero() {
			from = due // open loop: the wait for a free worker counts
		}
		r.hist.Record(time.Since(from))
		if class != "" {
			r.nerrs.Add(1)
			r.mu.Lock()
			r.errs[class]++
			r.mu.Unlock()
		}
	}
}

// Snapshot is a progress reading.
type Snapshot struct {
	Elapsed  time.Duration
	Requests uint64
	Errors   uint64
	P99      time.Duration
}

// Progress returns the counts so far.
func (r *Run) Progress() Snapshot {
	return Snapshot{Elapsed: time.Since(r.start), Requests: r.hist.Count(), Errors: r.nerrs.Load(), P99: r.hist.Quantile(0.99)}
}

// Report is the result of a run.
type Report struct {
	Elapsed    time.Duration
	Requests   uint64 // completed, successes and failures
	Errors     uint64
	ErrorsBy   map[string]uint64
	Throughput float64 // completed requests per second
	Rate       float64 // the open-loop target rate, 0 in closed loop
	Late       uint64  // open loop: requests sent after they were due
	Mean       time.Duration
	P50        time.Duration
	P90        time.Duration
	P99        time.Duration
	Max        time.Duration
}

// Report summarizes the run so far (final once it has ended).
func (r *Run) Report() Report {
	elapsed := time.Duration(r.end.Load())
	if elapsed == 0 {
		elapsed = time.Since(r.start)
	}
	r.mu.Lock()
	errs := maps.Clone(r.errs)
	r.mu.Unlock()
	n := r.hist.Count()
	rep := Report{
		Elapsed: elapsed, Requests: n, Errors: r.nerrs.Load(), ErrorsBy: errs,
		Rate: r.opts.Rate, Late: r.late.Load(), Mean: r.hist.Mean(),
		P50: r.hist.Quantile(0.50), P90: r.hist.Quantile(0.90), P99: r.hist.Quantile(0.99), Max: r.hist.Max(),
	}
	if elapsed > 0 {
		rep.Throughput = float64(n) / elapsed.Seconds()
	}
	return rep
}
