package pki

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testtool"
)

// upNow is the clock of the upload tests: every generated certificate is
// valid at it unless a case says otherwise.
var upNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// upCert is a generated certificate and its key.
type upCert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func (c upCert) pem() string { return EncodeCertificatePEM(c.cert.Raw) }

// upFixtures are the certificates and keys the upload tests share, made once
// because RSA key generation is slow.
type upFixtures struct {
	rootRSA, intRSA, int2, rootEC, intEC upCert
	rootV1                               upCert // version 1, self-signed, ECDSA
	notV1Root                            upCert // version 1, issued by rootV1
	caNoCertSign                         upCert // CA:TRUE, key usage without keyCertSign
	notCAInt                             upCert // CA:FALSE, yet issued leafUnderLeaf
	sha1Int                              upCert // intermediate signed with SHA1-RSA by rootRSA

	leafRSA, leafP256, leafP384, leafDeep        upCert
	leafExpired, leafFuture, leafNoSAN, leaf2040 upCert
	leafRSA1024, leafEd25519, leafP521           upCert
	leafUnderLeaf, leafUnderV1, leafUnderSHA1    upCert
}

var (
	upOnce sync.Once
	upFix  *upFixtures
	upErr  error
)

func upFixturesFor(tb testing.TB) *upFixtures {
	tb.Helper()
	upOnce.Do(func() { upFix, upErr = makeUpFixtures() })
	if upErr != nil {
		tb.Fatal(upErr)
	}
	return upFix
}

var upSerial int64 = 1000

type upSpec struct {
	cn        string
	dns       []string
	ips       []net.IP
	ca        bool
	noBC      bool // no basic constraints at all
	keyUsage  x509.KeyUsage
	notBefore time.Time
	notAfter  time.Time
	sigAlg    x509.SignatureAlgorithm
}

// issue makes a certificate for key, signed by parent (self-signed when
// parent.cert is nil).
func upIssue(spec upSpec, key crypto.Signer, parent upCert) (upCert, error) {
	upSerial++
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(upSerial),
		Subject:            pkix.Name{CommonName: spec.cn, Organization: []string{"Certgate Test"}},
		DNSNames:           spec.dns,
		IPAddresses:        spec.ips,
		NotBefore:          upNow.Add(-24 * time.Hour),
		NotAfter:           upNow.Add(90 * 24 * time.Hour),
		SignatureAlgorithm: spec.sigAlg,
		KeyUsage:           spec.keyUsage,
	}
	if !spec.notBefore.IsZero() {
		tmpl.NotBefore = spec.notBefore
	}
	if !spec.notAfter.IsZero() {
		tmpl.NotAfter = spec.notAfter
	}
	if !spec.noBC {
		tmpl.BasicConstraintsValid = true
		tmpl.IsCA = spec.ca
	}
	if spec.ca && spec.keyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if !spec.ca && spec.keyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	parentCert, parentKey := tmpl, key
	if parent.cert != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), parentKey)
	if err != nil {
		return upCert{}, fmt.Errorf("issue %s: %w", spec.cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return upCert{}, fmt.Errorf("parse %s: %w", spec.cn, err)
	}
	return upCert{cert: c, key: key}, nil
}

// issueV1 makes a version 1 certificate (no extensions), which
// x509.CreateCertificate cannot: the TBSCertificate is assembled by hand and
// signed with ECDSA-SHA256 by signer.
func upIssueV1(cn string, key crypto.Signer, issuerName pkix.Name, signer *ecdsa.PrivateKey) (upCert, error) {
	name := func(n pkix.Name) asn1.RawValue {
		der, _ := asn1.Marshal(n.ToRDNSequence())
		return asn1.RawValue{FullBytes: der}
	}
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return upCert{}, err
	}
	sigAlg := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}
	upSerial++
	tbs, err := asn1.Marshal(struct {
		Serial   *big.Int
		SigAlg   pkix.AlgorithmIdentifier
		Issuer   asn1.RawValue
		Validity struct{ NotBefore, NotAfter time.Time }
		Subject  asn1.RawValue
		SPKI     asn1.RawValue
	}{
		big.NewInt(upSerial), sigAlg, name(issuerName),
		struct{ NotBefore, NotAfter time.Time }{upNow.Add(-time.Hour).UTC(), upNow.Add(1000 * time.Hour).UTC()},
		name(pkix.Name{CommonName: cn}), asn1.RawValue{FullBytes: spki},
	})
	if err != nil {
		return upCert{}, err
	}
	h := sha256.Sum256(tbs)
	sig, err := signer.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return upCert{}, err
	}
	der, err := asn1.Marshal(struct {
		TBS    asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, sigAlg, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		return upCert{}, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return upCert{}, fmt.Errorf("parse v1 %s: %w", cn, err)
	}
	if c.Version != 1 {
		return upCert{}, fmt.Errorf("v1 %s: version %d", cn, c.Version)
	}
	return upCert{cert: c, key: key}, nil
}

func makeUpFixtures() (*upFixtures, error) {
	var f upFixtures
	var firstErr error
	must := func(c upCert, err error) upCert {
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return c
	}
	rsaKey := func(bits int) crypto.Signer {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return k
	}
	ecKey := func(c elliptic.Curve) crypto.Signer {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return k
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}

	f.rootRSA = must(upIssue(upSpec{cn: "Test Root RSA", ca: true}, rsaKey(2048), upCert{}))
	f.intRSA = must(upIssue(upSpec{cn: "Test Intermediate RSA", ca: true}, rsaKey(2048), f.rootRSA))
	f.int2 = must(upIssue(upSpec{cn: "Test Intermediate 2", ca: true}, ecKey(elliptic.P256()), f.intRSA))
	f.rootEC = must(upIssue(upSpec{cn: "Test Root EC", ca: true}, ecKey(elliptic.P256()), upCert{}))
	f.intEC = must(upIssue(upSpec{cn: "Test Intermediate EC", ca: true}, ecKey(elliptic.P256()), f.rootEC))
	v1Key := ecKey(elliptic.P256()).(*ecdsa.PrivateKey)
	f.rootV1 = must(upIssueV1("Test Root V1", v1Key, pkix.Name{CommonName: "Test Root V1"}, v1Key))
	f.notV1Root = must(upIssueV1("Test V1 Leaf", ecKey(elliptic.P256()), pkix.Name{CommonName: "Test Root V1"}, v1Key))
	f.caNoCertSign = must(upIssue(upSpec{cn: "Test CA Without CertSign", ca: true, keyUsage: x509.KeyUsageDigitalSignature}, ecKey(elliptic.P256()), upCert{}))
	f.notCAInt = must(upIssue(upSpec{cn: "Test Not A CA", dns: []string{"notca.example.com"}}, ecKey(elliptic.P256()), f.rootEC))
	f.sha1Int = must(upIssue(upSpec{cn: "Test SHA1 Intermediate", ca: true, sigAlg: x509.SHA1WithRSA}, rsaKey(2048), f.rootRSA))

	rsaLeafKey := rsaKey(2048)
	p256 := ecKey(elliptic.P256())
	f.leafRSA = must(upIssue(upSpec{cn: "rsa.example.com", dns: []string{"rsa.example.com", "www.rsa.example.com"}, ips: []net.IP{net.ParseIP("192.0.2.1")}}, rsaLeafKey, f.intRSA))
	f.leafP256 = must(upIssue(upSpec{cn: "p256.example.com", dns: []string{"p256.example.com"}}, p256, f.intEC))
	f.leafP384 = must(upIssue(upSpec{cn: "p384.example.com", dns: []string{"p384.example.com"}}, ecKey(elliptic.P384()), f.intEC))
	f.leafDeep = must(upIssue(upSpec{cn: "deep.example.com", dns: []string{"deep.example.com"}}, p256, f.int2))
	f.leafExpired = must(upIssue(upSpec{cn: "expired.example.com", dns: []string{"expired.example.com"},
		notBefore: upNow.Add(-400 * 24 * time.Hour), notAfter: upNow.Add(-time.Second)}, p256, f.intEC))
	f.leafFuture = must(upIssue(upSpec{cn: "future.example.com", dns: []string{"future.example.com"},
		notBefore: upNow.Add(30 * 24 * time.Hour), notAfter: upNow.Add(400 * 24 * time.Hour)}, p256, f.intEC))
	f.leafNoSAN = must(upIssue(upSpec{cn: "nosan.example.com"}, p256, f.intEC))
	f.leaf2040 = must(upIssue(upSpec{cn: "y2040.example.com", dns: []string{"y2040.example.com"},
		notAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)}, p256, f.intEC))
	f.leafRSA1024 = must(upIssue(upSpec{cn: "rsa1024.example.com", dns: []string{"rsa1024.example.com"}}, rsaKey(1024), f.intRSA))
	f.leafEd25519 = must(upIssue(upSpec{cn: "ed25519.example.com", dns: []string{"ed25519.example.com"}}, edKey, f.intEC))
	f.leafP521 = must(upIssue(upSpec{cn: "p521.example.com", dns: []string{"p521.example.com"}}, ecKey(elliptic.P521()), f.intEC))
	f.leafUnderLeaf = must(upIssue(upSpec{cn: "underleaf.example.com", dns: []string{"underleaf.example.com"}}, p256, f.notCAInt))
	f.leafUnderV1 = must(upIssue(upSpec{cn: "underv1.example.com", dns: []string{"underv1.example.com"}}, p256, f.rootV1))
	f.leafUnderSHA1 = must(upIssue(upSpec{cn: "undersha1.example.com", dns: []string{"undersha1.example.com"}, sigAlg: x509.SHA1WithRSA}, p256, f.sha1Int))
	if firstErr != nil {
		return nil, firstErr
	}
	return &f, nil
}

