package pki

// Parsing and validation of uploaded SSL server certificates: a PEM chain,
// its private key and an optional bundle of trusted CA certificates, as the
// Huawei APIG dialect's CertificateForm carries them (cert_content,
// private_key, trusted_root_ca).
//
// Every failure is an *UploadError whose Reason says what is wrong (the
// dialect maps it to its own codes) and whose Msg is safe to show a client:
// messages name blocks and certificates by position and line, and never
// repeat key material, PEM text or anything else taken from the input (the
// standard library's certificate parse errors are cut before any quoted
// value they contain).
//
// Decisions, for the dialects and their tests to rely on:
//
//   - PEM text may contain only whitespace around its blocks (blank lines,
//     indentation, CRLF line ends, a leading UTF-8 byte order mark). Any other
//     text, such as the "Bag Attributes" lines `openssl pkcs12` prints, is
//     ReasonUnparsable, reported by line number.
//   - A leaf without any subject alternative name is accepted. Huawei APIG
//     answers APIG.2109 only when such a certificate is bound to a domain;
//     certgate stores it and reports its CommonName (Facts.SANs is empty).
//     There is no ReasonNoSAN.
//   - A leaf that expires after 2038-01-19 03:14:07 UTC is accepted: APIG.3148
//     is a quirk of Huawei's platform (a 32-bit timestamp), not a property of
//     the certificate.
//   - A leaf that is not yet valid (now < NotBefore) is accepted: users upload
//     a renewed certificate ahead of the switch, and clocks differ. Only
//     now > NotAfter is ReasonExpired (NotAfter itself is still valid, as in
//     RFC 5280). Intermediates' and CAs' validity periods are not checked.
//   - In trusted_root_ca a certificate is a CA when it is version 3 (or 2)
//     with basic constraints CA:TRUE and, if it has a key usage extension,
//     keyCertSign; or when it is a version 1 certificate that is self-signed
//     (issuer = subject, and its signature verifies with its own key, SHA-1
//     allowed): old v1 roots are still in use, and a trust anchor's own
//     signature protects nothing. A v1 certificate that is not self-signed is
//     ReasonNotCA. The bundle may also contain intermediate CAs.
//   - In cert_content each certificate after the first must have signed the
//     one before it, checked with (*x509.Certificate).CheckSignatureFrom: so
//     the issuer must be a CA (v1 issuers are allowed, as there), and SHA-1 or
//     MD5 signatures inside the chain are rejected (ReasonChainOrder, with a
//     message naming the algorithm). The chain may end with its root or not.
//   - A private key's PEM label is not trusted: "PRIVATE KEY", "RSA PRIVATE
//     KEY" and "EC PRIVATE KEY" bodies are each tried as PKCS#8, PKCS#1 and
//     SEC1. "EC PARAMETERS" blocks are skipped. Keys that are well-formed
//     but of an algorithm or curve certgate cannot serve (DSA, RSA-PSS,
//     Ed448, X25519, SM2, secp256k1, brainpool...) are ReasonUnsupportedKey
//     rather than ReasonUnparsable, with a message naming what to use.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Reasons an upload is rejected, as UploadError.Reason. The comments give the
// Huawei APIG code each maps to.
const (
	ReasonUnparsable     = "unparsable"      // APIG.2106
	ReasonChainOrder     = "chain_order"     // APIG.2104
	ReasonEncryptedKey   = "encrypted_key"   // APIG.2105
	ReasonKeyMismatch    = "key_mismatch"    // APIG.2101
	ReasonExpired        = "expired"         // APIG.2102
	ReasonUnsupportedKey = "unsupported_key" // 400, parameter error
	ReasonNotCA          = "not_ca"          // trusted_root_ca holds a non-CA certificate
	ReasonTooLarge       = "too_large"       // a field over its size or count limit
)

// The fields an UploadError names, as UploadError.Field.
const (
	FieldCertContent   = "cert_content"
	FieldPrivateKey    = "private_key"
	FieldTrustedRootCA = "trusted_root_ca"
)

// Limits on uploads. Sizes are of the text as received, in bytes.
const (
	MaxChainBytes    = 64 << 10
	MaxChainCerts    = 10
	MaxKeyBytes      = 16 << 10
	MaxCABundleBytes = 64 << 10
	MaxCABundleCerts = 50

	MinRSABits = 2048
	MaxRSABits = 8192
)

