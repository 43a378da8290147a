package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"reflect"
	"testing"
	"time"
)

func memoCert(t *testing.T, cn, org string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, Organization: []string{org}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{cn}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// The memo answers what Describe answers, per PEM text: two certificates
// never share an entry, a bad PEM is refused and not remembered, and the
// memo stays within its size.
func TestFactsMemo(t *testing.T) {
	a, b := memoCert(t, "a.example.com", "A Org"), memoCert(t, "b.example.com", "B Org")
	m := NewFactsMemo(2)
	for range 2 {
		for _, p := range []string{a, b} {
			got, ok := m.DescribePEM(p)
			blk, _ := pem.Decode([]byte(p))
			leaf, err := x509.ParseCertificate(blk.Bytes)
			if err != nil || !ok {
				t.Fatalf("DescribePEM: %v %v", ok, err)
			}
			if want := Describe(leaf); !reflect.DeepEqual(got, want) {
				t.Errorf("memo gave %+v, Describe gives %+v", got, want)
			}
		}
	}
	if len(m.m) != 2 {
		t.Errorf("memo holds %d entries, want 2", len(m.m))
	}
	for _, bad := range []string{"", "not pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		if f, ok := m.DescribePEM(bad); ok || f.CommonName != "" {
			t.Errorf("DescribePEM(%q) = %+v, %v", bad, f, ok)
		}
	}
	if len(m.m) != 2 {
		t.Errorf("bad PEM was remembered: %d entries", len(m.m))
	}
	c := memoCert(t, "c.example.com", "C Org")
	if f, _ := m.DescribePEM(c); f.CommonName != "c.example.com" || len(m.m) > 2 {
		t.Errorf("third certificate: %+v, %d entries (max 2)", f, len(m.m))
	}
	var none *FactsMemo
	if f, ok := none.DescribePEM(a); !ok || f.CommonName != "a.example.com" {
		t.Errorf("nil memo: %+v %v", f, ok)
	}
}
