package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Scopes used across the subtests. Region "" is the Huawei form.
var (
	scopeA  = certgate.Scope{AccountID: "111111111111", Region: "eu-west-1"}
	scopeA2 = certgate.Scope{AccountID: "111111111111", Region: "us-east-1"}
	scopeB  = certgate.Scope{AccountID: "222222222222", Region: "eu-west-1"}
	scopeH  = certgate.Scope{AccountID: "111111111111", Region: ""}
)

// base is a time with nanoseconds and a non-UTC zone, so that a backend
// must both truncate or keep precision and convert to UTC.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+5:30", 5*3600+1800))

// newID returns a random lowercase hex id. Lowercase hex sorts the same under
// byte order and under the usual database collations, so the expected list
// order does not depend on the backend's collation.
func newID(prefix string) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b)
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// newCert returns a certificate with every field set to a distinct value.
func newCert(scope certgate.Scope, kind certgate.Kind) *certgate.Certificate {
	id := newID("c")
	key := randBytes(48)
	key[0], key[1] = 0, 0xff // NUL and high bytes must survive
	return &certgate.Certificate{
		ID:                 id,
		Scope:              scope,
		Kind:               kind,
		Name:               "",
		Description:        "description of " + id + " – ünïcode ✓",
		Tags:               map[string]string{"env": "test", "id": id, "empty": "", "quote\"key": "va'lue"},
		InstanceID:         "inst-" + id[:6],
		CertificatePEM:     "-----BEGIN CERTIFICATE-----\nMII" + id + "\n-----END CERTIFICATE-----\n",
		KeySealed:          key,
		SealKeyID:          "mk-2025",
		TrustedRootCA:      "-----BEGIN CERTIFICATE-----\nROOT" + id + "\n-----END CERTIFICATE-----\n",
		CommonName:         id + ".example.com",
		SANs:               []string{id + ".example.com", "*.example.com", "10.0.0.1", "2001:db8::1"},
		NotBefore:          base.Add(-time.Hour),
		NotAfter:           base.AddDate(1, 0, 0),
		SerialNumber:       "170141183460469231731687303715884105727",
		SignatureAlgorithm: "SHA256-RSA",
		KeyAlgorithm:       "RSA",
		CreatedAt:          base,
		UpdatedAt:          base.Add(time.Second),
	}
}

// checkCert fails t unless got equals want field by field, up to what the
// contract allows: times compared at microsecond precision and returned in
// UTC, and nil and empty Tags, SANs and KeySealed treated alike. It walks
// the struct by reflection so that a field added to Certificate later is
// compared too.
func checkCert(t *testing.T, got, want *certgate.Certificate) {
	t.Helper()
	if got == nil {
		t.Fatalf("got nil certificate, want %s", want.ID)
	}
	checkFields(t, "certificate "+want.ID, got, want)
}

// checkFields compares every field of two pointers to the same struct type
// with diffValue, by reflection, so that a field added to a record type
// later is compared too.
func checkFields(t *testing.T, what string, got, want any) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if msg := diffValue(g, w); msg != "" {
			t.Errorf("%s: field %s: %s", what, name, msg)
		}
	}
}

// diffValue compares one field value; it returns "" when they match.
func diffValue(g, w any) string {
	switch gt := g.(type) {
	case time.Time:
		wt := w.(time.Time)
		if gt.Location() != time.UTC {
			return fmt.Sprintf("time %v is not in UTC", gt)
		}
		if !gt.Truncate(time.Microsecond).Equal(wt.Truncate(time.Microsecond)) {
			return fmt.Sprintf("got %v, want %v (at microsecond precision)", gt, wt.UTC())
		}
		return ""
	case map[string]string:
		wm := w.(map[string]string)
		if len(gt) == 0 && len(wm) == 0 {
			return ""
		}
		if !reflect.DeepEqual(gt, wm) {
			return fmt.Sprintf("got %v, want %v", gt, wm)
		}
		return ""
	case []string:
		ws := w.([]string)
		if !slices.Equal(gt, ws) {
			return fmt.Sprintf("got %q, want %q", gt, ws)
		}
		return ""
	case []byte:
		wb := w.([]byte)
		// Compared without printing: these are sealed key bytes.
		if string(gt) != string(wb) {
			return fmt.Sprintf("got %d bytes, want %d different bytes", len(gt), len(wb))
		}
		return ""
	}
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("got %#v, want %#v", g, w)
	}
	return ""
}

// checkErr fails t unless err carries code and, when reason is not empty,
// that Reason.
func checkErr(t *testing.T, err error, code, reason, what string) {
	t.Helper()
	if got := certgate.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
	if reason == "" {
		return
	}
	if got := certgate.AsError(err).Reason; got != reason {
		t.Fatalf("%s: error reason %q (%v), want %q", what, got, err, reason)
	}
}

// mustCreateNamed creates a record of scope and kind with the given name.
func mustCreateNamed(t *testing.T, s store.Store, scope certgate.Scope, kind certgate.Kind, name string) *certgate.Certificate {
	t.Helper()
	c := newCert(scope, kind)
	c.Name = name
	mustCreate(t, s, c, 0)
	return c
}

func mustCreate(t *testing.T, s store.Store, c *certgate.Certificate, quota int) {
	t.Helper()
	if err := s.CreateCertificate(testCtx(t), c, quota); err != nil {
		t.Fatalf("CreateCertificate(%s): %v", c.ID, err)
	}
	if c.Version != 1 {
		t.Fatalf("CreateCertificate(%s): Version %d after create, want 1", c.ID, c.Version)
	}
}

func mustGet(t *testing.T, s store.Store, scope certgate.Scope, kind certgate.Kind, id string) *certgate.Certificate {
	t.Helper()
	c, err := s.GetCertificate(testCtx(t), scope, kind, id)
	if err != nil {
		t.Fatalf("GetCertificate(%s): %v", id, err)
	}
	return c
}

func mustList(t *testing.T, s store.Store, q store.ListQuery) []*certgate.Certificate {
	t.Helper()
	cs, err := s.ListCertificates(testCtx(t), q)
	if err != nil {
		t.Fatalf("ListCertificates(%+v): %v", q, err)
	}
	return cs
}

func mustCount(t *testing.T, s store.Store, q store.ListQuery) int64 {
	t.Helper()
	n, err := s.CountCertificates(testCtx(t), q)
	if err != nil {
		t.Fatalf("CountCertificates(%+v): %v", q, err)
	}
	return n
}

func ids(cs []*certgate.Certificate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// checkIDs fails t unless the list holds exactly want, in order.
func checkIDs(t *testing.T, what string, got []*certgate.Certificate, want []string) {
	t.Helper()
	if g := ids(got); !slices.Equal(g, want) {
		t.Errorf("%s: got ids\n  %s\nwant\n  %s", what, strings.Join(g, " "), strings.Join(want, " "))
	}
}

// runConcurrently runs n calls of fn at once, released together so that
// they really overlap, and waits for all of them.
func runConcurrently(n int, fn func(i int)) {
	start := make(chan struct{})
	done := make(chan struct{}, n)
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
}

// within fails t if fn does not return within d: a store that ignores a
// cancelled context may block, and the suite must report that, not hang.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// cancelled returns a context that is already done.
func cancelled() context.Context {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	return c
}