// chainPEM concatenates the certificates' PEM, in order.
func upChainPEM(cs ...upCert) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.pem())
	}
	return b.String()
}

func upPEM(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func upPKCS8PEM(tb testing.TB, k crypto.Signer) string {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		tb.Fatal(err)
	}
	return upPEM("PRIVATE KEY", der)
}

func upPKCS1PEM(k crypto.Signer) string {
	return upPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey)))
}

func upSEC1PEM(tb testing.TB, k crypto.Signer) string {
	tb.Helper()
	der, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
	if err != nil {
		tb.Fatal(err)
	}
	return upPEM("EC PRIVATE KEY", der)
}

// ecParamsPEM is what `openssl ecparam -genkey` writes before the key.
func upECParamsPEM(tb testing.TB, k crypto.Signer) string {
	tb.Helper()
	oid := map[string]asn1.ObjectIdentifier{
		"P-256": {1, 2, 840, 10045, 3, 1, 7},
		"P-384": {1, 3, 132, 0, 34},
	}[k.(*ecdsa.PrivateKey).Curve.Params().Name]
	der, err := asn1.Marshal(oid)
	if err != nil {
		tb.Fatal(err)
	}
	return upPEM("EC PARAMETERS", der)
}

// legacyEncryptedPEM encrypts a PKCS#1 or SEC1 key the RFC 1421 way
// (Proc-Type: 4,ENCRYPTED), as `openssl rsa -aes256 -traditional` does.
func upLegacyEncryptedPEM(tb testing.TB, typ string, der []byte) string {
	tb.Helper()
	// Deprecated, since the format is insecure; building one is the point.
	b, err := x509.EncryptPEMBlock(rand.Reader, typ, der, []byte("x"), x509.PEMCipherAES256)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(b))
}

// encryptedPKCS8PEM builds the PKCS#8 EncryptedPrivateKeyInfo that
// `openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:x` writes: PBES2 with
// PBKDF2 (HMAC-SHA256) and AES-256-CBC. TestUploadOpenSSL checks openssl
// decrypts it.
func upEncryptedPKCS8PEM(tb testing.TB, k crypto.Signer, password string) string {
	tb.Helper()
	plain, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		tb.Fatal(err)
	}
	salt, iv := make([]byte, 16), make([]byte, aes.BlockSize)
	rand.Read(salt)
	rand.Read(iv)
	const iter = 2048
	dk, err := pbkdf2.Key(sha256.New, password, salt, iter, 32)
	if err != nil {
		tb.Fatal(err)
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		tb.Fatal(err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	data := append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)

	type algo struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters any `asn1:"optional"`
	}
	nullParams := asn1.RawValue{Tag: asn1.TagNull}
	kdfParams := struct {
		Salt []byte
		Iter int
		PRF  algo
	}{salt, iter, algo{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, nullParams}}
	pbes2 := struct {
		KDF algo
		Enc algo
	}{
		algo{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}, kdfParams},
		algo{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, iv},
	}
	der, err := asn1.Marshal(struct {
		Algo algo
		Data []byte
	}{algo{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}, pbes2}, data})
	if err != nil {
		tb.Fatal(err)
	}
	return upPEM("ENCRYPTED PRIVATE KEY", der)
}

// upCase is one upload and what ValidateUpload must make of it.
type upCase struct {
	name          string
	cert, key, ca string
	reason, field string // expected error; "" for success
	check         func(t *testing.T, u *Upload)
}

