// Package sqltest holds the test helpers the SQL backends' own tests
// share (store/sqlite, store/postgres): a record to store, opening a
// handle, and the checks and benchmarks that differ only in how a database
// is reached. The contract itself is checked by store/storetest.
package sqltest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Cert returns a client certificate of one fixed scope with id and every
// field set.
func Cert(id string) *certgate.Certificate {
	now := time.Now()
	return &certgate.Certificate{
		ID:                 id,
		Scope:              certgate.Scope{AccountID: "123456789012", Region: "eu-west-1"},
		Kind:               certgate.KindClient,
		Description:        "test " + id,
		Tags:               map[string]string{"k": id},
		CertificatePEM:     "-----BEGIN CERTIFICATE-----\n" + id + "\n-----END CERTIFICATE-----\n",
		KeySealed:          []byte("sealed:" + id),
		SealKeyID:          "mk1",
		CommonName:         id + ".example.com",
		SANs:               []string{id + ".example.com"},
		NotBefore:          now,
		NotAfter:           now.AddDate(1, 0, 0),
		SerialNumber:       "1",
		SignatureAlgorithm: "SHA256-RSA",
		KeyAlgorithm:       "RSA",
		CreatedAt:          now,
		UpdatedAt:          now,
	}
}

// MustOpen returns what open returns, failing tb on an error; the caller
// closes it.
func MustOpen[T io.Closer](tb testing.TB, open func() (T, error)) T {
	tb.Helper()
	db, err := open()
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return db
}

// OpenT is MustOpen, closing the handle when tb ends.
func OpenT[T io.Closer](tb testing.TB, open func() (T, error)) T {
	tb.Helper()
	db := MustOpen(tb, open)
	tb.Cleanup(func() { db.Close() })
	return db
}

// FutureMigration records a migration newer than any this program has.
const FutureMigration = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future.sql', 0)"

// CheckNewerRefused fails t unless open, on a database where
// FutureMigration was recorded, fails saying that the schema is newer.
func CheckNewerRefused[T io.Closer](t *testing.T, open func() (T, error)) {
	t.Helper()
	if db, err := open(); err == nil {
		db.Close()
		t.Fatal("Open of a database with a newer schema succeeded")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error %q does not say the schema is newer", err)
	}
}

// DuplicateWithSecret stores a certificate whose sealed key is
// "SECRET-SEALED-BYTES", creates it again and returns it with the
// EConflict error of the second create, for a check that errors hide it.
func DuplicateWithSecret(t *testing.T, s store.Store) (*certgate.Certificate, error) {
	t.Helper()
	ctx := context.Background()
	c := Cert("c1")
	c.KeySealed = []byte("SECRET-SEALED-BYTES")
	if err := s.CreateCertificate(ctx, c, 0); err != nil {
		t.Fatal(err)
	}
	err := s.CreateCertificate(ctx, c.Clone(), 0)
	if certgate.ErrorCode(err) != certgate.EConflict {
		t.Fatalf("duplicate create: %v", err)
	}
	return c, err
}

// BenchmarkGetCertificate measures GetCertificate among 1000 records;
// settle, if not nil, runs once they are stored.
func BenchmarkGetCertificate(b *testing.B, s store.Store, settle func()) {
	ctx := context.Background()
	const n = 1000
	for i := range n {
		if err := s.CreateCertificate(ctx, Cert(fmt.Sprintf("c%04d", i)), 0); err != nil {
			b.Fatal(err)
		}
	}
	if settle != nil {
		settle()
	}
	scope := Cert("").Scope
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.GetCertificate(ctx, scope, certgate.KindClient, fmt.Sprintf("c%04d", i%n)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCreateCertificate measures CreateCertificate under a quota.
func BenchmarkCreateCertificate(b *testing.B, s store.Store) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.CreateCertificate(ctx, Cert(fmt.Sprintf("c%08d", i)), 1<<30); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCreateCertificateParallel measures CreateCertificate from 8
// goroutines at once per GOMAXPROCS, as concurrent API requests do: on a
// backend with one writer, the writes' fsyncs are what group commit shares.
func BenchmarkCreateCertificateParallel(b *testing.B, s store.Store) {
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.CreateCertificate(ctx, Cert(fmt.Sprintf("p%08d", n.Add(1))), 1<<30); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
