package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// DefaultValidity is how long Amazon API Gateway's generated client
// certificates are valid.
const DefaultValidity = 365 * 24 * time.Hour

// ClientCertTemplate configures SelfSign. The zero value yields an
// AWS-compatible certificate except for the subject, which callers usually
// set to DefaultSubject().
type ClientCertTemplate struct {
	Subject  pkix.Name
	Validity time.Duration // DefaultValidity when zero
}

// SelfSign issues a self-signed client certificate for key, valid from now
// (truncated to whole seconds, since X.509 times have no fractions) for
// tmpl.Validity, and returns it as DER.
//
// The certificate mirrors Amazon API Gateway's: X.509 v3, a random positive
// 64-bit serial, subject = issuer, sha256WithRSAEncryption for RSA keys
// (ecdsa-with-SHA256 for P-256). Backends use it by putting the certificate
// itself into their trust store, so it is both the client's leaf and its own
// trust anchor. It is nevertheless a leaf (CA:FALSE, no keyCertSign):
// Go's verifier accepts a leaf that is itself in the root pool without
// building a chain, and OpenSSL (-purpose sslclient, even -x509_strict)
// accepts a trusted self-signed leaf, as the tests in this package check.
// Marking it a CA would let its key sign other certificates that backends
// trusting it would then accept, which nobody wants from a client key.
//
// The authority key identifier repeats the subject key identifier. RFC 5280
// lets self-signed certificates omit it, but every generated certificate has
// the same subject, and during a rotation backends trust the old and the new
// one at once: without the identifier OpenSSL tries the first trusted
// certificate whose subject matches, fails its signature check and reports
// "self-signed certificate" for the other one. With it, OpenSSL picks the
// right one (see TestOpenSSL).
func SelfSign(key crypto.Signer, tmpl ClientCertTemplate, now time.Time, random io.Reader) ([]byte, error) {
	if key == nil {
		return nil, errors.New("pki: SelfSign: nil key")
	}
	if random == nil {
		return nil, errors.New("pki: SelfSign: nil random source")
	}
	validity := tmpl.Validity
	if validity == 0 {
		validity = DefaultValidity
	}
	// Whole seconds, so that NotAfter-NotBefore survives encoding exactly.
	validity = validity.Truncate(time.Second)
	if validity <= 0 {
		return nil, fmt.Errorf("pki: validity %v is not positive", tmpl.Validity)
	}
	if isEmptyName(tmpl.Subject) {
		return nil, errors.New("pki: SelfSign: empty subject")
	}

	var sigAlg x509.SignatureAlgorithm
	keyUsage := x509.KeyUsageDigitalSignature
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		sigAlg = x509.SHA256WithRSA
		// RSA key exchange (TLS 1.0-1.2 static RSA) encrypts with the key,
		// and AWS's certificates carry it too.
		keyUsage |= x509.KeyUsageKeyEncipherment
	case *ecdsa.PublicKey:
		sigAlg = x509.ECDSAWithSHA256
	case ed25519.PublicKey:
		sigAlg = x509.PureEd25519
	default:
		return nil, fmt.Errorf("pki: SelfSign: unsupported public key type %T", pub)
	}

	serial, err := randomSerial(random)
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	notBefore := now.UTC().Truncate(time.Second)
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               tmpl.Subject,
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(validity),
		SignatureAlgorithm:    sigAlg,
		KeyUsage:              keyUsage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          skid,
		AuthorityKeyId:        skid, // Go copies it only for non-self-signed certificates
	}
	der, err := x509.CreateCertificate(random, tpl, tpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: create certificate: %w", err)
	}
	return der, nil
}

// randomSerial returns a uniformly random 64-bit serial number. All 64 bits
// are random, including the top one; big.Int is unsigned here, and DER
// encoding prepends a zero byte when the top bit is set, so the INTEGER is
// always positive (9 content octets at most, well under RFC 5280's 20).
func randomSerial(random io.Reader) (*big.Int, error) {
	var b [8]byte
	for range 8 { // a zero serial has probability 2^-64; retrying is free
		if _, err := io.ReadFull(random, b[:]); err != nil {
			return nil, fmt.Errorf("pki: read random serial: %w", err)
		}
		if n := new(big.Int).SetBytes(b[:]); n.Sign() > 0 {
			return n, nil
		}
	}
	return nil, errors.New("pki: random source returned only zero serials")
}

// subjectKeyID computes the key identifier by RFC 7093 method 1 (leftmost
// 160 bits of SHA-256 of the subjectPublicKey bits), as Go does for CAs. Go
// only fills it in for CA templates, and this is a leaf.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal public key: %w", err)
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("pki: parse public key: %w", err)
	}
	h := sha256.Sum256(info.PublicKey.Bytes)
	return h[:20], nil
}

func isEmptyName(n pkix.Name) bool {
	return n.CommonName == "" && n.SerialNumber == "" &&
		len(n.Country) == 0 && len(n.Organization) == 0 && len(n.OrganizationalUnit) == 0 &&
		len(n.Locality) == 0 && len(n.Province) == 0 && len(n.StreetAddress) == 0 &&
		len(n.PostalCode) == 0 && len(n.Names) == 0 && len(n.ExtraNames) == 0
}
