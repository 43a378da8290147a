package hwsign

import (
	"encoding/hex"
	"strings"
)

const (
	// maxSignedHeaders bounds the work a single request can ask for.
	maxSignedHeaders = 64
	maxAccessKeyLen  = 128
)

// Authorization is a parsed `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b,
// Signature=hex` header value.
type Authorization struct {
	AccessKeyID   string
	SignedHeaders []string // as listed by the client (Huawei signers send them lower-case and sorted)
	Signature     string   // 64 hex digits
}

// ParseAuthorization parses an Authorization header value. Malformed input
// yields an *Error (APIGW.0301) naming the first problem found; the message
// never repeats the signature or the header.
//
// The scheme and parameter names are matched case-insensitively, as HTTP
// auth-schemes are; unknown parameters are ignored because they take no part
// in the signature.
func ParseAuthorization(h string) (*Authorization, error) {
	scheme, rest, _ := strings.Cut(strings.TrimLeft(h, " \t"), " ")
	if !strings.EqualFold(scheme, algorithm) {
		return nil, malformed("the algorithm must be " + algorithm)
	}
	var access, signed, sig string
	var seenAccess, seenSigned, seenSig bool
	for _, p := range strings.Split(rest, ",") {
		p = strings.Trim(p, " \t")
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			// Never echo the pair: it may be the signature.
			return nil, malformed("a parameter has no '='")
		}
		var dst *string
		var seen *bool
		switch {
		case strings.EqualFold(k, "Access"):
			dst, seen, k = &access, &seenAccess, "Access"
		case strings.EqualFold(k, "SignedHeaders"):
			dst, seen, k = &signed, &seenSigned, "SignedHeaders"
		case strings.EqualFold(k, "Signature"):
			dst, seen, k = &sig, &seenSig, "Signature"
		default:
			continue
		}
		if *seen {
			return nil, malformed("more than one " + k + " parameter")
		}
		*dst, *seen = v, true
	}
	switch {
	case access == "":
		return nil, malformed("Access is missing")
	case signed == "":
		return nil, malformed("SignedHeaders is missing")
	case sig == "":
		return nil, malformed("Signature is missing")
	}
	if len(access) > maxAccessKeyLen || !visibleASCII(access) {
		return nil, malformed("Access is not a valid access key id")
	}
	if len(sig) != 64 || !isHex(sig) {
		return nil, malformed("Signature must be 64 hex digits")
	}
	names := strings.Split(signed, ";")
	if len(names) > maxSignedHeaders {
		return nil, malformed("SignedHeaders lists too many headers")
	}
	for i, n := range names {
		if n == "" || !isToken(n) {
			return nil, malformed("SignedHeaders must be a ';'-separated list of header names")
		}
		for _, m := range names[:i] {
			if strings.EqualFold(m, n) {
				return nil, malformed("SignedHeaders lists a header twice")
			}
		}
	}
	return &Authorization{AccessKeyID: access, SignedHeaders: names, Signature: sig}, nil
}

// signs reports whether a lists the header name.
func (a *Authorization) signs(name string) bool {
	for _, n := range a.SignedHeaders {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func decodeSignature(sig string) []byte {
	b, err := hex.DecodeString(sig)
	if err != nil {
		return nil // ParseAuthorization has checked the form already
	}
	return b
}

func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// isToken reports whether s is an RFC 9110 token, the syntax of header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
