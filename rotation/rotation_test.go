package rotation_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/rotation"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/postgres"
	"github.com/certgate/certgate/store/sqlite"
)

// fixture is a SQLite store whose records are all sealed under key A.
type fixture struct {
	st     store.Store
	a, b   *seal.MasterKey
	secret map[string][]byte // plaintext by "type/id"
	certs  []*certgate.Certificate
	akid   string
}

var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newKey(t testing.TB) *seal.MasterKey {
	t.Helper()
	k, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newFixture stores one account with an access key and n certificates. Each
// certificate holds the same small PKCS#8 ECDSA key, sealed individually
// (its own data key and AAD), which is all rotation ever touches.
func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "certgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, n, st)
}

// newFixtureOn fills st (which it closes at cleanup) with n certificates
// and one access key sealed under key a.
func newFixtureOn(t testing.TB, n int, st store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	var err error
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, a: newKey(t), b: newKey(t), secret: map[string][]byte{}}
	sa := seal.NewSealer(f.a)
	canary, err := sa.Canary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutMetaIfAbsent(ctx, rotation.CanaryMetaKey, canary); err != nil {
		t.Fatal(err)
	}
	acct := &certgate.Account{ID: "123456789012", ProjectID: strings.Repeat("ab", 16), CreatedAt: base}
	f.akid = "CGAKTESTTESTTESTTEST"
	secret := []byte("secret-access-key-for-the-test-0000000000")
	k := &certgate.AccessKey{ID: f.akid, AccountID: acct.ID, CreatedAt: base}
	if k.SecretSealed, k.SealKeyID, err = sa.Seal(secret, certgate.SecretAAD(f.akid)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccount(ctx, acct, k, nil); err != nil {
		t.Fatal(err)
	}
	f.secret[store.SealedAccessKey+"/"+f.akid] = secret

	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		kind := certgate.KindClient
		region := "us-east-1"
		if i%2 == 1 {
			kind, region = certgate.KindServer, ""
		}
		c := &certgate.Certificate{
			ID:             fmt.Sprintf("c%09d", i),
			Scope:          certgate.Scope{AccountID: acct.ID, Region: region},
			Kind:           kind,
			Tags:           map[string]string{},
			CertificatePEM: "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n",
			CommonName:     "example.com",
			NotBefore:      base,
			NotAfter:       base.AddDate(1, 0, 0),
			SerialNumber:   fmt.Sprint(i + 1),
			KeyAlgorithm:   "ECC",
			CreatedAt:      base.Add(time.Duration(i) * time.Millisecond),
			UpdatedAt:      base,
		}
		if c.KeySealed, c.SealKeyID, err = sa.Seal(der, certgate.KeyAAD(c.ID, acct.ID, kind)); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateCertificate(ctx, c, 0); err != nil {
			t.Fatal(err)
		}
		f.certs = append(f.certs, c)
		f.secret[store.SealedCertificateKey+"/"+c.ID] = der
	}
	return f
}

