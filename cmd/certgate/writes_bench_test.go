package main

import (
	"context"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/loadgen"
)

// benchOp returns the load tool's operation for scenario against an
// in-process server, so that a profile (-cpuprofile) shows the server's
// costs beside the load tool's.
func benchOp(b *testing.B, scenario string, conns int, mutate func(*Config)) (*Main, loadgen.Op) {
	b.Helper()
	m, _ := benchServer(b, mutate)
	f := &benchFlags{endpoint: m.URL(), accessKeyID: m.Bootstrap.AccessKeyID, secret: m.Bootstrap.SecretAccessKey,
		projectID: m.Bootstrap.Account.ProjectID, region: "us-east-1", leaves: 8}
	f.opts.Concurrency = conns
	bn, err := newBencher(f)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bn.close)
	op, err := bn.scenario(context.Background(), scenario)
	if err != nil {
		b.Fatal(err)
	}
	return m, op
}

// runParallel runs op from 8 goroutines until b.N requests succeeded.
func runParallel(b *testing.B, op loadgen.Op) {
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if class := op(context.Background()); class != "" {
				b.Error(class)
				return
			}
		}
	})
}

// BenchmarkHWUpload is certgate bench hw-upload --concurrency 8 in one
// process: Huawei CreateCertificateV2 of RSA-2048 leaves (parse, validate,
// seal, store).
func BenchmarkHWUpload(b *testing.B) {
	_, op := benchOp(b, "hw-upload", 8, func(c *Config) { c.KeyPoolSize = 0; c.ServerCertificateQuota = 0; c.RateLimit = 0 })
	runParallel(b, op)
}

// certgate bench aws-generate --reference measures rsa.GenerateKey in the
// same run and reports the ratio; --reference on a scenario with no
// reference (hw-upload), or aws-generate's without a duration, is a usage
// error. No figure is checked, only that the output
// holds the reference and that the ratio is the one of the figures shown.
func TestBenchKeygenReference(t *testing.T) {
	s := startServer(t, func(c *Config) { c.KeyPoolSize = 0; c.ClientCertificateQuota = 0 })
	res, code, stderr := benchRun(t, append([]string{"aws-generate", "--duration", "1s", "--concurrency", "2", "--reference", "--warmup-requests", "2"}, acctFlags(s, s.Bootstrap)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := res.Reference
	if r == nil {
		t.Fatalf("no reference in the output: %+v", res)
	}
	if r.Work != "rsa.GenerateKey(2048)" || r.Goroutines < 1 || r.Before <= 0 || r.After <= 0 || r.Throughput <= 0 {
		t.Errorf("implausible reference: %+v", r)
	}
	if want := res.Throughput / r.Throughput; math.Abs(r.Ratio-want) > 0.0006 {
		t.Errorf("ratio %v, but %v requests/s over a reference of %v/s is %v", r.Ratio, res.Throughput, r.Throughput, want)
	}
	if res.Errors != 0 {
		t.Errorf("errors: %v", res.ErrorsBy)
	}
	for _, args := range [][]string{{"hw-upload", "--duration", "1s", "--reference"}, {"aws-generate", "--requests", "5", "--reference"}} {
		if _, code, stderr := benchRun(t, append(args, acctFlags(s, s.Bootstrap)...)...); code != 2 || !strings.Contains(stderr, "--reference") {
			t.Errorf("bench %v: exit %d, %q; want a usage error about --reference", args, code, stderr)
		}
	}
}

// BenchmarkGenerateBurstConcurrent is certgate bench aws-generate
// --requests 40 --concurrency 40 against a warm pool of 40 RSA-2048 keys,
// in one process: the latencies of one burst, as p50 and p99 metrics (the
// pool's refill between bursts is off the clock).
func BenchmarkGenerateBurstConcurrent(b *testing.B) {
	m, op := benchOp(b, "aws-generate", 40, func(c *Config) { c.KeyPoolSize = 40; c.ClientCertificateQuota = 0; c.RateLimit = 0 })
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		waitPool(b, m, 40)
		b.StartTimer()
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range 40 {
			wg.Go(func() {
				t := time.Now()
				if class := op(context.Background()); class != "" {
					b.Error(class)
				}
				d := time.Since(t)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
}

// BenchmarkSeed is certgate bench seed --count 5000 on a fresh SQLite
// database per iteration, for a profile of the seeding path.
func BenchmarkSeed(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		m := &Main{Config: testConfig(dir), Logger: slog.New(slog.DiscardHandler)}
		m.Config.Database = "sqlite:" + filepath.Join(dir, "d.db")
		if err := m.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		m.Close()
		b.StartTimer()
		var out, errb strings.Builder
		if code := run(context.Background(), []string{"bench", "seed", "--count", "5000", "--database", m.Config.Database,
			"--master-key-file", m.Config.MasterKeyFile}, &out, &errb, func(string) string { return "" }); code != 0 {
			b.Fatalf("exit %d: %s", code, errb.String())
		}
	}
}

// bench seed writes with 16 workers by default on SQLite, whose
// concurrent writes share commits (PostgreSQL: TestBenchSeedPostgres).
func TestBenchSeedDefaultWorkersSQLite(t *testing.T) {
	s := startServer(t, nil)
	res, code, _, stderr := seedRun(t, s, nil, "--count", "40")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if res.Workers != seedSQLiteWorkers || res.Records != 40 {
		t.Errorf("%d records with %d workers, want 40 with %d", res.Records, res.Workers, seedSQLiteWorkers)
	}
}

// BenchmarkHWShow is certgate bench hw-show in one process: a signed
// Huawei ShowDetailsOfCertificateV2 of one uploaded certificate.
func BenchmarkHWShow(b *testing.B) {
	_, op := benchOp(b, "hw-show", 16, func(c *Config) { c.KeyPoolSize = 0; c.RateLimit = 0 })
	runParallel(b, op)
}