func upCases(tb testing.TB) []upCase {
	f := upFixturesFor(tb)
	p256Key := f.leafP256.key
	facts := func(cn string, sans []string, sig, keyAlg string) func(*testing.T, *Upload) {
		return func(t *testing.T, u *Upload) {
			t.Helper()
			leaf := u.Chain[0]
			want := Describe(leaf)
			if got := u.Facts; got.CommonName != cn || !slices.Equal(got.SANs, sans) ||
				got.SignatureAlgorithm != sig || got.KeyAlgorithm != keyAlg ||
				got.SerialNumber != leaf.SerialNumber.Text(10) || !got.NotAfter.Equal(leaf.NotAfter) ||
				got.SerialNumber != want.SerialNumber {
				t.Errorf("Facts = %+v, want CN %q, SANs %q, %s, %s, serial %s", got, cn, sans, sig, keyAlg, leaf.SerialNumber)
			}
		}
	}
	chainLen := func(n int) func(*testing.T, *Upload) {
		return func(t *testing.T, u *Upload) {
			t.Helper()
			if len(u.Chain) != n {
				t.Errorf("chain has %d certificates, want %d", len(u.Chain), n)
			}
		}
	}
	cas := func(n int) func(*testing.T, *Upload) {
		return func(t *testing.T, u *Upload) {
			t.Helper()
			if len(u.TrustedCAs) != n {
				t.Errorf("%d trusted CAs, want %d", len(u.TrustedCAs), n)
			}
			if n == 0 {
				return
			}
			if back, err := ParseCABundle(u.CAPEM); err != nil || len(back) != n {
				t.Errorf("CAPEM does not round-trip: %d, %v", len(back), err)
			}
		}
	}
	both := func(fs ...func(*testing.T, *Upload)) func(*testing.T, *Upload) {
		return func(t *testing.T, u *Upload) {
			for _, f := range fs {
				f(t, u)
			}
		}
	}
	rsaLeafDER := x509.MarshalPKCS1PrivateKey(f.leafRSA.key.(*rsa.PrivateKey))
	ecLeafDER, _ := x509.MarshalECPrivateKey(p256Key.(*ecdsa.PrivateKey))
	rsaChain := upChainPEM(f.leafRSA, f.intRSA)
	p256Chain := upChainPEM(f.leafP256, f.intEC)
	p256KeyPEM := upPKCS8PEM(tb, p256Key)

	return []upCase{
		// Valid uploads.
		{name: "rsa2048 pkcs8", cert: rsaChain, key: upPKCS8PEM(tb, f.leafRSA.key),
			check: both(chainLen(2), facts("rsa.example.com", []string{"rsa.example.com", "www.rsa.example.com", "192.0.2.1"}, "SHA256-RSA", "RSA"))},
		{name: "rsa2048 pkcs1", cert: rsaChain, key: upPKCS1PEM(f.leafRSA.key), check: chainLen(2)},
		{name: "rsa2048 leaf only", cert: f.leafRSA.pem(), key: upPKCS1PEM(f.leafRSA.key), check: chainLen(1)},
		{name: "rsa2048 chain with root", cert: upChainPEM(f.leafRSA, f.intRSA, f.rootRSA), key: upPKCS1PEM(f.leafRSA.key), check: chainLen(3)},
		{name: "p256 pkcs8", cert: p256Chain, key: p256KeyPEM,
			check: both(chainLen(2), facts("p256.example.com", []string{"p256.example.com"}, "ECDSA-SHA256", "ECC"))},
		{name: "p256 sec1", cert: p256Chain, key: upSEC1PEM(tb, p256Key)},
		{name: "p256 sec1 with EC PARAMETERS", cert: p256Chain, key: upECParamsPEM(tb, p256Key) + upSEC1PEM(tb, p256Key)},
		{name: "p384 sec1 with EC PARAMETERS", cert: upChainPEM(f.leafP384, f.intEC), key: upECParamsPEM(tb, f.leafP384.key) + upSEC1PEM(tb, f.leafP384.key),
			check: facts("p384.example.com", []string{"p384.example.com"}, "ECDSA-SHA256", "ECC")},
		{name: "p384 pkcs8", cert: upChainPEM(f.leafP384, f.intEC), key: upPKCS8PEM(tb, f.leafP384.key)},
		{name: "two intermediates", cert: upChainPEM(f.leafDeep, f.int2, f.intRSA), key: p256KeyPEM, check: chainLen(3)},
		{name: "two intermediates and root", cert: upChainPEM(f.leafDeep, f.int2, f.intRSA, f.rootRSA), key: p256KeyPEM, check: chainLen(4)},
		{name: "issued by a v1 root", cert: upChainPEM(f.leafUnderV1, f.rootV1), key: p256KeyPEM, check: chainLen(2)},
		{name: "not yet valid accepted", cert: upChainPEM(f.leafFuture, f.intEC), key: p256KeyPEM},
		{name: "no SAN accepted", cert: upChainPEM(f.leafNoSAN, f.intEC), key: p256KeyPEM,
			check: facts("nosan.example.com", nil, "ECDSA-SHA256", "ECC")},
		{name: "expires after 2038 accepted", cert: upChainPEM(f.leaf2040, f.intEC), key: p256KeyPEM},
		{name: "one CA", cert: p256Chain, key: p256KeyPEM, ca: f.rootEC.pem(), check: cas(1)},
		{name: "two CAs", cert: p256Chain, key: p256KeyPEM, ca: upChainPEM(f.rootEC, f.rootRSA), check: cas(2)},
		{name: "CA bundle with intermediate and v1 root", cert: p256Chain, key: p256KeyPEM, ca: upChainPEM(f.intRSA, f.rootV1), check: cas(2)},
		{name: "whitespace-only CA is none", cert: p256Chain, key: p256KeyPEM, ca: " \n\t\r\n", check: cas(0)},
		{name: "CRLF, indentation, blank lines, BOM", key: strings.ReplaceAll(p256KeyPEM, "\n", "\r\n"),
			cert: "\uFEFF\n\n  " + strings.ReplaceAll(f.leafP256.pem(), "\n", "\n    ") + "\r\n\r\n\t" + strings.ReplaceAll(f.intEC.pem(), "\n", "\r\n") + "\n\n"},
		{name: "headers on unencrypted key ignored", cert: p256Chain,
			key: string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Comment": "x"}, Bytes: ecLeafDER}))},
		{name: "mislabelled pkcs1 as PRIVATE KEY", cert: rsaChain, key: upPEM("PRIVATE KEY", rsaLeafDER)},

		// Chain errors.
		{name: "intermediate first", cert: upChainPEM(f.intRSA, f.leafRSA), key: upPKCS1PEM(f.leafRSA.key), reason: ReasonChainOrder, field: FieldCertContent},
		{name: "unrelated intermediate", cert: upChainPEM(f.leafRSA, f.intEC), key: upPKCS1PEM(f.leafRSA.key), reason: ReasonChainOrder, field: FieldCertContent},
		{name: "intermediates swapped", cert: upChainPEM(f.leafDeep, f.intRSA, f.int2), key: p256KeyPEM, reason: ReasonChainOrder, field: FieldCertContent},
		{name: "missing middle intermediate", cert: upChainPEM(f.leafDeep, f.intRSA), key: p256KeyPEM, reason: ReasonChainOrder, field: FieldCertContent},
		{name: "issuer is not a CA", cert: upChainPEM(f.leafUnderLeaf, f.notCAInt), key: p256KeyPEM, reason: ReasonChainOrder, field: FieldCertContent},
		{name: "leaf twice", cert: upChainPEM(f.leafP256, f.leafP256), key: p256KeyPEM, reason: ReasonChainOrder, field: FieldCertContent},
		{name: "SHA-1 signature in chain", cert: upChainPEM(f.leafUnderSHA1, f.sha1Int), key: p256KeyPEM, reason: ReasonChainOrder, field: FieldCertContent},

		// Unparsable certificates.
		{name: "empty cert", cert: "", key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "whitespace cert", cert: " \r\n\t\n", key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "garbage cert", cert: "hello, world", key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "DER cert", cert: string(f.leafP256.cert.Raw), key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "base64 without PEM armour", cert: base64.StdEncoding.EncodeToString(f.leafP256.cert.Raw), key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "key in cert field", cert: p256KeyPEM, key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "key after chain", cert: p256Chain + p256KeyPEM, key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "text before chain", cert: "Bag Attributes\n    localKeyID: 01\nsubject=CN = p256.example.com\n" + p256Chain, key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "text between certs", cert: f.leafP256.pem() + "intermediate:\n" + f.intEC.pem(), key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "text after chain", cert: p256Chain + "-- end --\n", key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "truncated PEM", cert: p256Chain[:len(p256Chain)-40], key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "corrupt base64", cert: strings.Replace(p256Chain, "\nM", "\n!", 1), key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "corrupt DER", cert: upPEM("CERTIFICATE", f.leafP256.cert.Raw[:100]), key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},
		{name: "CSR in cert field", cert: upPEM("CERTIFICATE REQUEST", []byte{0x30, 0}), key: p256KeyPEM, reason: ReasonUnparsable, field: FieldCertContent},

		// Key errors.
		{name: "empty key", cert: p256Chain, key: "", reason: ReasonUnparsable, field: FieldPrivateKey},
		{name: "garbage key", cert: p256Chain, key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", reason: ReasonUnparsable, field: FieldPrivateKey},
		{name: "DER key", cert: p256Chain, key: string(ecLeafDER), reason: ReasonUnparsable, field: FieldPrivateKey},
		{name: "cert in key field", cert: p256Chain, key: f.leafP256.pem(), reason: ReasonUnparsable, field: FieldPrivateKey},
		{name: "two keys", cert: p256Chain, key: p256KeyPEM + p256KeyPEM, reason: ReasonUnparsable, field: FieldPrivateKey},
		{name: "only EC PARAMETERS", cert: p256Chain, key: upECParamsPEM(tb, p256Key), reason: ReasonUnparsable, field: FieldPrivateKey},
		{name: "text after key", cert: p256Chain, key: p256KeyPEM + "password: hunter2\n", reason: ReasonUnparsable, field: FieldPrivateKey},
		{name: "legacy encrypted RSA key", cert: rsaChain, key: upLegacyEncryptedPEM(tb, "RSA PRIVATE KEY", rsaLeafDER), reason: ReasonEncryptedKey, field: FieldPrivateKey},
		{name: "legacy encrypted EC key", cert: p256Chain, key: upLegacyEncryptedPEM(tb, "EC PRIVATE KEY", ecLeafDER), reason: ReasonEncryptedKey, field: FieldPrivateKey},
		{name: "encrypted PKCS#8 key", cert: p256Chain, key: upEncryptedPKCS8PEM(tb, p256Key, "x"), reason: ReasonEncryptedKey, field: FieldPrivateKey},
		{name: "encrypted PKCS#8 labelled PRIVATE KEY", cert: p256Chain,
			key: strings.ReplaceAll(upEncryptedPKCS8PEM(tb, p256Key, "x"), "ENCRYPTED PRIVATE KEY", "PRIVATE KEY"), reason: ReasonEncryptedKey, field: FieldPrivateKey},
		{name: "rsa1024", cert: upChainPEM(f.leafRSA1024, f.intRSA), key: upPKCS1PEM(f.leafRSA1024.key), reason: ReasonUnsupportedKey, field: FieldPrivateKey},
		{name: "ed25519", cert: upChainPEM(f.leafEd25519, f.intEC), key: upPKCS8PEM(tb, f.leafEd25519.key), reason: ReasonUnsupportedKey, field: FieldPrivateKey},
		{name: "p521", cert: upChainPEM(f.leafP521, f.intEC), key: upSEC1PEM(tb, f.leafP521.key), reason: ReasonUnsupportedKey, field: FieldPrivateKey},
		{name: "key of another certificate", cert: rsaChain, key: upPKCS8PEM(tb, f.intRSA.key), reason: ReasonKeyMismatch, field: FieldPrivateKey},
		{name: "key of another leaf", cert: p256Chain, key: upPKCS8PEM(tb, f.leafP384.key), reason: ReasonKeyMismatch, field: FieldPrivateKey},
		{name: "RSA key for EC certificate", cert: p256Chain, key: upPKCS1PEM(f.leafRSA.key), reason: ReasonKeyMismatch, field: FieldPrivateKey},
		{name: "key of the intermediate, chain in wrong order", cert: upChainPEM(f.intRSA, f.leafRSA), key: upPKCS8PEM(tb, f.intRSA.key), reason: ReasonChainOrder, field: FieldCertContent},

		// Expiry.
		{name: "expired leaf", cert: upChainPEM(f.leafExpired, f.intEC), key: p256KeyPEM, reason: ReasonExpired, field: FieldCertContent},
		{name: "expired leaf, mismatched key first", cert: upChainPEM(f.leafExpired, f.intEC), key: upPKCS1PEM(f.leafRSA.key), reason: ReasonKeyMismatch, field: FieldPrivateKey},

		// CA bundle errors.
		{name: "CA bundle with leaf", cert: p256Chain, key: p256KeyPEM, ca: upChainPEM(f.rootEC, f.leafRSA), reason: ReasonNotCA, field: FieldTrustedRootCA},
		{name: "CA bundle with non-self-signed v1", cert: p256Chain, key: p256KeyPEM, ca: f.notV1Root.pem(), reason: ReasonNotCA, field: FieldTrustedRootCA},
		{name: "CA bundle with CA lacking keyCertSign", cert: p256Chain, key: p256KeyPEM, ca: f.caNoCertSign.pem(), reason: ReasonNotCA, field: FieldTrustedRootCA},
		{name: "CA bundle garbage", cert: p256Chain, key: p256KeyPEM, ca: "root.pem", reason: ReasonUnparsable, field: FieldTrustedRootCA},
		{name: "CA bundle with key", cert: p256Chain, key: p256KeyPEM, ca: f.rootEC.pem() + p256KeyPEM, reason: ReasonUnparsable, field: FieldTrustedRootCA},

		// Sizes.
		{name: "cert field too large", cert: p256Chain + strings.Repeat("\n", MaxChainBytes), key: p256KeyPEM, reason: ReasonTooLarge, field: FieldCertContent},
		{name: "too many certificates", cert: strings.Repeat(f.leafP256.pem(), MaxChainCerts+1), key: p256KeyPEM, reason: ReasonTooLarge, field: FieldCertContent},
		{name: "key field too large", cert: p256Chain, key: p256KeyPEM + strings.Repeat(" ", MaxKeyBytes), reason: ReasonTooLarge, field: FieldPrivateKey},
		{name: "CA field too large", cert: p256Chain, key: p256KeyPEM, ca: strings.Repeat(" ", MaxCABundleBytes+1), reason: ReasonTooLarge, field: FieldTrustedRootCA},
		{name: "too many CAs", cert: p256Chain, key: p256KeyPEM, ca: strings.Repeat(f.rootEC.pem(), MaxCABundleCerts+1), reason: ReasonTooLarge, field: FieldTrustedRootCA},
		{name: "as many CAs as allowed", cert: p256Chain, key: p256KeyPEM, ca: strings.Repeat(f.rootEC.pem(), MaxCABundleCerts), check: cas(MaxCABundleCerts)},
	}
}

// checkUploadError checks that err is an *UploadError with reason and field,
// and that its message repeats none of the inputs' PEM content.
func upCheckError(t *testing.T, err error, reason, field string, inputs ...string) {
	t.Helper()
	var ue *UploadError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v (%T) is not an *UploadError", err, err)
	}
	if ue.Reason != reason || ue.Field != field {
		t.Errorf("got reason %q field %q (%s), want %q %q", ue.Reason, ue.Field, ue.Msg, reason, field)
	}
	upCheckMsg(t, ue.Msg, inputs...)
	if !strings.Contains(ue.Error(), ue.Msg) || !strings.Contains(ue.Error(), ue.Field) {
		t.Errorf("Error() = %q lacks field or message", ue.Error())
	}
}

func upCheckMsg(t *testing.T, msg string, inputs ...string) {
	t.Helper()
	if msg == "" {
		t.Error("empty message")
	}
	if strings.Contains(msg, "PRIVATE KEY") {
		t.Errorf("message %q contains PRIVATE KEY", msg)
	}
	if strings.ContainsAny(msg, "\r\n") || len(msg) > 400 {
		t.Errorf("message %q is not one short line", msg)
	}
	for _, in := range inputs {
		for l := range strings.Lines(in) {
			l = strings.TrimSpace(l)
			if len(l) >= 12 && !strings.HasPrefix(l, "-----") && strings.Contains(msg, l) {
				t.Errorf("message %q repeats input line %q", msg, l)
			}
		}
		// Base64 of DER input (as when a key is pasted without armour).
		if len(in) >= 16 && !strings.Contains(in, "-----") {
			if b64 := base64.StdEncoding.EncodeToString([]byte(in)); strings.Contains(msg, b64[:16]) {
				t.Errorf("message %q repeats input as base64", msg)
			}
		}
	}
}

func TestValidateUpload(t *testing.T) {
	for _, tc := range upCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			u, err := ValidateUpload(tc.cert, tc.key, tc.ca, upNow)
			if tc.reason != "" {
				if u != nil {
					t.Error("upload returned with an error")
				}
				upCheckError(t, err, tc.reason, tc.field, tc.cert, tc.key, tc.ca)
				if err != nil {
					t.Logf("%v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ValidateUpload: %v", err)
			}
			upCheckUpload(t, u)
			if tc.check != nil {
				tc.check(t, u)
			}
		})
	}
}

