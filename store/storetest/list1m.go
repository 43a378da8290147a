package storetest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Copier is what a SQL backend offers the list benchmarks: n copies of a
// stored certificate made inside the database (see sqlstore.CopyCertificates).
type Copier interface {
	CopyCertificates(ctx context.Context, scope certgate.Scope, kind certgate.Kind, templateID string, n int) error
}

// Bench1MCount is the number of rows BenchList1M puts in each tenant:
// 1,000,000 when CERTGATE_BENCH_1M=1, or CERTGATE_BENCH_1M=N for a smaller
// run; 0 (skip) when unset, so that CI stays fast.
func Bench1MCount() int {
	v := os.Getenv("CERTGATE_BENCH_1M")
	if v == "" {
		return 0
	}
	if v == "1" {
		return 1_000_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		return 0
	}
	return n
}

// Template ids of the benchmark's two tenants.
const (
	bench1MClient = "bench1mclient"
	bench1MServer = "bench1mserver"
)

// benchTemplate is a record of realistic size: an RSA-2048 certificate's
// PEM and a sealed RSA-2048 key are about 1.2 and 1.3 kB.
func benchTemplate(scope certgate.Scope, kind certgate.Kind, id string) *certgate.Certificate {
	c := newCert(scope, kind)
	c.ID = id
	c.Name = ""
	c.InstanceID = ""
	c.CertificatePEM = "-----BEGIN CERTIFICATE-----\n" + strings.Repeat("MIIDazCCAlOgAwIBAgIUTemplateCertificateForTheBench1M/+abcd\n", 20) + "-----END CERTIFICATE-----\n"
	c.KeySealed = randBytes(1300)
	c.TrustedRootCA = ""
	c.Tags = map[string]string{}
	c.CreatedAt = base.Truncate(time.Microsecond)
	return c
}

// seed1M fills s with n client certificates in scopeA and n server
// certificates in scopeH, unless it already holds them (a database kept
// from an earlier run).
func seed1M(b *testing.B, s store.Store, n int) {
	ctx := context.Background()
	have, err := s.CountCertificates(ctx, store.ListQuery{Scope: scopeH, Kind: certgate.KindServer})
	if err != nil {
		b.Fatal(err)
	}
	if have == int64(n+1) {
		return
	}
	if have != 0 {
		b.Fatalf("the database holds %d server certificates, want 0 or %d", have, n+1)
	}
	cp, ok := s.(Copier)
	if !ok {
		b.Skip("the backend cannot copy rows in bulk")
	}
	for _, t := range []struct {
		scope certgate.Scope
		kind  certgate.Kind
		id    string
	}{{scopeA, certgate.KindClient, bench1MClient}, {scopeH, certgate.KindServer, bench1MServer}} {
		if err := s.CreateCertificate(ctx, benchTemplate(t.scope, t.kind, t.id), 0); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := cp.CopyCertificates(ctx, t.scope, t.kind, t.id, n); err != nil {
			b.Fatal(err)
		}
		b.Logf("copied %d %s certificates in %v", n, t.kind, time.Since(start).Round(time.Millisecond))
	}
	// Noise in another tenant of the same account and another account, so
	// a plan that leaks past the scope would show it.
	for _, sc := range []certgate.Scope{scopeA2, scopeB} {
		if err := s.CreateCertificate(ctx, newCert(sc, certgate.KindClient), 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchList1M times the list pages a dialect asks for with n records in one
// tenant: AWS pages of 500 by position (first, middle, last) and Huawei
// pages of 500 with the total, at offsets 0, n/2 and n-500, unfiltered and
// for each filter the Huawei API accepts. Each op is what one API request
// asks of the store.
//
// seeded, when not nil, runs after the rows are in: PostgreSQL's benchmark
// runs VACUUM ANALYZE there, as autovacuum would soon after a million new
// rows: plans without statistics, and index-only scans that must visit the
// heap for want of a visibility map, are not what a server would run.
func BenchList1M(b *testing.B, s store.Store, n int, seeded func()) {
	seed1M(b, s, n)
	if seeded != nil {
		seeded()
	}
	ctx := context.Background()
	// Copy i was created at the template's time plus i µs, with id tmpl-i;
	// the template itself is first.
	t0 := base.Truncate(time.Microsecond)
	cursor := func(i int) *store.Cursor {
		if i == 0 {
			return nil
		}
		return &store.Cursor{CreatedAt: t0.Add(time.Duration(i) * time.Microsecond), ID: bench1MClient + "-" + strconv.Itoa(i)}
	}
	for _, p := range []struct {
		name string
		at   int
	}{{"first", 0}, {"middle", n / 2}, {"last", n - 499}} {
		b.Run("aws/"+p.name, func(b *testing.B) {
			q := store.ListQuery{Scope: scopeA, Kind: certgate.KindClient, Limit: 501, After: cursor(p.at)}
			for b.Loop() {
				l, err := s.ListCertificates(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(l) < 499 {
					b.Fatalf("%d records", len(l))
				}
			}
		})
	}
	hq := func(mod func(*store.ListQuery)) store.ListQuery {
		q := store.ListQuery{Scope: scopeH, Kind: certgate.KindServer}
		if mod != nil {
			mod(&q)
		}
		return q
	}
	for _, f := range []struct {
		name string
		mod  func(*store.ListQuery)
	}{
		{"all", nil},
		{"name", func(q *store.ListQuery) { q.Name = "n-" + strconv.Itoa(n/2) }},
		{"common_name", func(q *store.ListQuery) { q.CommonName = "h7.example.com" }},
		{"signature_algorithm", func(q *store.ListQuery) { q.SignatureAlgorithm = "SHA256-RSA" }},
		{"key_algorithm=RSA", func(q *store.ListQuery) { q.KeyAlgorithm = "RSA" }},
		{"key_algorithm=SM2", func(q *store.ListQuery) { q.KeyAlgorithm = "SM2" }},
		{"instance_id", func(q *store.ListQuery) { q.InstanceID = "inst-3" }},
		{"type=global", func(q *store.ListQuery) { q.Type = store.TypeGlobal }},
		{"type=instance", func(q *store.ListQuery) { q.Type = store.TypeInstance }},
		{"key_algorithm+type", func(q *store.ListQuery) { q.KeyAlgorithm = "RSA"; q.Type = store.TypeInstance }},
	} {
		total, err := s.CountCertificates(ctx, hq(f.mod))
		if err != nil {
			b.Fatal(err)
		}
		offsets := []int{0}
		if total > 1000 {
			offsets = append(offsets, int(total/2), int(total-500))
		}
		for _, off := range offsets {
			b.Run(fmt.Sprintf("hw/%s/offset=%d", f.name, off), func(b *testing.B) {
				for b.Loop() {
					// ListServerCertificates: the total, then the page.
					q := hq(f.mod)
					got, err := s.CountCertificates(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					q.Offset, q.Limit = off, 500
					l, err := s.ListCertificates(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					if got != total || len(l) == 0 {
						b.Fatalf("total %d (want %d), %d records", got, total, len(l))
					}
				}
			})
		}
	}
}