// UploadError is a validation failure of an uploaded certificate, key or CA
// bundle.
type UploadError struct {
	Reason string // one of the Reason* constants
	Field  string // "cert_content", "private_key" or "trusted_root_ca"
	Msg    string // client-safe message, never containing key material or whole PEM
}

func (e *UploadError) Error() string {
	return "pki: invalid " + e.Field + ": " + e.Msg
}

func uploadErr(field, reason, format string, args ...any) *UploadError {
	return &UploadError{Reason: reason, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ParseChain parses a PEM chain: the server (leaf) certificate first, then
// intermediates, each of which must have signed the one before it. It
// accepts at most MaxChainCerts certificates in MaxChainBytes of text.
// Errors are *UploadError with Field "cert_content".
func ParseChain(pemText string) ([]*x509.Certificate, error) {
	certs, err := parseCertificates(FieldCertContent, pemText, MaxChainBytes, MaxChainCerts)
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(certs); i++ {
		if err := certs[i-1].CheckSignatureFrom(certs[i]); err != nil {
			return nil, chainError(certs, i, err)
		}
	}
	return certs, nil
}

// chainError explains why certs[i] did not sign certs[i-1]. Certificates are
// numbered from 1 in messages.
func chainError(certs []*x509.Certificate, i int, err error) *UploadError {
	const order = "the server certificate must come first, then each intermediate after the certificate it issued"
	var insecure x509.InsecureAlgorithmError
	switch {
	case errors.As(err, &insecure):
		return uploadErr(FieldCertContent, ReasonChainOrder,
			"certificate %d is signed with the insecure algorithm %s, which certgate cannot verify", i, x509.SignatureAlgorithm(insecure))
	case errors.As(err, new(x509.ConstraintViolationError)):
		if isCACert(certs[0]) && !isCACert(certs[i]) {
			return uploadErr(FieldCertContent, ReasonChainOrder,
				"certificate 1 is a CA certificate and certificate %d is not: %s", i+1, order)
		}
		return uploadErr(FieldCertContent, ReasonChainOrder,
			"certificate %d is not a CA certificate, so it cannot have issued certificate %d: %s", i+1, i, order)
	}
	return uploadErr(FieldCertContent, ReasonChainOrder,
		"certificate %d did not issue certificate %d: %s", i+1, i, order)
}

func isCACert(c *x509.Certificate) bool { return c.BasicConstraintsValid && c.IsCA }

// ParseCABundle parses one or more PEM CA certificates, as trusted_root_ca
// carries them: at most MaxCABundleCerts in MaxCABundleBytes of text. Each
// must be a CA: see the package's decisions at the top of upload.go for
// version 1 roots. Validity periods are not checked. Errors are
// *UploadError with Field "trusted_root_ca".
func ParseCABundle(pemText string) ([]*x509.Certificate, error) {
	certs, err := parseCertificates(FieldTrustedRootCA, pemText, MaxCABundleBytes, MaxCABundleCerts)
	if err != nil {
		return nil, err
	}
	for i, c := range certs {
		if msg := whyNotCA(c); msg != "" {
			return nil, uploadErr(FieldTrustedRootCA, ReasonNotCA, "certificate %d %s", i+1, msg)
		}
	}
	return certs, nil
}

// whyNotCA returns why c cannot be a trusted CA, or "" when it can.
func whyNotCA(c *x509.Certificate) string {
	if c.Version == 1 {
		if !bytes.Equal(c.RawIssuer, c.RawSubject) {
			return "is a version 1 certificate that is not self-signed, so it is not a CA"
		}
		if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
			return "is a version 1 certificate whose self-signature does not verify, so it is not a CA"
		}
		return ""
	}
	if !c.BasicConstraintsValid || !c.IsCA {
		return "is not a CA certificate (basic constraints CA:TRUE missing)"
	}
	if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
		return "is a CA certificate whose key usage does not allow signing certificates"
	}
	return ""
}