// checkUpload checks the invariants of every successful upload.
func upCheckUpload(t *testing.T, u *Upload) {
	t.Helper()
	if u == nil || len(u.Chain) == 0 || u.Key == nil {
		t.Fatalf("incomplete upload %+v", u)
	}
	// The normalized chain round-trips, leaf first, with nothing else in it.
	back, err := ParseChain(u.ChainPEM)
	if err != nil {
		t.Fatalf("ChainPEM does not parse: %v", err)
	}
	if len(back) != len(u.Chain) {
		t.Fatalf("ChainPEM has %d certificates, want %d", len(back), len(u.Chain))
	}
	for i := range back {
		if !back[i].Equal(u.Chain[i]) {
			t.Errorf("ChainPEM certificate %d differs", i+1)
		}
	}
	var want strings.Builder
	for _, c := range u.Chain {
		pem.Encode(&want, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	if u.ChainPEM != want.String() {
		t.Errorf("ChainPEM is not exactly the re-encoded chain:\n%s", u.ChainPEM)
	}
	if (u.CAPEM == "") != (len(u.TrustedCAs) == 0) {
		t.Errorf("CAPEM %q with %d CAs", u.CAPEM, len(u.TrustedCAs))
	}
	// The sealed key is PKCS#8 of the same key.
	k, err := x509.ParsePKCS8PrivateKey(u.KeyPKCS8)
	if err != nil {
		t.Fatalf("KeyPKCS8: %v", err)
	}
	if !PublicKeysEqual(k.(crypto.Signer).Public(), u.Chain[0].PublicKey) || !PublicKeysEqual(u.Key.Public(), u.Chain[0].PublicKey) {
		t.Error("key does not match the leaf")
	}
	f := Describe(u.Chain[0])
	if u.Facts.CommonName != f.CommonName || u.Facts.SerialNumber != f.SerialNumber || !slices.Equal(u.Facts.SANs, f.SANs) {
		t.Errorf("Facts %+v are not Describe(leaf) %+v", u.Facts, f)
	}
}

func TestValidateUploadExpiryBoundary(t *testing.T) {
	f := upFixturesFor(t)
	cert, key := upChainPEM(f.leafP256, f.intEC), upPKCS8PEM(t, f.leafP256.key)
	na := f.leafP256.cert.NotAfter
	if _, err := ValidateUpload(cert, key, "", na); err != nil {
		t.Errorf("at NotAfter: %v", err)
	}
	_, err := ValidateUpload(cert, key, "", na.Add(time.Second))
	upCheckError(t, err, ReasonExpired, FieldCertContent)
	if _, err := ValidateUpload(cert, key, "", f.leafP256.cert.NotBefore.Add(-time.Hour)); err != nil {
		t.Errorf("before NotBefore: %v", err)
	}
}

func TestParseChainDirect(t *testing.T) {
	f := upFixturesFor(t)
	got, err := ParseChain(upChainPEM(f.leafDeep, f.int2, f.intRSA, f.rootRSA))
	if err != nil {
		t.Fatal(err)
	}
	want := []*x509.Certificate{f.leafDeep.cert, f.int2.cert, f.intRSA.cert, f.rootRSA.cert}
	if !slices.EqualFunc(got, want, (*x509.Certificate).Equal) {
		t.Error("chain differs")
	}
	// Exactly MaxChainCerts blocks get past the count check (and fail the
	// order check); one more is too large.
	_, err = ParseChain(strings.Repeat(f.leafP256.pem(), MaxChainCerts))
	upCheckError(t, err, ReasonChainOrder, FieldCertContent)
	_, err = ParseChain(strings.Repeat(f.leafP256.pem(), MaxChainCerts+1))
	upCheckError(t, err, ReasonTooLarge, FieldCertContent)
	// A field of exactly the limit is not too large.
	s := f.leafP256.pem()
	s += strings.Repeat("\n", MaxChainBytes-len(s))
	if _, err := ParseChain(s); err != nil {
		t.Errorf("field of exactly %d bytes: %v", MaxChainBytes, err)
	}
	_, err = ParseChain(s + " ")
	upCheckError(t, err, ReasonTooLarge, FieldCertContent)
}

func TestParseChainMessages(t *testing.T) {
	f := upFixturesFor(t)
	leafLines := strings.Count(f.leafP256.pem(), "\n")
	for _, tc := range []struct {
		name, in, want string
	}{
		{"order", upChainPEM(f.intRSA, f.leafRSA), "server certificate must come first"},
		{"unrelated", upChainPEM(f.leafRSA, f.intEC), "certificate 2 did not issue certificate 1"},
		{"sha1", upChainPEM(f.leafUnderSHA1, f.sha1Int), "insecure algorithm SHA1-RSA"},
		{"not ca", upChainPEM(f.leafUnderLeaf, f.notCAInt), "certificate 2 is not a CA certificate"},
		{"key", upPKCS8PEM(t, f.leafP256.key), "PEM block 1 (line 1) is a private key"},
		{"line", "\n\n" + f.leafP256.pem() + "\nx\n", fmt.Sprintf("unexpected text on line %d", 3+leafLines+1)},
		{"malformed", f.leafP256.pem() + "\n-----BEGIN CERTIFICATE-----\nAAAA\n", fmt.Sprintf("PEM block on line %d is malformed", leafLines+2)},
		{"skipped malformed", "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n" + f.leafP256.pem(), "PEM block on line 1 is malformed"},
		{"empty", "", "cert_content is empty"},
		{"bad DER", upPEM("CERTIFICATE", []byte{0x30, 0x03, 0x02, 0x01, 0x01}), "PEM block 1 (line 1) is not a valid X.509 certificate: x509: malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseChain(tc.in)
			var ue *UploadError
			if !errors.As(err, &ue) || !strings.Contains(ue.Msg, tc.want) {
				t.Errorf("error %v, want message containing %q", err, tc.want)
			}
		})
	}
}

func TestParsePrivateKey(t *testing.T) {
	f := upFixturesFor(t)
	rsaKey := f.leafRSA.key
	p256 := f.leafP256.key
	for _, tc := range []struct {
		name   string
		in     string
		want   crypto.Signer
		reason string
	}{
		{"pkcs8 rsa", upPKCS8PEM(t, rsaKey), rsaKey, ""},
		{"pkcs1 rsa", upPKCS1PEM(rsaKey), rsaKey, ""},
		{"pkcs8 ec", upPKCS8PEM(t, p256), p256, ""},
		{"sec1 ec", upSEC1PEM(t, p256), p256, ""},
		{"sec1 with params", upECParamsPEM(t, p256) + upSEC1PEM(t, p256), p256, ""},
		{"params after key", upSEC1PEM(t, p256) + upECParamsPEM(t, p256), p256, ""},
		{"ed25519 parses", upPKCS8PEM(t, f.leafEd25519.key), f.leafEd25519.key, ""},
		{"rsa1024 parses", upPKCS1PEM(f.leafRSA1024.key), f.leafRSA1024.key, ""},
		{"empty", "", nil, ReasonUnparsable},
		{"two keys", upPKCS1PEM(rsaKey) + upSEC1PEM(t, p256), nil, ReasonUnparsable},
		{"public key", upPEM("PUBLIC KEY", []byte{0x30, 0}), nil, ReasonUnparsable},
		{"openssh", upPEM("OPENSSH PRIVATE KEY", []byte("openssh-key-v1\x00")), nil, ReasonUnparsable},
		{"dsa", upPEM("DSA PRIVATE KEY", []byte{0x30, 0}), nil, ReasonUnsupportedKey},
		{"encrypted pkcs8", upEncryptedPKCS8PEM(t, rsaKey, "x"), nil, ReasonEncryptedKey},
		{"legacy encrypted", upLegacyEncryptedPEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey.(*rsa.PrivateKey))), nil, ReasonEncryptedKey},
		{"too large", strings.Repeat(" ", MaxKeyBytes+1), nil, ReasonTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePrivateKey(tc.in)
			if tc.reason != "" {
				if k != nil {
					t.Error("key returned with an error")
				}
				upCheckError(t, err, tc.reason, FieldPrivateKey, tc.in)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !PublicKeysEqual(k.Public(), tc.want.Public()) {
				t.Error("wrong key")
			}
		})
	}
	// A key of exactly the size limit is accepted.
	s := upPKCS8PEM(t, rsaKey)
	if _, err := ParsePrivateKey(s + strings.Repeat("\n", MaxKeyBytes-len(s))); err != nil {
		t.Errorf("key field of exactly %d bytes: %v", MaxKeyBytes, err)
	}
}

