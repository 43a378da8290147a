package certs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/sqlite"
)

// selfSigned returns a PEM certificate and its PKCS#8 PEM key; isCA makes it
// a CA certificate.
func selfSigned(t testing.TB, cn string, isCA bool) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(90 * 24 * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if isCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.DNSNames = []string{cn}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
}

// hookStore runs afterGet once, right after the first GetCertificate that
// passes through it while armed has read its record: a deterministic
// interleaving point between a read and the write that follows it.
// With hideCount set, CountCertificates reports 0, so that only the store's
// own quota check stands between a caller and a full quota.
type hookStore struct {
	store.Store
	mu        sync.Mutex
	afterGet  func()
	hideCount bool
}

func (h *hookStore) CountCertificates(ctx context.Context, q store.ListQuery) (int64, error) {
	if h.hideCount {
		return 0, nil
	}
	return h.Store.CountCertificates(ctx, q)
}

func mustPEMBlock(t testing.TB, s string) []byte {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		t.Fatal("no PEM block")
	}
	return b.Bytes
}

func (h *hookStore) GetCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) (*certgate.Certificate, error) {
	h.mu.Lock()
	fn := h.afterGet
	h.afterGet = nil
	h.mu.Unlock()
	c, err := h.Store.GetCertificate(ctx, scope, kind, id)
	if fn != nil {
		fn()
	}
	return c, err
}

func newTestService(t *testing.T) (*Service, *hookStore) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "certgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mk, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hs := &hookStore{Store: db}
	svc := New(hs, seal.NewSealer(mk), nil, NewPager(make([]byte, 32)), Config{})
	return svc, hs
}

// An update that keeps the trusted CA must never write back a CA it read
// before a concurrent update replaced it (the lost update of issue 7, item 7).
// The interleaving is forced: right after the CA-keeping update's first read,
// an update that sets a new CA runs and commits.
func TestUpdateServerCertificateKeepsConcurrentCA(t *testing.T) {
	ctx := context.Background()
	svc, hs := newTestService(t)
	scope := certgate.Scope{AccountID: "123456789012"}
	oldCA, _ := selfSigned(t, "Old Client CA", true)
	newCA, _ := selfSigned(t, "New Client CA", true)
	cert, key := selfSigned(t, "www.example.com", false)

	c, err := svc.CreateServerCertificate(ctx, scope, ServerInput{Name: "www_example", CertPEM: cert, KeyPEM: key, TrustedRootCA: oldCA})
	if err != nil {
		t.Fatal(err)
	}
	setErr := make(chan error, 1)
	hs.mu.Lock()
	hs.afterGet = func() {
		_, err := svc.UpdateServerCertificate(ctx, scope, c.ID, ServerUpdate{CertPEM: cert, KeyPEM: key, TrustedRootCA: &newCA})
		setErr <- err
	}
	hs.mu.Unlock()
	renamed := "www_renamed"
	kept, err := svc.UpdateServerCertificate(ctx, scope, c.ID, ServerUpdate{Name: &renamed, CertPEM: cert, KeyPEM: key})
	if err != nil {
		t.Fatalf("CA-keeping update: %v", err)
	}
	if err := <-setErr; err != nil {
		t.Fatalf("CA-setting update: %v", err)
	}
	got, err := svc.Get(ctx, scope, certgate.KindServer, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantCA, err := svc.validateUpload(cert, key, newCA, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.TrustedRootCA != wantCA.CAPEM || kept.TrustedRootCA != wantCA.CAPEM {
		t.Fatalf("the CA set by the concurrent update was reverted: stored CA is the new one: %v, returned: %v",
			got.TrustedRootCA == wantCA.CAPEM, kept.TrustedRootCA == wantCA.CAPEM)
	}
	if got.Name != renamed || got.Version != 3 {
		t.Fatalf("name %q version %d, want %q and 3", got.Name, got.Version, renamed)
	}
}

// The same property under real concurrency: writers that only rename race
// one writer that sets the CA; the CA it set survives every schedule.
func TestUpdateServerCertificateCARace(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t)
	scope := certgate.Scope{AccountID: "123456789012"}
	newCA, _ := selfSigned(t, "New Client CA", true)
	cert, key := selfSigned(t, "www.example.com", false)
	want, err := svc.validateUpload(cert, key, newCA, "")
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 5; round++ {
		c, err := svc.CreateServerCertificate(ctx, scope, ServerInput{Name: "race_" + string(rune('a'+round)) + "_cert", CertPEM: cert, KeyPEM: key})
		if err != nil {
			t.Fatal(err)
		}
		// Four writers keep the CA (they only replace the upload); the last
		// one sets the new CA.
		for _, err := range concurrently(5, func(i int) error {
			up := ServerUpdate{CertPEM: cert, KeyPEM: key}
			if i == 4 {
				up.TrustedRootCA = &newCA
			}
			_, err := svc.UpdateServerCertificate(ctx, scope, c.ID, up)
			return err
		}) {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		got, err := svc.Get(ctx, scope, certgate.KindServer, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.TrustedRootCA != want.CAPEM {
			t.Fatalf("round %d: the CA set concurrently was lost (version %d)", round, got.Version)
		}
	}
}