// verify checks that every value opens with only key k and is intact, and
// that nothing else is in use.
func (f *fixture) verify(t *testing.T, k *seal.MasterKey) {
	t.Helper()
	ctx := context.Background()
	ids, err := f.st.SealKeyIDs(ctx)
	if err != nil || !slices.Equal(ids, []string{k.ID()}) {
		t.Fatalf("SealKeyIDs = %v, %v; want [%s]", ids, err, k.ID())
	}
	only := seal.NewSealer(k)
	items, err := f.st.ListSealed(ctx, "none", store.SealedCursor{}, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != len(f.secret) {
		t.Fatalf("%d sealed values, want %d", len(items), len(f.secret))
	}
	for _, it := range items {
		aad := certgate.SecretAAD(it.ID)
		if it.Type == store.SealedCertificateKey {
			aad = certgate.KeyAAD(it.ID, it.AccountID, it.Kind)
		}
		pt, err := only.Open(it.Envelope, it.KeyID, aad)
		if err != nil {
			t.Fatalf("%s/%s: %v", it.Type, it.ID, err)
		}
		if !bytes.Equal(pt, f.secret[it.Type+"/"+it.ID]) {
			t.Fatalf("%s/%s: plaintext changed", it.Type, it.ID)
		}
	}
	canary, err := f.st.GetMeta(ctx, rotation.CanaryMetaKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := only.CheckCanary(canary); err != nil {
		t.Fatalf("canary: %v", err)
	}
}

func TestRunResealsEverythingAndIsIdempotent(t *testing.T) {
	f := newFixture(t, 25)
	ctx := context.Background()
	var calls [][2]int
	stats, err := rotation.Run(ctx, f.st, seal.NewSealer(f.b, f.a), rotation.Options{
		BatchSize: 7,
		Progress:  func(done, remaining int) { calls = append(calls, [2]int{done, remaining}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Found != 26 || stats.Resealed != 26 || stats.Raced != 0 || !stats.CanaryResealed || stats.KeyID != f.b.ID() {
		t.Errorf("stats %+v", stats)
	}
	if first, last := calls[0], calls[len(calls)-1]; first != [2]int{0, 26} || last != [2]int{26, 0} {
		t.Errorf("progress from %v to %v", first, last)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] {
			t.Errorf("progress went back: %v", calls)
		}
	}
	f.verify(t, f.b)
	// Reseal bumps the version, so a writer holding the old envelope loses.
	got, err := f.st.GetCertificate(ctx, f.certs[0].Scope, f.certs[0].Kind, f.certs[0].ID)
	if err != nil || got.Version != 2 {
		t.Errorf("version after reseal = %v, %v; want 2", got.Version, err)
	}

	again, err := rotation.Run(ctx, f.st, seal.NewSealer(f.b, f.a), rotation.Options{})
	if err != nil || again.Resealed != 0 || again.CanaryResealed {
		t.Errorf("second run: %+v, %v", again, err)
	}
	f.verify(t, f.b)
}

func TestRunResumesAfterCancel(t *testing.T) {
	f := newFixture(t, 40)
	ctx, cancel := context.WithCancel(context.Background())
	stats, err := rotation.Run(ctx, f.st, seal.NewSealer(f.b, f.a), rotation.Options{
		BatchSize: 10,
		Progress: func(done, _ int) {
			if done >= 10 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) || stats.Resealed != 10 {
		t.Fatalf("interrupted run: %+v, %v", stats, err)
	}
	ids, _ := f.st.SealKeyIDs(context.Background())
	if len(ids) != 2 {
		t.Fatalf("after interruption keys in use = %v, want both", ids)
	}
	canary, _ := f.st.GetMeta(context.Background(), rotation.CanaryMetaKey)
	if rotation.CanaryKeyID(canary) != f.a.ID() {
		t.Errorf("canary moved before the rotation finished")
	}
	stats, err = rotation.Run(context.Background(), f.st, seal.NewSealer(f.b, f.a), rotation.Options{BatchSize: 10})
	if err != nil || stats.Resealed != 31 {
		t.Fatalf("resumed run: %+v, %v", stats, err)
	}
	f.verify(t, f.b)
}

func TestRunReportsCorruptValuesAndKeepsCanary(t *testing.T) {
	f := newFixture(t, 6)
	ctx := context.Background()
	// Swap two envelopes: each is intact but bound to the other record.
	c0, c1 := f.certs[0], f.certs[2]
	items, _ := f.st.ListSealed(ctx, "none", store.SealedCursor{}, 100)
	var it0, it1 store.SealedItem
	for _, it := range items {
		switch it.ID {
		case c0.ID:
			it0 = it
		case c1.ID:
			it1 = it
		}
	}
	if ok, err := f.st.Reseal(ctx, it0, it1.Envelope, f.a.ID()); !ok || err != nil {
		t.Fatal(ok, err)
	}
	stats, err := rotation.Run(ctx, f.st, seal.NewSealer(f.b, f.a), rotation.Options{})
	if err == nil || !strings.Contains(err.Error(), "certificate/"+c0.ID) {
		t.Fatalf("err = %v", err)
	}
	if stats.Resealed != 6 || len(stats.Failed) != 1 || stats.CanaryResealed {
		t.Errorf("stats %+v", stats)
	}
	canary, _ := f.st.GetMeta(ctx, rotation.CanaryMetaKey)
	if rotation.CanaryKeyID(canary) != f.a.ID() {
		t.Error("canary moved although a value is still under the old key")
	}
}

func TestRunNamesAKeyThatIsNotLoaded(t *testing.T) {
	f := newFixture(t, 3)
	c := newKey(t)
	_, err := rotation.Run(context.Background(), f.st, seal.NewSealer(f.b, c), rotation.Options{})
	if err == nil || !strings.Contains(err.Error(), f.a.ID()) || !strings.Contains(err.Error(), "--previous-master-key-files") {
		t.Fatalf("err = %v", err)
	}
}

// racingStore plays other nodes. Before each of the first `updates`
// reseals it updates that certificate the way a node with the new key as
// current does (re-sealing it under that key); with `create` set, before
// every reseal it creates a certificate sealed under the old key, as a node
// still running with the old key as current would.
type racingStore struct {
	store.Store
	newNode *seal.Sealer
	oldNode *seal.Sealer
	updates atomic.Int32
	create  bool
	created atomic.Int32
}

func (r *racingStore) Reseal(ctx context.Context, it store.SealedItem, env []byte, keyID string) (bool, error) {
	if it.Type == store.SealedCertificateKey && r.updates.Add(-1) >= 0 {
		scope := certgate.Scope{AccountID: it.AccountID}
		if it.Kind == certgate.KindClient {
			scope.Region = "us-east-1"
		}
		c, err := r.Store.GetCertificate(ctx, scope, it.Kind, it.ID)
		if err != nil {
			return false, err
		}
		aad := certgate.KeyAAD(c.ID, it.AccountID, it.Kind)
		pt, err := r.newNode.Open(c.KeySealed, c.SealKeyID, aad)
		if err != nil {
			return false, err
		}
		if c.KeySealed, c.SealKeyID, err = r.newNode.Seal(pt, aad); err != nil {
			return false, err
		}
		c.Description = "changed"
		if err := r.Store.UpdateCertificate(ctx, c); err != nil {
			return false, err
		}
	}
	if r.create {
		n := r.created.Add(1)
		c := &certgate.Certificate{
			ID: fmt.Sprintf("new%06d", n), Scope: certgate.Scope{AccountID: it.AccountID}, Kind: certgate.KindServer,
			Tags: map[string]string{}, CertificatePEM: "x", CreatedAt: base, UpdatedAt: base,
		}
		var err error
		if c.KeySealed, c.SealKeyID, err = r.oldNode.Seal([]byte("key"), certgate.KeyAAD(c.ID, it.AccountID, c.Kind)); err != nil {
			return false, err
		}
		if err := r.Store.CreateCertificate(ctx, c, 0); err != nil {
			return false, err
		}
	}
	return r.Store.Reseal(ctx, it, env, keyID)
}

func TestRunLeavesConcurrentChangesAlone(t *testing.T) {
	f := newFixture(t, 10)
	rs := &racingStore{Store: f.st, newNode: seal.NewSealer(f.b, f.a)}
	rs.updates.Store(3)
	stats, err := rotation.Run(context.Background(), rs, seal.NewSealer(f.b, f.a), rotation.Options{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	// The three lost their compare-and-swap, and are under B anyway.
	if stats.Raced != 3 || stats.Resealed != 8 || stats.Passes != 2 {
		t.Errorf("stats %+v", stats)
	}
	f.verify(t, f.b)
	c, _ := f.st.GetCertificate(context.Background(), f.certs[0].Scope, f.certs[0].Kind, f.certs[0].ID)
	if c.Description != "changed" || c.Version != 2 {
		t.Errorf("the concurrent update was overwritten: %q version %d", c.Description, c.Version)
	}
}

func TestRunGivesUpOnANodeSealingWithTheOldKey(t *testing.T) {
	f := newFixture(t, 4)
	rs := &racingStore{Store: f.st, oldNode: seal.NewSealer(f.a), create: true}
	stats, err := rotation.Run(context.Background(), rs, seal.NewSealer(f.b, f.a), rotation.Options{MaxPasses: 3, BatchSize: 2})
	if !errors.Is(err, rotation.ErrIncomplete) || !strings.Contains(err.Error(), f.a.ID()) || stats.Passes != 3 {
		t.Fatalf("%+v: err = %v", stats, err)
	}
	canary, _ := f.st.GetMeta(context.Background(), rotation.CanaryMetaKey)
	if rotation.CanaryKeyID(canary) != f.a.ID() {
		t.Error("canary moved although values are still under the old key")
	}
}

// BenchmarkRotate10k measures one full rotation of 10,000 certificate keys
// plus one access key and the canary on SQLite (on the disk under TMPDIR,
// synchronous=FULL). Each value is a 138-byte PKCS#8 ECDSA P-256 key sealed
// individually; rotation cost does not depend on the key type, only on the
// envelope (two AES-GCM opens, two seals) and one write transaction per
// value. Iterations alternate A→B and B→A on the same data.
//
//	go test -run '^$' -bench Rotate10k -benchtime 3x ./rotation
func BenchmarkRotate10k(b *testing.B) {
	benchmarkRotate(b, newFixture(b, 10000))
}

// BenchmarkRotate10kPostgres is the same on the private PostgreSQL server.
func BenchmarkRotate10kPostgres(b *testing.B) {
	st, err := postgres.Open(context.Background(), pgtest.URL(b), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchmarkRotate(b, newFixtureOn(b, 10000, st))
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

func benchmarkRotate(b *testing.B, f *fixture) {
	const n = 10000
	from, to := f.a, f.b
	ctx := context.Background()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stats, err := rotation.Run(ctx, f.st, seal.NewSealer(to, from), rotation.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if stats.Resealed != n+1 {
			b.Fatalf("resealed %d", stats.Resealed)
		}
		total += stats.Elapsed
		from, to = to, from
	}
	b.ReportMetric(float64(n+1)*float64(b.N)/total.Seconds(), "records/s")
	b.ReportMetric(total.Seconds()/float64(b.N), "s/rotation")
}
