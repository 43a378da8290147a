package certs

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// ecdsaKeys is a KeySource that makes a fresh P-256 key per call.
type ecdsaKeys struct{}

func (ecdsaKeys) Get(context.Context) (crypto.Signer, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

func newGenerator(t *testing.T, cfg Config) (*Service, *hookStore) {
	t.Helper()
	svc, hs := newTestService(t)
	svc.keys = ecdsaKeys{}
	if len(cfg.ClientTemplate.Subject.Names) == 0 && cfg.ClientTemplate.Subject.CommonName == "" {
		cfg.ClientTemplate.Subject = pkix.Name{CommonName: "ApiGateway"}
	}
	svc.cfg = cfg
	return svc, hs
}

var awsScope = certgate.Scope{AccountID: "123456789012", Region: "eu-west-1"}

func wantErr(t *testing.T, err error, code, field string) {
	t.Helper()
	e := certgate.AsError(err)
	if e == nil {
		t.Fatalf("error %v: want a *certgate.Error with code %q", err, code)
	}
	if e.Code != code || field != "" && e.Field != field {
		t.Fatalf("error %v: code %q field %q, want %q %q", err, e.Code, e.Field, code, field)
	}
}

func TestGenerateValidation(t *testing.T) {
	svc, _ := newGenerator(t, Config{})
	ctx := context.Background()
	manyTags := map[string]string{}
	for i := 0; i <= MaxTags; i++ {
		manyTags[fmt.Sprintf("k%d", i)] = "v"
	}
	cases := []struct {
		name  string
		scope certgate.Scope
		in    GenerateInput
		code  string
		field string
		// reason is what a dialect writes its sentence from.
		reason string
	}{
		{"no account", certgate.Scope{Region: "eu-west-1"}, GenerateInput{}, certgate.EInternal, "", ReasonNoScope},
		{"long description", awsScope, GenerateInput{Description: strings.Repeat("é", MaxDescriptionLen+1)}, certgate.EInvalid, "description", ReasonTooLong},
		{"description not UTF-8", awsScope, GenerateInput{Description: "a\xffb"}, certgate.EInvalid, "description", ReasonBadUTF8},
		{"description NUL", awsScope, GenerateInput{Description: "a\x00b"}, certgate.EInvalid, "description", ReasonNULChar},
		{"too many tags", awsScope, GenerateInput{Tags: manyTags}, certgate.EInvalid, "tags", ReasonTooManyTags},
		{"empty tag key", awsScope, GenerateInput{Tags: map[string]string{"": "v"}}, certgate.EInvalid, "tags", ReasonTagKeyEmpty},
		{"aws: prefix", awsScope, GenerateInput{Tags: map[string]string{"AWS:x": "v"}}, certgate.EInvalid, "tags", ReasonTagKeyReserved},
		{"long tag key", awsScope, GenerateInput{Tags: map[string]string{strings.Repeat("k", MaxTagKeyLen+1): "v"}}, certgate.EInvalid, "tags", ReasonTagKeyTooLong},
		{"long tag value", awsScope, GenerateInput{Tags: map[string]string{"k": strings.Repeat("v", MaxTagValueLen+1)}}, certgate.EInvalid, "tags", ReasonTagValueTooLong},
		{"tag character", awsScope, GenerateInput{Tags: map[string]string{"k": "a;b"}}, certgate.EInvalid, "tags", ReasonTagValueChars},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.GenerateClientCertificate(ctx, tc.scope, tc.in)
			wantErr(t, err, tc.code, tc.field)
			if e := certgate.AsError(err); e.Reason != tc.reason {
				t.Fatalf("reason %q, want %q", e.Reason, tc.reason)
			}
		})
	}
	// The limits themselves are accepted.
	ok := map[string]string{strings.Repeat("k", MaxTagKeyLen): strings.Repeat("v", MaxTagValueLen), "a b+-=._:/@": "ü"}
	c, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{Description: strings.Repeat("é", MaxDescriptionLen), Tags: ok})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ID) != ClientIDLen || c.Kind != certgate.KindClient || c.Version != 1 || len(c.Tags) != 2 {
		t.Fatalf("generated %+v", c)
	}
	leaf, err := x509.ParseCertificate(mustPEMBlock(t, c.CertificatePEM))
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.PrivateKey(ctx, awsScope, certgate.KindClient, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Public().(*ecdsa.PublicKey).Equal(leaf.PublicKey) {
		t.Fatal("the sealed key does not match the certificate")
	}
}