// TestParsePrivateKeyUnsupportedDER checks keys that are well-formed but of
// algorithms or curves the standard library cannot parse, built by hand.
func TestParsePrivateKeyUnsupportedDER(t *testing.T) {
	p8 := func(algo asn1.ObjectIdentifier, params any, key []byte) string {
		ai := pkix.AlgorithmIdentifier{Algorithm: algo}
		if params != nil {
			der, err := asn1.Marshal(params)
			if err != nil {
				t.Fatal(err)
			}
			ai.Parameters = asn1.RawValue{FullBytes: der}
		}
		der, err := asn1.Marshal(struct {
			Version int
			Algo    pkix.AlgorithmIdentifier
			Key     []byte
		}{0, ai, key})
		if err != nil {
			t.Fatal(err)
		}
		return upPEM("PRIVATE KEY", der)
	}
	secp256k1 := asn1.ObjectIdentifier{1, 3, 132, 0, 10}
	sec1Inner, _ := asn1.Marshal(struct {
		Version int
		Key     []byte
	}{1, bytes.Repeat([]byte{7}, 32)})
	sec1K1, _ := asn1.Marshal(struct {
		Version int
		Key     []byte
		Curve   asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
	}{1, bytes.Repeat([]byte{7}, 32), secp256k1})
	for _, tc := range []struct {
		name, in, reason, msg string
	}{
		{"ed448", p8(keyOIDs.ed448, nil, []byte{4, 57}), ReasonUnsupportedKey, "Ed448 keys are not supported"},
		{"x25519", p8(keyOIDs.x25519, nil, append([]byte{4, 32}, make([]byte, 32)...)), ReasonUnsupportedKey, "X25519 keys are not supported"},
		{"rsa-pss", p8(keyOIDs.rsaPSS, nil, []byte{0x30, 0}), ReasonUnsupportedKey, "RSA-PSS keys are not supported"},
		{"dsa pkcs8", p8(keyOIDs.dsa, nil, []byte{2, 1, 1}), ReasonUnsupportedKey, "DSA keys are not supported"},
		{"sm2 as algorithm", p8(keyOIDs.sm2, nil, sec1Inner), ReasonUnsupportedKey, "SM2 keys are not supported"},
		{"sm2 as curve", p8(keyOIDs.ecPublicKey, keyOIDs.sm2, sec1Inner), ReasonUnsupportedKey, "SM2 keys are not supported"},
		{"secp256k1 pkcs8", p8(keyOIDs.ecPublicKey, secp256k1, sec1Inner), ReasonUnsupportedKey, "ECDSA keys must use P-256 or P-384"},
		{"secp256k1 sec1", upPEM("EC PRIVATE KEY", sec1K1), ReasonUnsupportedKey, "ECDSA keys must use P-256 or P-384"},
		{"unknown algorithm", p8(asn1.ObjectIdentifier{1, 2, 3, 4}, nil, nil), ReasonUnsupportedKey, "algorithm (1.2.3.4) is not supported"},
		{"broken p256", p8(keyOIDs.ecPublicKey, keyOIDs.curveP256, []byte{1}), ReasonUnparsable, "is not a valid PKCS#8"},
		{"broken rsa", p8(keyOIDs.rsa, nil, []byte{1}), ReasonUnparsable, "is not a valid PKCS#8"},
		{"unknown encryption", upPEM("PRIVATE KEY", func() []byte {
			d, _ := asn1.Marshal(struct {
				Algo pkix.AlgorithmIdentifier
				Data []byte
			}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 3}}, []byte{1}})
			return d
		}()), ReasonUnparsable, "is not a valid PKCS#8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKey(tc.in)
			upCheckError(t, err, tc.reason, FieldPrivateKey, tc.in)
			if err != nil && !strings.Contains(err.(*UploadError).Msg, tc.msg) {
				t.Errorf("message %q lacks %q", err.(*UploadError).Msg, tc.msg)
			}
		})
	}
}

