package pki

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
)

// Test keys are shared: RSA generation is slow, and tests only read them.
var (
	testKeysOnce sync.Once
	testRSA      *rsa.PrivateKey
	testRSA2     *rsa.PrivateKey
	testEC       *ecdsa.PrivateKey
	testEC2      *ecdsa.PrivateKey
)

func testKeys(t testing.TB) (r1, r2 *rsa.PrivateKey, e1, e2 *ecdsa.PrivateKey) {
	t.Helper()
	testKeysOnce.Do(func() {
		gen := func(kt KeyType) any {
			k, err := GenerateKey(kt, rand.Reader)
			if err != nil {
				panic(err)
			}
			return k
		}
		testRSA = gen(RSA2048).(*rsa.PrivateKey)
		testRSA2 = gen(RSA2048).(*rsa.PrivateKey)
		testEC = gen(ECDSAP256).(*ecdsa.PrivateKey)
		testEC2 = gen(ECDSAP256).(*ecdsa.PrivateKey)
	})
	return testRSA, testRSA2, testEC, testEC2
}

func TestParseKeyType(t *testing.T) {
	tests := []struct {
		in   string
		want KeyType
		ok   bool
	}{
		{"rsa2048", RSA2048, true},
		{"RSA-2048", RSA2048, true},
		{" rsa_2048 ", RSA2048, true},
		{"rsa", RSA2048, true},
		{"ecdsa-p256", ECDSAP256, true},
		{"ECDSA_P256", ECDSAP256, true},
		{"p256", ECDSAP256, true},
		{"P-256", ECDSAP256, true},
		{"prime256v1", ECDSAP256, true},
		{"secp256r1", ECDSAP256, true},
		{"ec", ECDSAP256, true},
		{"", "", false},
		{"rsa4096", "", false},
		{"ed25519", "", false},
		{"p384", "", false},
	}
	for _, tt := range tests {
		got, err := ParseKeyType(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseKeyType(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "rsa2048") {
			t.Errorf("ParseKeyType(%q) error %q does not list the accepted values", tt.in, err)
		}
	}
	// Canonical names round-trip.
	for _, kt := range []KeyType{RSA2048, ECDSAP256} {
		if got, err := ParseKeyType(kt.String()); err != nil || got != kt {
			t.Errorf("ParseKeyType(%q) = %q, %v", kt, got, err)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	r, _, e, _ := testKeys(t)
	if r.N.BitLen() != 2048 || r.E != 65537 {
		t.Errorf("RSA key: %d bits, e=%d", r.N.BitLen(), r.E)
	}
	if e.Curve.Params().Name != "P-256" {
		t.Errorf("ECDSA curve %s", e.Curve.Params().Name)
	}
	if _, err := GenerateKey("dsa", rand.Reader); err == nil {
		t.Error("GenerateKey(dsa) succeeded")
	}
	if _, err := GenerateKey(RSA2048, nil); err == nil {
		t.Error("GenerateKey with nil random succeeded")
	}
}

func TestPrivateKeyRoundTrip(t *testing.T) {
	r, _, e, _ := testKeys(t)
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(r)
	sec1, err := x509.MarshalECPrivateKey(e)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		key  crypto.Signer
		der  func() ([]byte, error)
	}{
		{"rsa-pkcs8", r, func() ([]byte, error) { return MarshalPrivateKey(r) }},
		{"ecdsa-pkcs8", e, func() ([]byte, error) { return MarshalPrivateKey(e) }},
		{"ed25519-pkcs8", ed, func() ([]byte, error) { return MarshalPrivateKey(ed) }},
		{"rsa-pkcs1", r, func() ([]byte, error) { return pkcs1, nil }},
		{"ecdsa-sec1", e, func() ([]byte, error) { return sec1, nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			der, err := c.der()
			if err != nil {
				t.Fatal(err)
			}
			k, err := ParsePrivateKeyDER(der)
			if err != nil {
				t.Fatal(err)
			}
			if !PublicKeysEqual(k.Public(), c.key.Public()) {
				t.Error("parsed key differs from the original")
			}
		})
	}
}

func TestParsePrivateKeyDERErrors(t *testing.T) {
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	xder, err := x509.MarshalPKCS8PrivateKey(x)
	if err != nil {
		t.Fatal(err)
	}
	r, _, _, _ := testKeys(t)
	pub, err := x509.MarshalPKIXPublicKey(&r.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg...\n")
	cases := map[string][]byte{
		"nil":        nil,
		"garbage":    []byte("not a key"),
		"pem":        secret,
		"public key": pub,
		"x25519":     xder,
	}
	for name, der := range cases {
		k, err := ParsePrivateKeyDER(der)
		if err == nil {
			t.Errorf("%s: parsed as %T", name, k)
			continue
		}
		if strings.Contains(err.Error(), "MIIE") {
			t.Errorf("%s: error echoes the input: %v", name, err)
		}
	}
	if _, err := MarshalPrivateKey(nil); err == nil {
		t.Error("MarshalPrivateKey(nil) succeeded")
	}
}

func TestPublicKeysEqual(t *testing.T) {
	r1, r2, e1, e2 := testKeys(t)
	if !PublicKeysEqual(r1.Public(), &r1.PublicKey) {
		t.Error("RSA key not equal to itself")
	}
	if PublicKeysEqual(r1.Public(), r2.Public()) {
		t.Error("different RSA keys equal")
	}
	if !PublicKeysEqual(e1.Public(), e1.Public()) || PublicKeysEqual(e1.Public(), e2.Public()) {
		t.Error("ECDSA equality wrong")
	}
	if PublicKeysEqual(r1.Public(), e1.Public()) {
		t.Error("RSA equals ECDSA")
	}
	if PublicKeysEqual(nil, r1.Public()) || PublicKeysEqual(r1.Public(), nil) {
		t.Error("nil equals a key")
	}
	if PublicKeysEqual("x", "x") {
		t.Error("non-key types compared equal")
	}
}

func TestEncodeCertificatePEM(t *testing.T) {
	if got := EncodeCertificatePEM(); got != "" {
		t.Errorf("no certs: %q", got)
	}
	s := EncodeCertificatePEM([]byte{1, 2, 3}, []byte{4, 5})
	rest := []byte(s)
	var got [][]byte
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			t.Errorf("block type %q", b.Type)
		}
		got = append(got, b.Bytes)
	}
	if len(got) != 2 || string(got[0]) != "\x01\x02\x03" || string(got[1]) != "\x04\x05" {
		t.Errorf("decoded %v from %q", got, s)
	}
}

func FuzzParsePrivateKeyDER(f *testing.F) {
	r, _, e, _ := testKeys(f)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, k := range []any{r, e, ed} {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Add(x509.MarshalPKCS1PrivateKey(r))
	sec1, _ := x509.MarshalECPrivateKey(e)
	f.Add(sec1)
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		k, err := ParsePrivateKeyDER(der)
		if err != nil {
			if k != nil {
				t.Fatal("key and error both returned")
			}
			return
		}
		if k.Public() == nil {
			t.Fatal("parsed key has no public key")
		}
		// What parses must re-encode, since certgate stores PKCS#8.
		if _, err := MarshalPrivateKey(k); err != nil {
			t.Fatalf("parsed %T does not re-encode: %v", k, err)
		}
	})
}