// The quota is enforced by the store at insert time, not only by the
// fail-fast count: with the count hidden, the store still stops at the quota.
func TestGenerateQuotaEnforcedByStore(t *testing.T) {
	ctx := context.Background()
	svc, hs := newGenerator(t, Config{ClientQuota: 3})
	hs.hideCount = true
	for i := 0; i < 3; i++ {
		if _, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{})
	wantErr(t, err, certgate.ELimitExceeded, "")
	if e := certgate.AsError(err); e.RetryAfter <= 0 || e.Reason != "client_certificate_quota" || e.Limit != 3 {
		t.Fatalf("quota error %+v", e)
	}
	// Per account and region: another region has its own quota.
	other := certgate.Scope{AccountID: awsScope.AccountID, Region: "us-east-1"}
	if _, err := svc.GenerateClientCertificate(ctx, other, GenerateInput{}); err != nil {
		t.Fatalf("another region: %v", err)
	}
	// Deleting frees a slot.
	page, err := svc.List(ctx, awsScope, certgate.KindClient, "", 0)
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("list: %v %v", page, err)
	}
	if err := svc.Delete(ctx, awsScope, certgate.KindClient, page.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{}); err != nil {
		t.Fatalf("after delete: %v", err)
	}
}

func TestServerQuota(t *testing.T) {
	ctx := context.Background()
	svc, _ := newGenerator(t, Config{ServerQuota: 2})
	scope := certgate.Scope{AccountID: "123456789012"}
	cert, key := selfSigned(t, "www.example.com", false)
	for _, n := range []string{"first_cert", "second_cert"} {
		if _, err := svc.CreateServerCertificate(ctx, scope, ServerInput{Name: n, CertPEM: cert, KeyPEM: key}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := svc.CreateServerCertificate(ctx, scope, ServerInput{Name: "third_cert", CertPEM: cert, KeyPEM: key})
	wantErr(t, err, certgate.ELimitExceeded, "")
	if e := certgate.AsError(err); e.Reason != ReasonServerQuota || e.Limit != 2 {
		t.Fatalf("quota error %+v", e)
	}
	_, err = svc.CreateServerCertificate(ctx, certgate.Scope{AccountID: "999999999999"}, ServerInput{Name: "third_cert", CertPEM: cert, KeyPEM: key})
	if err != nil {
		t.Fatalf("another account has its own quota: %v", err)
	}
}

func TestServerValidation(t *testing.T) {
	ctx := context.Background()
	svc, _ := newGenerator(t, Config{})
	scope := certgate.Scope{AccountID: "123456789012"}
	cert, key := selfSigned(t, "www.example.com", false)
	_, otherKey := selfSigned(t, "other.example.com", false)
	ca, _ := selfSigned(t, "Client CA", true)
	cases := []struct {
		name         string
		in           ServerInput
		code, field  string
		reasonSubstr string
	}{
		{"no name", ServerInput{CertPEM: cert, KeyPEM: key}, certgate.EInvalid, "name", "missing"},
		{"bad name", ServerInput{Name: "1abc", CertPEM: cert, KeyPEM: key}, certgate.EInvalid, "name", "bad_value"},
		{"short name", ServerInput{Name: "abc", CertPEM: cert, KeyPEM: key}, certgate.EInvalid, "name", "bad_value"},
		{"bad instance", ServerInput{Name: "good_name", InstanceID: "a b", CertPEM: cert, KeyPEM: key}, certgate.EInvalid, "instance_id", "bad_value"},
		{"no cert", ServerInput{Name: "good_name", KeyPEM: key}, certgate.EInvalid, "cert_content", "missing"},
		{"no key", ServerInput{Name: "good_name", CertPEM: cert}, certgate.EInvalid, "private_key", "missing"},
		{"key mismatch", ServerInput{Name: "good_name", CertPEM: cert, KeyPEM: otherKey}, certgate.EInvalid, "", "mismatch"},
		{"wrong algorithm", ServerInput{Name: "good_name", CertPEM: cert, KeyPEM: key, KeyAlgorithm: "RSA"}, certgate.EInvalid, "algorithm_type", "bad_value"},
		{"SM2", ServerInput{Name: "good_name", CertPEM: cert, KeyPEM: key, KeyAlgorithm: "SM2"}, certgate.EInvalid, "algorithm_type", "unsupported_key"},
		{"unknown algorithm", ServerInput{Name: "good_name", CertPEM: cert, KeyPEM: key, KeyAlgorithm: "DSA"}, certgate.EInvalid, "algorithm_type", "bad_value"},
		{"leaf as CA", ServerInput{Name: "good_name", CertPEM: cert, KeyPEM: key, TrustedRootCA: cert}, certgate.EInvalid, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateServerCertificate(ctx, scope, tc.in)
			wantErr(t, err, tc.code, tc.field)
			if e := certgate.AsError(err); !strings.Contains(e.Reason, tc.reasonSubstr) {
				t.Fatalf("reason %q, want it to contain %q", e.Reason, tc.reasonSubstr)
			}
		})
	}
	c, err := svc.CreateServerCertificate(ctx, scope, ServerInput{Name: "good_name", CertPEM: cert, KeyPEM: key, TrustedRootCA: ca, KeyAlgorithm: "ECC"})
	if err != nil {
		t.Fatal(err)
	}
	if c.TrustedRootCA == "" || c.CommonName != "www.example.com" || c.KeyAlgorithm != "ECC" || len(c.ID) != 32 {
		t.Fatalf("created %+v", c)
	}
	_, err = svc.CreateServerCertificate(ctx, scope, ServerInput{Name: "good_name", CertPEM: cert, KeyPEM: key})
	wantErr(t, err, certgate.EConflict, "name")
	// Clearing the CA with an empty string removes it; leaving it nil keeps it.
	empty := ""
	u, err := svc.UpdateServerCertificate(ctx, scope, c.ID, ServerUpdate{CertPEM: cert, KeyPEM: key})
	if err != nil || u.TrustedRootCA != c.TrustedRootCA || u.Version != 2 {
		t.Fatalf("update keeping the CA: %v %+v", err, u)
	}
	u, err = svc.UpdateServerCertificate(ctx, scope, c.ID, ServerUpdate{CertPEM: cert, KeyPEM: key, TrustedRootCA: &empty})
	if err != nil || u.TrustedRootCA != "" {
		t.Fatalf("update clearing the CA: %v %q", err, u.TrustedRootCA)
	}
	// An unknown id is a 404 whatever the body holds.
	_, err = svc.UpdateServerCertificate(ctx, scope, strings.Repeat("0", 32), ServerUpdate{})
	wantErr(t, err, certgate.ENotFound, "")
	_, err = svc.UpdateServerCertificate(ctx, certgate.Scope{AccountID: "999999999999"}, c.ID, ServerUpdate{CertPEM: cert, KeyPEM: key})
	wantErr(t, err, certgate.ENotFound, "")
}

func TestIDsAndLists(t *testing.T) {
	ctx := context.Background()
	svc, _ := newGenerator(t, Config{})
	for _, id := range []string{"", strings.Repeat("a", MaxIDLen+1), "a\xffb"} {
		_, err := svc.Get(ctx, awsScope, certgate.KindClient, id)
		wantErr(t, err, certgate.EInvalid, "id")
		wantErr(t, svc.Delete(ctx, awsScope, certgate.KindClient, id), certgate.EInvalid, "id")
	}
	_, err := svc.Get(ctx, awsScope, certgate.KindClient, "nosuchid00")
	wantErr(t, err, certgate.ENotFound, "")
	for _, limit := range []int{-1, MaxPageLimit + 1} {
		_, err := svc.List(ctx, awsScope, certgate.KindClient, "", limit)
		wantErr(t, err, certgate.EInvalid, "limit")
	}
	var ids []string
	for i := 0; i < 5; i++ {
		c, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	var got []string
	pos := ""
	for pages := 0; ; pages++ {
		p, err := svc.List(ctx, awsScope, certgate.KindClient, pos, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Items {
			got = append(got, c.ID)
		}
		if p.Position == "" {
			if pages != 2 {
				t.Fatalf("%d pages, want 3", pages+1)
			}
			break
		}
		pos = p.Position
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("paged %v, want %v", got, ids)
	}
	// A position token of one region does not decode in another.
	p, _ := svc.List(ctx, awsScope, certgate.KindClient, "", 1)
	_, err = svc.List(ctx, certgate.Scope{AccountID: awsScope.AccountID, Region: "us-east-1"}, certgate.KindClient, p.Position, 1)
	wantErr(t, err, certgate.EInvalid, "")
}

func TestTags(t *testing.T) {
	ctx := context.Background()
	svc, _ := newGenerator(t, Config{})
	c, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{Tags: map[string]string{"a": "1", "b": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err = svc.Tag(ctx, awsScope, certgate.KindClient, c.ID, map[string]string{"b": "3", "c": "4"})
	if err != nil || fmt.Sprint(c.Tags) != "map[a:1 b:3 c:4]" {
		t.Fatalf("tag: %v %v", err, c.Tags)
	}
	c, err = svc.Untag(ctx, awsScope, certgate.KindClient, c.ID, []string{"a", "absent"})
	if err != nil || fmt.Sprint(c.Tags) != "map[b:3 c:4]" {
		t.Fatalf("untag: %v %v", err, c.Tags)
	}
	_, err = svc.Untag(ctx, awsScope, certgate.KindClient, c.ID, nil)
	wantErr(t, err, certgate.EInvalid, "tagKeys")
	_, err = svc.Untag(ctx, awsScope, certgate.KindClient, c.ID, []string{""})
	wantErr(t, err, certgate.EInvalid, "tags")
	// Merging past 50 tags is refused, and changes nothing.
	more := map[string]string{}
	for i := 0; i < MaxTags-1; i++ {
		more[fmt.Sprintf("m%d", i)] = "v"
	}
	_, err = svc.Tag(ctx, awsScope, certgate.KindClient, c.ID, more)
	wantErr(t, err, certgate.EInvalid, "tags")
	if e := certgate.AsError(err); e.Reason != ReasonTooManyTags || e.Limit != MaxTags || e.Got != MaxTags+1 {
		t.Fatalf("merged past the limit: %+v", e)
	}
	got, _ := svc.Get(ctx, awsScope, certgate.KindClient, c.ID)
	if len(got.Tags) != 2 || got.Version != c.Version {
		t.Fatalf("a refused merge wrote: %v (version %d, want %d)", got.Tags, got.Version, c.Version)
	}
	_, err = svc.SetDescription(ctx, awsScope, certgate.KindClient, c.ID, "a\x00b")
	wantErr(t, err, certgate.EInvalid, "description")
	_, err = svc.Tag(ctx, certgate.Scope{AccountID: "999999999999", Region: awsScope.Region}, certgate.KindClient, c.ID, map[string]string{"x": "y"})
	wantErr(t, err, certgate.ENotFound, "")
}

// Concurrent tag writers never lose each other's tags: modify retries on a
// version conflict with the record it sees.
func TestConcurrentTagsNoLostUpdate(t *testing.T) {
	ctx := context.Background()
	svc, _ := newGenerator(t, Config{})
	c, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 8
	for _, err := range concurrently(writers, func(i int) error {
		_, err := svc.Tag(ctx, awsScope, certgate.KindClient, c.ID, map[string]string{fmt.Sprintf("w%d", i): "x"})
		return err
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, _ := svc.Get(ctx, awsScope, certgate.KindClient, c.ID)
	if len(got.Tags) != writers || got.Version != 1+writers {
		t.Fatalf("tags %v version %d, want %d tags and version %d", got.Tags, got.Version, writers, 1+writers)
	}
}

// A sealed private key opens only for the record it was sealed for: an
// envelope copied onto another record (same account and kind) fails, as the
// README promises.
func TestSealedKeyBoundToRecord(t *testing.T) {
	ctx := context.Background()
	svc, hs := newGenerator(t, Config{})
	a, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PrivateKey(ctx, awsScope, certgate.KindClient, b.ID); err != nil {
		t.Fatalf("b's own key: %v", err)
	}
	b.KeySealed, b.SealKeyID = a.KeySealed, a.SealKeyID
	if err := hs.Store.UpdateCertificate(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PrivateKey(ctx, awsScope, certgate.KindClient, b.ID); err == nil {
		t.Fatal("a key sealed for one record opened for another")
	}
	if _, err := svc.PrivateKey(ctx, awsScope, certgate.KindClient, a.ID); err != nil {
		t.Fatalf("a's own key: %v", err)
	}
}

var _ store.Store = (*hookStore)(nil)

// slowUpdates adds a fixed commit latency to every UpdateCertificate, as a
// busy disk or a remote database would.
type slowUpdates struct {
	*hookStore
	delay time.Duration
}

func (s slowUpdates) UpdateCertificate(ctx context.Context, c *certgate.Certificate) error {
	time.Sleep(s.delay)
	return s.hookStore.UpdateCertificate(ctx, c)
}

// Many writers on one record with a slow commit all succeed: the retry loop
// is bounded by time, not by a count of lost rounds (30 concurrent updates on
// one SQLite node used to answer some of them 409 under load).
func TestManyConcurrentWritersAllWin(t *testing.T) {
	ctx := context.Background()
	svc, hs := newGenerator(t, Config{})
	c, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{})
	if err != nil {
		t.Fatal(err)
	}
	svc.store = slowUpdates{hookStore: hs, delay: 3 * time.Millisecond}
	const writers = 40
	failed := 0
	for _, err := range concurrently(writers, func(i int) error {
		_, err := svc.SetDescription(ctx, awsScope, certgate.KindClient, c.ID, fmt.Sprintf("writer %d", i))
		return err
	}) {
		if err != nil {
			failed++
			t.Log(err)
		}
	}
	got, _ := svc.Get(ctx, awsScope, certgate.KindClient, c.ID)
	if failed > 0 || got.Version != 1+writers {
		t.Fatalf("%d of %d writers failed; version %d, want %d", failed, writers, got.Version, 1+writers)
	}
}

// concurrently runs fn(0) … fn(n-1) at once and returns their errors.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}
