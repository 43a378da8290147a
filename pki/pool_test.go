package pki

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// countingGen wraps GenerateKey and counts calls.
func countingGen(n *atomic.Int64) func(KeyType, io.Reader) (crypto.Signer, error) {
	return func(kt KeyType, r io.Reader) (crypto.Signer, error) {
		n.Add(1)
		return GenerateKey(kt, r)
	}
}

func TestKeyPoolFillAndDrain(t *testing.T) {
	for _, kt := range []KeyType{ECDSAP256, RSA2048} {
		t.Run(string(kt), func(t *testing.T) {
			const size = 4
			p := NewKeyPool(PoolOptions{KeyType: kt, Size: size, Workers: 2})
			var gens atomic.Int64
			p.gen = countingGen(&gens)
			defer p.Close()
			p.Start(t.Context())
			p.Start(t.Context()) // idempotent
			waitFor(t, 30*time.Second, "pool to fill", func() bool { return p.Len() == size })

			// Full: workers block instead of generating more.
			time.Sleep(50 * time.Millisecond)
			if g := gens.Load(); g != size {
				t.Errorf("generated %d keys for a pool of %d", g, size)
			}
			if p.Len() != size || p.Cap() != size {
				t.Errorf("Len %d Cap %d", p.Len(), p.Cap())
			}

			seen := map[crypto.Signer]bool{}
			for range size {
				k, err := p.Get(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if seen[k] {
					t.Fatal("key handed out twice")
				}
				seen[k] = true
			}
			if h, m := p.Stats(); h != size || m != 0 {
				t.Errorf("Stats = %d hits, %d misses; want %d, 0", h, m, size)
			}
			// Getting freed the slots; the pool refills.
			waitFor(t, 30*time.Second, "pool to refill", func() bool { return p.Len() == size })
			if g := gens.Load(); g != 2*size {
				t.Errorf("generated %d keys after one drain; want %d", g, 2*size)
			}
		})
	}
}

func TestKeyPoolConcurrent(t *testing.T) {
	const size, getters, perGetter = 8, 8, 25
	p := NewKeyPool(PoolOptions{KeyType: ECDSAP256, Size: size, Workers: 2})
	defer p.Close()
	p.Start(t.Context())

	var mu sync.Mutex
	seen := map[crypto.Signer]bool{}
	var wg sync.WaitGroup
	for range getters {
		wg.Go(func() {
			for range perGetter {
				k, err := p.Get(t.Context())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[k] {
					t.Error("key handed out twice")
				}
				seen[k] = true
				mu.Unlock()
				_ = p.Len()
				_, _ = p.Stats()
			}
		})
	}
	wg.Wait()
	h, m := p.Stats()
	if h+m != getters*perGetter || len(seen) != getters*perGetter {
		t.Errorf("hits %d + misses %d, %d distinct keys; want %d", h, m, len(seen), getters*perGetter)
	}
	if p.Len() > size {
		t.Errorf("Len %d exceeds size %d", p.Len(), size)
	}
}

func TestKeyPoolCloseDuringRefill(t *testing.T) {
	// A slow generator stands in for RSA under load: Close must wait for the
	// key in progress, and no longer.
	const genTime = 200 * time.Millisecond
	started := make(chan struct{}, 16)
	p := NewKeyPool(PoolOptions{KeyType: ECDSAP256, Size: 100, Workers: 2})
	p.gen = func(kt KeyType, r io.Reader) (crypto.Signer, error) {
		started <- struct{}{}
		time.Sleep(genTime)
		return GenerateKey(kt, r)
	}
	p.Start(t.Context())
	<-started
	t0 := time.Now()
	p.Close()
	if d := time.Since(t0); d > genTime+time.Second {
		t.Errorf("Close took %v", d)
	}
	p.Close() // idempotent
	n := p.Len()
	time.Sleep(genTime + 50*time.Millisecond)
	if p.Len() != n {
		t.Error("pool still growing after Close")
	}
	// Get keeps working after Close.
	if _, err := p.Get(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Start after Close does nothing.
	p.Start(t.Context())
	time.Sleep(20 * time.Millisecond)
	if p.Len() > n {
		t.Error("Start after Close restarted the workers")
	}
}

func TestKeyPoolRealRSAClose(t *testing.T) {
	p := NewKeyPool(PoolOptions{KeyType: RSA2048, Size: 50, Workers: 2})
	p.Start(t.Context())
	time.Sleep(30 * time.Millisecond) // mid-refill
	t0 := time.Now()
	p.Close()
	// One 2048-bit key is ~50 ms; the race detector and a busy machine make
	// it several times slower, still far under this bound.
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
}

func TestKeyPoolContextStopsWorkers(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var gens atomic.Int64
	p := NewKeyPool(PoolOptions{KeyType: ECDSAP256, Size: 2})
	p.gen = countingGen(&gens)
	p.Start(ctx)
	waitFor(t, 10*time.Second, "pool to fill", func() bool { return p.Len() == 2 })
	cancel()
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung after ctx cancellation")
	}
	// Workers are gone: draining does not trigger generation.
	g := gens.Load()
	for range 2 {
		if _, err := p.Get(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(30 * time.Millisecond)
	if gens.Load() != g {
		t.Error("workers kept refilling after ctx was cancelled")
	}
}

func TestKeyPoolSizeZero(t *testing.T) {
	p := NewKeyPool(PoolOptions{KeyType: ECDSAP256})
	p.Start(t.Context())
	for range 3 {
		k, err := p.Get(t.Context())
		if err != nil || k == nil {
			t.Fatalf("Get = %v, %v", k, err)
		}
	}
	if h, m := p.Stats(); h != 0 || m != 3 {
		t.Errorf("Stats = %d, %d", h, m)
	}
	if p.Len() != 0 || p.Cap() != 0 {
		t.Errorf("Len %d Cap %d", p.Len(), p.Cap())
	}
	p.Close()
	p.Close()
}

func TestKeyPoolNeverStarted(t *testing.T) {
	p := NewKeyPool(PoolOptions{Size: 3})
	if p.KeyType() != RSA2048 {
		t.Errorf("default key type %q", p.KeyType())
	}
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Close of a never-started pool hung")
	}
}

func TestKeyPoolContextDone(t *testing.T) {
	p := NewKeyPool(PoolOptions{KeyType: ECDSAP256, Size: 1})
	defer p.Close()
	p.Start(t.Context())
	waitFor(t, 10*time.Second, "pool to fill", func() bool { return p.Len() == 1 })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if k, err := p.Get(ctx); !errors.Is(err, context.Canceled) || k != nil {
		t.Errorf("Get(cancelled) = %v, %v", k, err)
	}
	if p.Len() != 1 {
		t.Error("cancelled Get consumed a key")
	}
}

// countHandler counts log records.
type countHandler struct{ n *atomic.Int64 }

func (h countHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (h countHandler) Handle(context.Context, slog.Record) error { h.n.Add(1); return nil }
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler        { return h }
func (h countHandler) WithGroup(string) slog.Handler             { return h }

func TestKeyPoolGenerationErrorsDoNotSpin(t *testing.T) {
	var gens, logs atomic.Int64
	p := NewKeyPool(PoolOptions{
		KeyType:    ECDSAP256,
		Size:       2,
		Logger:     slog.New(countHandler{&logs}),
		RetryDelay: 50 * time.Millisecond,
	})
	p.gen = func(KeyType, io.Reader) (crypto.Signer, error) {
		gens.Add(1)
		return nil, errors.New("no entropy")
	}
	p.Start(t.Context())
	time.Sleep(220 * time.Millisecond)
	p.Close()
	if g := gens.Load(); g < 2 || g > 7 {
		t.Errorf("%d generation attempts in 220ms with a 50ms retry delay", g)
	}
	if logs.Load() == 0 {
		t.Error("errors were not logged")
	}
	if _, err := p.Get(t.Context()); err == nil {
		t.Error("Get succeeded with a failing generator")
	}
}

// fillPool fills p synchronously, exactly as a worker would, so benchmarks
// measure Get without background generation competing for the CPU.
func fillPool(tb testing.TB, p *KeyPool) {
	tb.Helper()
	for {
		select {
		case <-p.slots:
		default:
			return
		}
		k, err := GenerateKey(p.kt, p.random)
		if err != nil {
			tb.Fatal(err)
		}
		p.keys <- k
	}
}

func benchGenerate(b *testing.B, kt KeyType) {
	now := time.Now()
	for b.Loop() {
		k, err := GenerateKey(kt, rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := SelfSign(k, ClientCertTemplate{Subject: DefaultSubject()}, now, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSelfSign(b *testing.B, kt KeyType) {
	k, err := GenerateKey(kt, rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for b.Loop() {
		if _, err := SelfSign(k, ClientCertTemplate{Subject: DefaultSubject()}, now, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPool(b *testing.B, kt KeyType, size int) {
	p := NewKeyPool(PoolOptions{KeyType: kt, Size: size})
	defer p.Close()
	ctx := context.Background()
	now := time.Now()
	b.StopTimer()
	fillPool(b, p)
	b.StartTimer()
	for b.Loop() {
		if size > 0 && p.Len() == 0 {
			b.StopTimer()
			fillPool(b, p)
			b.StartTimer()
		}
		k, err := p.Get(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := SelfSign(k, ClientCertTemplate{Subject: DefaultSubject()}, now, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	hits, misses := p.Stats()
	b.ReportMetric(float64(hits)/float64(hits+misses), "hit-ratio")
}

func BenchmarkGenerateRSA(b *testing.B)       { benchGenerate(b, RSA2048) }
func BenchmarkSelfSignOnly(b *testing.B)      { benchSelfSign(b, RSA2048) }
func BenchmarkPoolGetWarm(b *testing.B)       { benchPool(b, RSA2048, 64) }
func BenchmarkPoolGetEmpty(b *testing.B)      { benchPool(b, RSA2048, 0) }
func BenchmarkGenerateECDSA(b *testing.B)     { benchGenerate(b, ECDSAP256) }
func BenchmarkSelfSignOnlyECDSA(b *testing.B) { benchSelfSign(b, ECDSAP256) }
func BenchmarkPoolGetWarmECDSA(b *testing.B)  { benchPool(b, ECDSAP256, 64) }
func BenchmarkPoolGetEmptyECDSA(b *testing.B) { benchPool(b, ECDSAP256, 0) }
