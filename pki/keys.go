// Package pki creates and inspects the X.509 material certgate hands out: the
// self-signed client certificates that mimic Amazon API Gateway's
// GenerateClientCertificate, private key encoding, the facts both API
// dialects report about a certificate, and a pool of pre-generated keys that
// keeps bursts of certificate generation cheap.
//
// Nothing here reads global state: the random source, the clock (as a "now"
// argument) and the logger are always supplied by the caller.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
)

// KeyType names a kind of key pair the service can generate.
type KeyType string

const (
	// RSA2048 is what Amazon API Gateway generates.
	RSA2048 KeyType = "rsa2048"
	// ECDSAP256 is the cheaper alternative: key generation takes microseconds
	// instead of tens of milliseconds.
	ECDSAP256 KeyType = "ecdsa-p256"
)

// ParseKeyType reads a key type leniently: case, spaces, dashes and
// underscores are ignored, so "RSA-2048", "rsa_2048" and "rsa2048" are the
// same, and the usual names of P-256 (p256, secp256r1, prime256v1, ec, ecdsa)
// are accepted.
func ParseKeyType(s string) (KeyType, error) {
	norm := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ', '\t':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
	switch norm {
	case "rsa2048", "rsa":
		return RSA2048, nil
	case "ecdsap256", "ecdsa", "ecp256", "ec", "ecc", "p256", "secp256r1", "prime256v1", "eccp256":
		return ECDSAP256, nil
	}
	return "", fmt.Errorf("pki: unknown key type %q (want %q or %q)", s, RSA2048, ECDSAP256)
}

// String returns the canonical name, as ParseKeyType reads it.
func (kt KeyType) String() string { return string(kt) }

// GenerateKey generates a fresh private key of type kt.
//
// random is passed through to the standard library, which since Go 1.26
// ignores it for key generation (always using a secure source) unless
// GODEBUG=cryptocustomrand=1 is set.
func GenerateKey(kt KeyType, random io.Reader) (crypto.Signer, error) {
	if random == nil {
		return nil, errors.New("pki: GenerateKey: nil random source")
	}
	switch kt {
	case RSA2048:
		k, err := rsa.GenerateKey(random, 2048)
		if err != nil {
			return nil, fmt.Errorf("pki: generate RSA key: %w", err)
		}
		return k, nil
	case ECDSAP256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), random)
		if err != nil {
			return nil, fmt.Errorf("pki: generate ECDSA key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("pki: unknown key type %q", string(kt))
}

// MarshalPrivateKey encodes k as PKCS#8 DER, the one format certgate stores
// (sealed) so that every key type round-trips through the same code.
func MarshalPrivateKey(k crypto.Signer) ([]byte, error) {
	if k == nil {
		return nil, errors.New("pki: MarshalPrivateKey: nil key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal private key: %w", err)
	}
	return der, nil
}

// ParsePrivateKeyDER parses a private key in PKCS#8, PKCS#1 (RSA) or SEC1
// (EC) DER, the three encodings users upload in practice. Errors describe the
// problem without echoing key material.
func ParsePrivateKeyDER(der []byte) (crypto.Signer, error) {
	if len(der) == 0 {
		return nil, errors.New("pki: private key is empty")
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		s, ok := k.(crypto.Signer)
		if !ok {
			// For example an X25519 key: valid PKCS#8, but it cannot sign.
			return nil, fmt.Errorf("pki: unsupported private key type %T (want RSA, ECDSA or Ed25519)", k)
		}
		return checkSigner(s)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return checkSigner(k)
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return checkSigner(k)
	}
	// The standard library's messages mention formats, never key bytes, but
	// three of them would only confuse; one summary is clearer.
	return nil, errors.New("pki: private key is not valid PKCS#8, PKCS#1 or SEC1 DER")
}

func checkSigner(s crypto.Signer) (crypto.Signer, error) {
	switch k := s.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("pki: unsupported private key type %T", s)
}

// PublicKeysEqual reports whether a and b are the same public key, using the
// Equal method every standard library key type has. It is false when either
// is nil or of a type without Equal.
func PublicKeysEqual(a, b crypto.PublicKey) bool {
	if a == nil || b == nil {
		return false
	}
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return false
	}
	return ea.Equal(b)
}

// EncodeCertificatePEM returns the certificates as concatenated PEM blocks,
// in the order given (leaf first, for a chain).
func EncodeCertificatePEM(der ...[]byte) string {
	var b strings.Builder
	for _, d := range der {
		// pem.Encode only fails on invalid headers or writer errors; neither
		// can happen with no headers and a strings.Builder.
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: d})
	}
	return b.String()
}