// parseCertificates reads the CERTIFICATE blocks of field's PEM text.
func parseCertificates(field, text string, maxBytes, maxCerts int) ([]*x509.Certificate, error) {
	blocks, uerr := scanUploadPEM(field, text, maxBytes, maxCerts)
	if uerr != nil {
		return nil, uerr
	}
	certs := make([]*x509.Certificate, 0, len(blocks))
	for i, b := range blocks {
		where := fmt.Sprintf("PEM block %d (line %d)", i+1, b.line)
		if b.Type != "CERTIFICATE" {
			return nil, uploadErr(field, ReasonUnparsable, "%s %s", where, notCertificate(b.Type))
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, uploadErr(field, ReasonUnparsable, "%s is not a valid X.509 certificate: %s", where, safeErrorText(err))
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// notCertificate describes a block of type typ where a certificate was
// expected, without repeating typ (which could be anything, and would say
// "PRIVATE KEY" for keys).
func notCertificate(typ string) string {
	switch {
	case strings.Contains(typ, "PRIVATE KEY"):
		return "is a private key, not a certificate: put the key in private_key"
	case typ == "CERTIFICATE REQUEST" || typ == "NEW CERTIFICATE REQUEST":
		return "is a certificate signing request, not a certificate"
	case typ == "TRUSTED CERTIFICATE" || typ == "X509 CERTIFICATE":
		return "is an OpenSSL trusted certificate, which is not supported: use -----BEGIN CERTIFICATE-----"
	case strings.Contains(typ, "PUBLIC KEY"):
		return "is a public key, not a certificate"
	}
	return "is not a certificate: expected -----BEGIN CERTIFICATE-----"
}

// safeErrorText returns err's message without any quoted value in it (the
// x509 parser quotes URIs and names taken from the certificate), at most 160
// bytes of printable ASCII.
func safeErrorText(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '"'); i >= 0 {
		s = strings.TrimRight(s[:i], " :") + " ..."
	}
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return '?'
		}
		return r
	}, s)
}

// uploadBlock is a decoded block and the line (from 1) its BEGIN line is on.
type uploadBlock struct {
	*pem.Block
	line int
}

// scanUploadPEM decodes every PEM block of text, which must be no longer than
// maxBytes and may have only whitespace around its blocks. Lines are
// trimmed first, so indented PEM and CRLF line ends decode. An empty or
// all-whitespace text is ReasonUnparsable. More than maxBlocks blocks (when
// maxBlocks > 0) is ReasonTooLarge.
func scanUploadPEM(field, text string, maxBytes, maxBlocks int) ([]uploadBlock, *UploadError) {
	if len(text) > maxBytes {
		return nil, uploadErr(field, ReasonTooLarge, "%s is %d bytes, more than the %d (%d KiB) allowed", field, len(text), maxBytes, maxBytes>>10)
	}
	text = strings.TrimPrefix(text, "\uFEFF")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.Trim(l, " \t\r\v\f")
	}
	rest := []byte(strings.Join(lines, "\n"))
	begin := []byte("-----BEGIN")
	var blocks []uploadBlock
	line := 1
	for {
		trimmed := bytes.TrimLeft(rest, "\n")
		line += len(rest) - len(trimmed)
		rest = trimmed
		if len(rest) == 0 {
			break
		}
		if !bytes.HasPrefix(rest, []byte("-----BEGIN ")) {
			return nil, uploadErr(field, ReasonUnparsable,
				"%s must be PEM: unexpected text on line %d (only whitespace may surround -----BEGIN ... -----END blocks)", field, line)
		}
		if maxBlocks > 0 && len(blocks) == maxBlocks {
			return nil, uploadErr(field, ReasonTooLarge, "%s holds more than the %d certificates allowed", field, maxBlocks)
		}
		b, after := pem.Decode(rest)
		consumed := rest[:len(rest)-len(after)]
		// pem.Decode skips a malformed block and returns the next good one;
		// then more than one BEGIN line was consumed.
		if b == nil || bytes.Count(consumed, begin) != 1 {
			return nil, uploadErr(field, ReasonUnparsable,
				"%s: the PEM block on line %d is malformed (check its -----END line and its base64 content)", field, line)
		}
		blocks = append(blocks, uploadBlock{Block: b, line: line})
		line += bytes.Count(consumed, []byte("\n"))
		rest = after
	}
	if len(blocks) == 0 {
		return nil, uploadErr(field, ReasonUnparsable, "%s is empty", field)
	}
	return blocks, nil
}