func TestCheckKey(t *testing.T) {
	f := upFixturesFor(t)
	big8193 := new(big.Int).Lsh(big.NewInt(1), 8192) // 8193 bits
	big8192 := new(big.Int).Sub(big8193, big.NewInt(1))
	for _, tc := range []struct {
		name string
		k    crypto.Signer
		msg  string // "" when supported
	}{
		{"rsa2048", f.leafRSA.key, ""},
		{"p256", f.leafP256.key, ""},
		{"p384", f.leafP384.key, ""},
		{"rsa8192 size", &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: big8192, E: 65537}}, ""},
		{"rsa1024", f.leafRSA1024.key, "RSA keys must be at least 2048 bits"},
		{"rsa8193 size", &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: big8193, E: 65537}}, "RSA keys must be at most 8192 bits"},
		{"p521", f.leafP521.key, "ECDSA keys must use P-256 or P-384"},
		{"p224", func() crypto.Signer { k, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader); return k }(), "ECDSA keys must use P-256 or P-384"},
		{"ed25519", f.leafEd25519.key, "Ed25519 keys are not supported"},
		{"nil", nil, "no private key"},
		{"nil rsa", (*rsa.PrivateKey)(nil), "no private key"},
		{"other", upOtherSigner{}, "unsupported key type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckKey(tc.k)
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			upCheckError(t, err, ReasonUnsupportedKey, FieldPrivateKey)
			if err != nil && !strings.Contains(err.(*UploadError).Msg, tc.msg) {
				t.Errorf("message %q lacks %q", err.(*UploadError).Msg, tc.msg)
			}
		})
	}
}

