package gateway

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/certgate/certgate/store"
)

// BenchmarkHandshake measures full TLS handshakes (no resumption) against
// the gateway's listener, with 1 bound domain and with 10,000, for ECDSA
// and RSA certificates: the lookup must not make many domains slower.
//
//	go test -run XXX -bench Handshake -benchtime 3s ./gateway
func BenchmarkHandshake(b *testing.B) {
	for _, alg := range []string{"EC", "RSA"} {
		for _, n := range []int{1, 10000} {
			b.Run(fmt.Sprintf("%s/%d-domains", alg, n), func(b *testing.B) {
				f := newFixture(b, Config{})
				served := make([]*store.Served, 0, n)
				// One certificate serves every name (a wildcard), so that
				// building 10,000 domains costs 10,000 records, not keys.
				c := f.cert(alg, nil, "*.bench.example.com")
				for i := range n {
					served = append(served, domain(fmt.Sprintf("d%05d", i), fmt.Sprintf("h%05d.bench.example.com", i), false, c))
				}
				f.load(served...)
				cfg := &tls.Config{ServerName: fmt.Sprintf("h%05d.bench.example.com", n/2), RootCAs: f.roots,
					ClientSessionCache: nil, SessionTicketsDisabled: true}
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", f.addr, cfg)
						if err != nil {
							b.Error(err)
							return
						}
						conn.Close()
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
			})
		}
	}
}

// BenchmarkReload measures a rebuild of 10,000 domains whose certificates
// did not change (the cache keeps them parsed).
func BenchmarkReload(b *testing.B) {
	f := newFixture(b, Config{})
	c := f.cert("EC", nil, "*.bench.example.com")
	served := make([]*store.Served, 0, 10000)
	for i := range 10000 {
		served = append(served, domain(fmt.Sprintf("d%05d", i), fmt.Sprintf("h%05d.bench.example.com", i), false, c))
	}
	f.load(served...)
	b.ResetTimer()
	for range b.N {
		f.src.set(served...)
		if err := f.gw.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshotMemory reports the heap a snapshot of 10,000 domains
// takes, each with a certificate of its own (ECDSA P-256, parsed, its key
// unsealed), and how long the first build takes.
//
//	go test -run XXX -bench SnapshotMemory -benchtime 1x ./gateway
func BenchmarkSnapshotMemory(b *testing.B) {
	for range b.N {
		f := newFixture(b, Config{})
		served := make([]*store.Served, 0, 10000)
		for i := range 10000 {
			name := fmt.Sprintf("h%05d.bench.example.com", i)
			served = append(served, domain(fmt.Sprintf("d%05d", i), name, false, f.certWithID(fmt.Sprintf("c%05d", i), "EC", nil, name)))
		}
		f.src.set(served...)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		if err := f.gw.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		runtime.GC() // the source's records live before and after: the difference is the snapshot's
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB/snapshot")
		b.ReportMetric(float64(took.Milliseconds()), "ms/first-build")
		runtime.KeepAlive(f.gw)
		runtime.KeepAlive(served)
	}
}