// ParsePrivateKey parses one PEM private key: "PRIVATE KEY" (PKCS#8), "RSA
// PRIVATE KEY" (PKCS#1) or "EC PRIVATE KEY" (SEC1), in at most MaxKeyBytes
// of text. "EC PARAMETERS" blocks, as `openssl ecparam -genkey` writes them,
// are skipped. Encrypted keys ("ENCRYPTED PRIVATE KEY", or legacy PEM
// encryption with Proc-Type/DEK-Info headers) are ReasonEncryptedKey; more
// than one key is ReasonUnparsable. The key's type and size are not checked
// here: see CheckKey. Errors are *UploadError with Field "private_key".
func ParsePrivateKey(pemText string) (crypto.Signer, error) {
	const field = FieldPrivateKey
	blocks, uerr := scanUploadPEM(field, pemText, MaxKeyBytes, 0)
	if uerr != nil {
		return nil, uerr
	}
	var key *uploadBlock
	for i := range blocks {
		b := &blocks[i]
		where := fmt.Sprintf("PEM block %d (line %d)", i+1, b.line)
		switch b.Type {
		case "EC PARAMETERS":
			continue
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if isLegacyEncrypted(b.Block) {
				return nil, uploadErr(field, ReasonEncryptedKey,
					"encrypted private keys are not supported: %s is password-protected; decrypt it first (for example with openssl pkey)", where)
			}
			if key != nil {
				return nil, uploadErr(field, ReasonUnparsable,
					"private_key must hold exactly one key, but %s is a second one", where)
			}
			key = b
		case "ENCRYPTED PRIVATE KEY":
			return nil, uploadErr(field, ReasonEncryptedKey,
				"encrypted private keys are not supported: %s is an encrypted PKCS#8 key; decrypt it first (for example with openssl pkey)", where)
		case "DSA PRIVATE KEY", "DSA PARAMETERS":
			return nil, uploadErr(field, ReasonUnsupportedKey, "DSA keys are not supported: use an RSA (at least %d bits) or ECDSA P-256 or P-384 key", MinRSABits)
		case "OPENSSH PRIVATE KEY":
			return nil, uploadErr(field, ReasonUnparsable,
				"%s is an OpenSSH-format key, which is not supported: convert it to PKCS#8 PEM (ssh-keygen -p -m PKCS8)", where)
		case "CERTIFICATE":
			return nil, uploadErr(field, ReasonUnparsable,
				"%s is a certificate, not a key: put certificates in cert_content", where)
		default:
			return nil, uploadErr(field, ReasonUnparsable,
				"%s is not a private key: expected PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM", where)
		}
	}
	if key == nil {
		return nil, uploadErr(field, ReasonUnparsable, "private_key holds no key, only EC parameters")
	}
	k, err := ParsePrivateKeyDER(key.Bytes)
	if err != nil {
		if uerr := classifyKeyDER(key.Bytes); uerr != nil {
			return nil, uerr
		}
		return nil, uploadErr(field, ReasonUnparsable,
			"the key on line %d is not a valid PKCS#8, PKCS#1 (RSA) or SEC1 (EC) private key", key.line)
	}
	return k, nil
}

// isLegacyEncrypted reports whether b uses RFC 1421 PEM encryption, as
// `openssl rsa -aes256 -traditional` writes it.
func isLegacyEncrypted(b *pem.Block) bool {
	_, dek := b.Headers["DEK-Info"]
	return dek || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED")
}

// keyOIDs are the algorithm and curve identifiers classifyKeyDER knows.
var keyOIDs = struct {
	rsa, rsaPSS, dsa, ecPublicKey, sm2, x25519, x448, ed25519, ed448, pkcs5, pkcs12PBE, curveP224, curveP256, curveP384, curveP521 asn1.ObjectIdentifier
}{
	rsa:         asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1},
	rsaPSS:      asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10},
	dsa:         asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1},
	ecPublicKey: asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1},
	sm2:         asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301},
	x25519:      asn1.ObjectIdentifier{1, 3, 101, 110},
	x448:        asn1.ObjectIdentifier{1, 3, 101, 111},
	ed25519:     asn1.ObjectIdentifier{1, 3, 101, 112},
	ed448:       asn1.ObjectIdentifier{1, 3, 101, 113},
	pkcs5:       asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5},
	pkcs12PBE:   asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1},
	curveP224:   asn1.ObjectIdentifier{1, 3, 132, 0, 33},
	curveP256:   asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7},
	curveP384:   asn1.ObjectIdentifier{1, 3, 132, 0, 34},
	curveP521:   asn1.ObjectIdentifier{1, 3, 132, 0, 35},
}