type upOtherSigner struct{}

func (upOtherSigner) Public() crypto.PublicKey { return nil }
func (upOtherSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("no")
}

func TestParseCABundle(t *testing.T) {
	f := upFixturesFor(t)
	for _, tc := range []struct {
		name   string
		in     string
		n      int
		reason string
	}{
		{"one", f.rootRSA.pem(), 1, ""},
		{"two", upChainPEM(f.rootRSA, f.rootEC), 2, ""},
		{"intermediate", f.intEC.pem(), 1, ""},
		{"v1 root", f.rootV1.pem(), 1, ""},
		{"leaf", f.leafP256.pem(), 0, ReasonNotCA},
		{"leaf after CAs", upChainPEM(f.rootRSA, f.rootEC, f.leafRSA), 0, ReasonNotCA},
		{"not-a-CA without basic constraints", func() string {
			c, err := upIssue(upSpec{cn: "no bc", noBC: true}, f.leafP256.key, f.rootEC)
			if err != nil {
				t.Fatal(err)
			}
			return c.pem()
		}(), 0, ReasonNotCA},
		{"v1 not self-signed", f.notV1Root.pem(), 0, ReasonNotCA},
		{"CA without keyCertSign", f.caNoCertSign.pem(), 0, ReasonNotCA},
		{"empty", "", 0, ReasonUnparsable},
		{"garbage", "not a certificate", 0, ReasonUnparsable},
		{"too many", strings.Repeat(f.rootEC.pem(), MaxCABundleCerts+1), 0, ReasonTooLarge},
		{"too large", strings.Repeat("\n", MaxCABundleBytes+1), 0, ReasonTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCABundle(tc.in)
			if tc.reason != "" {
				upCheckError(t, err, tc.reason, FieldTrustedRootCA, tc.in)
				if got != nil {
					t.Error("certificates returned with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.n {
				t.Errorf("%d certificates, want %d", len(got), tc.n)
			}
		})
	}
}

// checkFuzzError checks that err is an *UploadError that the dialects can
// map and show.
func upCheckFuzzError(t *testing.T, err error, fields ...string) {
	t.Helper()
	var ue *UploadError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v (%T) is not an *UploadError", err, err)
	}
	switch ue.Reason {
	case ReasonUnparsable, ReasonChainOrder, ReasonEncryptedKey, ReasonKeyMismatch,
		ReasonExpired, ReasonUnsupportedKey, ReasonNotCA, ReasonTooLarge:
	default:
		t.Fatalf("unknown reason %q", ue.Reason)
	}
	if !slices.Contains(fields, ue.Field) {
		t.Fatalf("field %q, want one of %q", ue.Field, fields)
	}
	if ue.Msg == "" || len(ue.Msg) > 400 || strings.ContainsAny(ue.Msg, "\r\n") {
		t.Fatalf("bad message %q", ue.Msg)
	}
}

// upFuzzSeeds returns the table cases whose fields are all small: the
// oversize cases are covered by the tables, and large seeds make the fuzzing
// engine spend its time minimizing.
func upFuzzSeeds(f *testing.F) []upCase {
	var small []upCase
	for _, tc := range upCases(f) {
		if len(tc.cert) <= 8<<10 && len(tc.key) <= 8<<10 && len(tc.ca) <= 8<<10 {
			small = append(small, tc)
		}
	}
	return small
}

func FuzzParseChain(f *testing.F) {
	for _, tc := range upFuzzSeeds(f) {
		f.Add(tc.cert)
		f.Add(tc.ca)
	}
	f.Fuzz(func(t *testing.T, s string) {
		certs, err := ParseChain(s)
		if err != nil {
			if certs != nil {
				t.Fatal("certificates returned with an error")
			}
			upCheckFuzzError(t, err, FieldCertContent)
			return
		}
		if len(certs) == 0 || len(certs) > MaxChainCerts {
			t.Fatalf("%d certificates", len(certs))
		}
		back, err := ParseChain(EncodeCertificatePEM(upRaw(certs)...))
		if err != nil || len(back) != len(certs) {
			t.Fatalf("re-encoded chain: %d, %v", len(back), err)
		}
	})
}

func upRaw(cs []*x509.Certificate) [][]byte {
	der := make([][]byte, len(cs))
	for i, c := range cs {
		der[i] = c.Raw
	}
	return der
}

func FuzzParsePrivateKey(f *testing.F) {
	for _, tc := range upFuzzSeeds(f) {
		f.Add(tc.key)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePrivateKey(s)
		if err != nil {
			if k != nil {
				t.Fatal("key returned with an error")
			}
			upCheckFuzzError(t, err, FieldPrivateKey)
			return
		}
		if k.Public() == nil {
			t.Fatal("key without public key")
		}
		if err := CheckKey(k); err != nil {
			upCheckFuzzError(t, err, FieldPrivateKey)
			return
		}
		if _, err := MarshalPrivateKey(k); err != nil {
			t.Fatalf("supported key does not marshal: %v", err)
		}
	})
}

func FuzzParseCABundle(f *testing.F) {
	for _, tc := range upFuzzSeeds(f) {
		f.Add(tc.ca)
		f.Add(tc.cert)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cas, err := ParseCABundle(s)
		if err != nil {
			if cas != nil {
				t.Fatal("certificates returned with an error")
			}
			upCheckFuzzError(t, err, FieldTrustedRootCA)
			return
		}
		if len(cas) == 0 || len(cas) > MaxCABundleCerts {
			t.Fatalf("%d certificates", len(cas))
		}
		for _, c := range cas {
			if c.Version != 1 && !c.IsCA {
				t.Fatal("non-CA accepted")
			}
		}
	})
}

func FuzzValidateUpload(f *testing.F) {
	for _, tc := range upFuzzSeeds(f) {
		f.Add(tc.cert, tc.key, tc.ca)
	}
	f.Fuzz(func(t *testing.T, cert, key, ca string) {
		u, err := ValidateUpload(cert, key, ca, upNow)
		if err != nil {
			if u != nil {
				t.Fatal("upload returned with an error")
			}
			upCheckFuzzError(t, err, FieldCertContent, FieldPrivateKey, FieldTrustedRootCA)
			return
		}
		upCheckUpload(t, u)
	})
}

