package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// --reference for aws-generate: the target for aws-generate is a ratio to
// rsa.GenerateKey on all cores of the same machine, in the same run. The
// load tool measures that reference itself, in its own process, for half
// the run's duration before the scenario and half after (so that a change
// in the machine's other load during the run weighs on both), and prints
// the scenario's throughput as a fraction of their mean.
//
// It is only meaningful when the tool runs on the server's machine.

// keygenWork names, per scenario, the work --reference measures.
var keygenWork = map[string]string{"aws-generate": "rsa.GenerateKey(2048)"}

// keygenReference is the reference's figures in bench's output.
type keygenReference struct {
	Work       string  `json:"work"`
	Goroutines int     `json:"goroutines"`
	Before     float64 `json:"before"` // per second, measured before the scenario
	After      float64 `json:"after"`  // and after it
	Throughput float64 `json:"perSecond"`
	Ratio      float64 `json:"ratio"` // the scenario's requests/s over Throughput
}

// generateRate runs rsa.GenerateKey(2048) on n goroutines for d and
// returns keys per second, counting a key still being made at the end as
// the fraction of it done (estimated from the mean time per key), so
// that a short run is not rounded down by whole keys.
func generateRate(ctx context.Context, n int, d time.Duration) float64 {
	var keys atomic.Int64
	var busy atomic.Int64 // nanoseconds of finished generations
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	partial := make([]time.Duration, n)
	for g := range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				t := time.Now()
				if !t.Before(end) {
					return
				}
				if _, err := rsa.GenerateKey(rand.Reader, 2048); err != nil {
					return
				}
				done := time.Now()
				if done.After(end) {
					partial[g] = end.Sub(t)
					busy.Add(int64(done.Sub(t)))
					keys.Add(1)
					return
				}
				busy.Add(int64(done.Sub(t)))
				keys.Add(1)
			}
		})
	}
	wg.Wait()
	k := float64(keys.Load())
	if k == 0 {
		return 0
	}
	// Keys that ended after end count for the part inside it only.
	mean := float64(busy.Load()) / k
	for _, p := range partial {
		if p > 0 {
			k -= 1 - float64(p)/mean
		}
	}
	return k / end.Sub(start).Seconds()
}

// runKeygenReference measures the reference of scenario around run (the
// scenario itself).
func runKeygenReference(ctx context.Context, scenario string, d time.Duration, run func() float64) (float64, *keygenReference) {
	n := runtime.GOMAXPROCS(0)
	ref := &keygenReference{Work: keygenWork[scenario], Goroutines: n}
	ref.Before = generateRate(ctx, n, d/2)
	got := run()
	ref.After = generateRate(ctx, n, d/2)
	ref.Before, ref.After = round1(ref.Before), round1(ref.After)
	ref.Throughput = round1((ref.Before + ref.After) / 2)
	// Of the figures as printed, so that a reader can check it.
	if ref.Throughput > 0 {
		ref.Ratio = math.Round(round1(got)/ref.Throughput*1000) / 1000
	}
	return got, ref
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func (r *keygenReference) table(w io.Writer, scenario string) {
	fmt.Fprintf(w, "\nreference: %s on %d goroutines: %.1f/s (%.1f before, %.1f after)\n", r.Work, r.Goroutines, r.Throughput, r.Before, r.After)
	fmt.Fprintf(w, "%s: %.1f%% of the reference\n", scenario, 100*r.Ratio)
}