var supportedAdvice = fmt.Sprintf("use an RSA (at least %d bits) or ECDSA P-256 or P-384 key", MinRSABits)

// classifyKeyDER looks at a key the standard library could not parse and
// returns an UploadError when it is recognisably an encrypted key or a key
// of an unsupported algorithm or curve, or nil when it is just invalid.
func classifyKeyDER(der []byte) *UploadError {
	const field = FieldPrivateKey
	// PKCS#8 PrivateKeyInfo.
	var p8 struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if rest, err := asn1.Unmarshal(der, &p8); err == nil && len(rest) == 0 {
		name := ""
		switch a := p8.Algo.Algorithm; {
		case a.Equal(keyOIDs.ecPublicKey):
			var curve asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(p8.Algo.Parameters.FullBytes, &curve); err == nil {
				return curveError(curve)
			}
			return nil
		case a.Equal(keyOIDs.rsa), a.Equal(keyOIDs.ed25519):
			return nil // supported, so just broken
		case a.Equal(keyOIDs.rsaPSS):
			name = "RSA-PSS"
		case a.Equal(keyOIDs.dsa):
			name = "DSA"
		case a.Equal(keyOIDs.sm2):
			name = "SM2"
		case a.Equal(keyOIDs.x25519):
			name = "X25519"
		case a.Equal(keyOIDs.x448):
			name = "X448"
		case a.Equal(keyOIDs.ed448):
			name = "Ed448"
		default:
			return uploadErr(field, ReasonUnsupportedKey, "the key's algorithm (%s) is not supported: %s", p8.Algo.Algorithm, supportedAdvice)
		}
		return uploadErr(field, ReasonUnsupportedKey, "%s keys are not supported: %s", name, supportedAdvice)
	}
	// PKCS#8 EncryptedPrivateKeyInfo, mislabelled.
	var enc struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}
	if rest, err := asn1.Unmarshal(der, &enc); err == nil && len(rest) == 0 {
		if hasPrefixOID(enc.Algo.Algorithm, keyOIDs.pkcs5) || hasPrefixOID(enc.Algo.Algorithm, keyOIDs.pkcs12PBE) {
			return uploadErr(field, ReasonEncryptedKey, "encrypted private keys are not supported: this is an encrypted PKCS#8 key; decrypt it first (for example with openssl pkey)")
		}
		return nil
	}
	// SEC1 ECPrivateKey on a curve the standard library does not know.
	var sec1 struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
		PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
	}
	if rest, err := asn1.Unmarshal(der, &sec1); err == nil && len(rest) == 0 && sec1.Version == 1 && len(sec1.Curve) > 0 {
		return curveError(sec1.Curve)
	}
	return nil
}

// curveError returns ReasonUnsupportedKey for EC curves the standard library
// cannot parse, and nil for those it can (so the key is just broken).
func curveError(curve asn1.ObjectIdentifier) *UploadError {
	for _, ok := range []asn1.ObjectIdentifier{keyOIDs.curveP224, keyOIDs.curveP256, keyOIDs.curveP384, keyOIDs.curveP521} {
		if curve.Equal(ok) {
			return nil
		}
	}
	if curve.Equal(keyOIDs.sm2) {
		return uploadErr(FieldPrivateKey, ReasonUnsupportedKey, "SM2 keys are not supported: %s", supportedAdvice)
	}
	return uploadErr(FieldPrivateKey, ReasonUnsupportedKey, "ECDSA keys must use P-256 or P-384 (this key's curve is %s)", curve)
}

func hasPrefixOID(oid, prefix asn1.ObjectIdentifier) bool {
	return len(oid) > len(prefix) && oid[:len(prefix)].Equal(prefix)
}