// TestUploadOpenSSL validates keys and certificates as openssl writes them.
func TestUploadOpenSSL(t *testing.T) {
	openssl := testtool.LookPath(t, "openssl")
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	now := time.Now()

	// RSA: `openssl req -x509 -newkey rsa:2048 -nodes` writes a PKCS#8 key.
	run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=example.com",
		"-addext", "subjectAltName=DNS:example.com", "-days", "30", "-keyout", "rsa.key", "-out", "rsa.pem")
	rsaCert, rsaKey := read("rsa.pem"), read("rsa.key")
	if !strings.Contains(rsaKey, "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("openssl wrote an unexpected key shape:\n%.40s", rsaKey)
	}
	u, err := ValidateUpload(rsaCert, rsaKey, "", now)
	if err != nil {
		t.Fatalf("openssl RSA certificate: %v", err)
	}
	upCheckUpload(t, u)
	if got := u.Facts; got.CommonName != "example.com" || !slices.Equal(got.SANs, []string{"example.com"}) ||
		got.KeyAlgorithm != "RSA" || got.SignatureAlgorithm != "SHA256-RSA" {
		t.Errorf("Facts = %+v", got)
	}
	// The same key as PKCS#1.
	run("pkey", "-in", "rsa.key", "-traditional", "-out", "rsa1.key")
	if k := read("rsa1.key"); !strings.Contains(k, "BEGIN RSA PRIVATE KEY") {
		t.Errorf("not PKCS#1: %.40s", k)
	} else if _, err := ValidateUpload(rsaCert, k, "", now); err != nil {
		t.Errorf("PKCS#1 key: %v", err)
	}

	// ECDSA: `openssl ecparam -genkey` writes EC PARAMETERS, then a SEC1 key.
	run("ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.key")
	ecKey := read("ec.key")
	if !strings.HasPrefix(ecKey, "-----BEGIN EC PARAMETERS-----") || !strings.Contains(ecKey, "-----BEGIN EC PRIVATE KEY-----") {
		t.Errorf("openssl wrote an unexpected key shape:\n%.60s", ecKey)
	}
	run("req", "-new", "-x509", "-key", "ec.key", "-subj", "/CN=ec.example.com",
		"-addext", "subjectAltName=DNS:ec.example.com,DNS:www.ec.example.com", "-days", "30", "-out", "ec.pem")
	u, err = ValidateUpload(read("ec.pem"), ecKey, "", now)
	if err != nil {
		t.Fatalf("openssl ECDSA certificate: %v", err)
	}
	if got := u.Facts; got.CommonName != "ec.example.com" || len(got.SANs) != 2 || got.KeyAlgorithm != "ECC" || got.SignatureAlgorithm != "ECDSA-SHA256" {
		t.Errorf("Facts = %+v", got)
	}

	// A chain: a P-384 root (v3, from req -x509), a v1 root (from x509
	// -signkey), and a leaf the first one issued.
	run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-subj", "/CN=OpenSSL Test Root",
		"-days", "30", "-keyout", "ca.key", "-out", "ca.pem")
	run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=leaf.example.com", "-addext", "subjectAltName=DNS:leaf.example.com",
		"-keyout", "leaf.key", "-out", "leaf.csr")
	run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30",
		"-copy_extensions", "copy", "-out", "leaf.pem")
	run("x509", "-req", "-in", "leaf.csr", "-signkey", "leaf.key", "-days", "30", "-out", "v1.pem")
	u, err = ValidateUpload(read("leaf.pem")+read("ca.pem"), read("leaf.key"), read("ca.pem")+read("v1.pem"), now)
	if err != nil {
		t.Fatalf("openssl chain: %v", err)
	}
	if len(u.Chain) != 2 || len(u.TrustedCAs) != 2 || u.TrustedCAs[1].Version != 1 ||
		!strings.HasPrefix(u.Facts.SignatureAlgorithm, "ECDSA-SHA") || u.Facts.KeyAlgorithm != "RSA" {
		t.Errorf("chain %d, CAs %d, facts %+v", len(u.Chain), len(u.TrustedCAs), u.Facts)
	}
	_, err = ValidateUpload(read("ca.pem")+read("leaf.pem"), read("leaf.key"), "", now)
	upCheckError(t, err, ReasonChainOrder, FieldCertContent)
	_, err = ParseCABundle(read("leaf.pem"))
	upCheckError(t, err, ReasonNotCA, FieldTrustedRootCA)

	// Encrypted keys, both forms.
	run("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:x", "-in", "rsa.key", "-out", "enc8.key")
	run("rsa", "-in", "rsa.key", "-aes256", "-traditional", "-passout", "pass:x", "-out", "enclegacy.key")
	run("ec", "-in", "ec.key", "-aes256", "-passout", "pass:x", "-out", "ecenc.key")
	for _, name := range []string{"enc8.key", "enclegacy.key", "ecenc.key"} {
		k := read(name)
		_, err := ValidateUpload(rsaCert, k, "", now)
		upCheckError(t, err, ReasonEncryptedKey, FieldPrivateKey, k)
	}
	// The hand-built encrypted PKCS#8 key of the other tests is one that
	// openssl decrypts.
	f := upFixturesFor(t)
	if err := os.WriteFile(filepath.Join(dir, "gok.pem"), []byte(upEncryptedPKCS8PEM(t, f.leafP256.key, "x")), 0o600); err != nil {
		t.Fatal(err)
	}
	run("pkey", "-in", "gok.pem", "-passin", "pass:x", "-out", "gok.dec")
	if k, err := ParsePrivateKey(read("gok.dec")); err != nil || !PublicKeysEqual(k.Public(), f.leafP256.key.Public()) {
		t.Errorf("openssl-decrypted Go-encrypted key: %v", err)
	}

	// Keys certgate cannot serve, as openssl writes them.
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"ed448", []string{"genpkey", "-algorithm", "ed448"}, "Ed448"},
		{"ed25519", []string{"genpkey", "-algorithm", "ed25519"}, "Ed25519"},
		{"x25519", []string{"genpkey", "-algorithm", "x25519"}, "X25519"},
		{"rsa-pss", []string{"genpkey", "-algorithm", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"}, "RSA-PSS"},
		{"secp256k1", []string{"ecparam", "-name", "secp256k1", "-genkey"}, "P-256 or P-384"},
		{"brainpool pkcs8", []string{"genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1"}, "P-256 or P-384"},
		{"sm2", []string{"genpkey", "-algorithm", "sm2"}, "SM2"},
		{"p521", []string{"ecparam", "-name", "secp521r1", "-genkey"}, "P-256 or P-384"},
		{"rsa1024", []string{"genrsa", "1024"}, "at least 2048"},
		{"dsa", []string{"dsaparam", "-genkey", "1024"}, "DSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(openssl, tc.args...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("openssl %s: %v", strings.Join(tc.args, " "), err)
			}
			k, err := ParsePrivateKey(string(out))
			if err == nil {
				err = CheckKey(k)
			}
			upCheckError(t, err, ReasonUnsupportedKey, FieldPrivateKey, string(out))
			if err != nil && !strings.Contains(err.(*UploadError).Msg, tc.msg) {
				t.Errorf("message %q lacks %q", err.(*UploadError).Msg, tc.msg)
			}
		})
	}

	// A PKCS#12 export prints "Bag Attributes" around its PEM blocks.
	run("pkcs12", "-export", "-in", "rsa.pem", "-inkey", "rsa.key", "-passout", "pass:", "-out", "b.p12")
	run("pkcs12", "-in", "b.p12", "-passin", "pass:", "-nokeys", "-out", "bag.pem")
	_, err = ParseChain(read("bag.pem"))
	upCheckError(t, err, ReasonUnparsable, FieldCertContent, read("bag.pem"))
}
