package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// issued is a certificate made in a test, with its key.
type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func (i issued) certPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.cert.Raw}))
}

func (i issued) keyPEM(t *testing.T) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(i.key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func testKey(t *testing.T, alg string) crypto.Signer {
	t.Helper()
	switch alg {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return k
	case "p384":
		k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		return k
	default:
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return k
	}
}

type certOpts struct {
	cn        string
	dns       []string
	org       []string
	ca        bool
	client    bool // also usable as a TLS client certificate
	notBefore time.Time
	notAfter  time.Time
}

// issue makes a certificate signed by parent (self-signed when parent is
// nil).
func issue(t *testing.T, alg string, o certOpts, parent *issued) issued {
	t.Helper()
	key := testKey(t, alg)
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if o.notBefore.IsZero() {
		o.notBefore = time.Now().Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().Add(90 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.cn, Organization: o.org, Country: []string{"DE"}, Locality: []string{"Berlin"}},
		DNSNames:              o.dns,
		NotBefore:             o.notBefore,
		NotAfter:              o.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  o.ca,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if o.ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		if o.client {
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
		}
	}
	parentCert, parentKey := tmpl, key
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return issued{cert: c, key: key}
}

// pki3 is a root, an intermediate and a leaf for example.com.
type pki3 struct{ root, inter, leaf issued }

func newChain(t *testing.T, leafAlg string) pki3 {
	t.Helper()
	root := issue(t, "p256", certOpts{cn: "Test Root", org: []string{"certgate tests"}, ca: true, notAfter: time.Now().Add(10 * 365 * 24 * time.Hour)}, nil)
	inter := issue(t, "p256", certOpts{cn: "Test Intermediate", org: []string{"certgate tests"}, ca: true}, &root)
	leaf := issue(t, leafAlg, certOpts{cn: "www.example.com", dns: []string{"www.example.com", "example.com"}, org: []string{"Example GmbH"}}, &inter)
	return pki3{root: root, inter: inter, leaf: leaf}
}

func (p pki3) chainPEM() string { return p.leaf.certPEM() + p.inter.certPEM() }