// CheckKey reports whether certgate supports k for a server certificate:
// RSA of MinRSABits to MaxRSABits bits, or ECDSA on P-256 or P-384. The error
// is an *UploadError with Reason "unsupported_key" and Field "private_key".
func CheckKey(k crypto.Signer) error {
	const field = FieldPrivateKey
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if k == nil || k.N == nil {
			return uploadErr(field, ReasonUnsupportedKey, "no private key")
		}
		switch bits := k.N.BitLen(); {
		case bits < MinRSABits:
			return uploadErr(field, ReasonUnsupportedKey, "RSA keys must be at least %d bits (this one has %d)", MinRSABits, bits)
		case bits > MaxRSABits:
			return uploadErr(field, ReasonUnsupportedKey, "RSA keys must be at most %d bits (this one has %d)", MaxRSABits, bits)
		}
		return nil
	case *ecdsa.PrivateKey:
		if k == nil || k.Curve == nil {
			return uploadErr(field, ReasonUnsupportedKey, "no private key")
		}
		if k.Curve == elliptic.P256() || k.Curve == elliptic.P384() {
			return nil
		}
		name := "another curve"
		if p := k.Curve.Params(); p != nil && p.Name != "" {
			name = p.Name
		}
		return uploadErr(field, ReasonUnsupportedKey, "ECDSA keys must use P-256 or P-384 (this one uses %s)", name)
	case ed25519.PrivateKey:
		return uploadErr(field, ReasonUnsupportedKey, "Ed25519 keys are not supported: %s", supportedAdvice)
	case nil:
		return uploadErr(field, ReasonUnsupportedKey, "no private key")
	default:
		return uploadErr(field, ReasonUnsupportedKey, "unsupported key type %T: %s", k, supportedAdvice)
	}
}

// Upload is a validated server certificate upload.
type Upload struct {
	Chain      []*x509.Certificate // leaf first
	Key        crypto.Signer
	KeyPKCS8   []byte // normalized PKCS#8 DER, what gets sealed
	TrustedCAs []*x509.Certificate
	ChainPEM   string // normalized: the chain re-encoded (leaf first), no extra text
	CAPEM      string // normalized, "" when none
	Facts      Facts  // Describe(leaf)
}

// ValidateUpload parses and validates a server certificate upload, in this
// order, returning the first failure as an *UploadError: the chain
// (ParseChain), the key (ParsePrivateKey), the key's type and size
// (CheckKey), that the key matches the leaf, that the leaf has not expired
// at now (a leaf not yet valid is accepted), and the CA bundle
// (ParseCABundle) unless caPEM is empty or only whitespace (and within
// MaxCABundleBytes).
func ValidateUpload(certPEM, keyPEM, caPEM string, now time.Time) (*Upload, error) {
	chain, err := ParseChain(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := ParsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	leaf := chain[0]
	if !PublicKeysEqual(leaf.PublicKey, key.Public()) {
		return nil, uploadErr(FieldPrivateKey, ReasonKeyMismatch, "the private key does not match the server certificate (the first certificate in cert_content)")
	}
	if now.After(leaf.NotAfter) {
		return nil, uploadErr(FieldCertContent, ReasonExpired, "the server certificate expired at %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	var cas []*x509.Certificate
	if len(caPEM) > MaxCABundleBytes || strings.TrimSpace(caPEM) != "" {
		if cas, err = ParseCABundle(caPEM); err != nil {
			return nil, err
		}
	}
	pkcs8, err := MarshalPrivateKey(key)
	if err != nil {
		// Cannot happen for the key types CheckKey accepts.
		return nil, uploadErr(FieldPrivateKey, ReasonUnsupportedKey, "the private key cannot be stored as PKCS#8")
	}
	u := &Upload{
		Chain:      chain,
		Key:        key,
		KeyPKCS8:   pkcs8,
		TrustedCAs: cas,
		ChainPEM:   encodeChainPEM(chain),
		Facts:      Describe(leaf),
	}
	if len(cas) > 0 {
		u.CAPEM = encodeChainPEM(cas)
	}
	return u, nil
}

func encodeChainPEM(certs []*x509.Certificate) string {
	der := make([][]byte, len(certs))
	for i, c := range certs {
		der[i] = c.Raw
	}
	return EncodeCertificatePEM(der...)
}
