package pki

import (
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultSubject is the subject (and issuer) of the client certificates
// Amazon API Gateway generates: C=US, L=Seattle, CN=ApiGateway.
func DefaultSubject() pkix.Name {
	return pkix.Name{
		Country:    []string{"US"},
		Locality:   []string{"Seattle"},
		CommonName: "ApiGateway",
	}
}

// Upper bounds from RFC 5280 Appendix A (ub-*), so that a name we accept is
// also one that strict X.509 parsers accept.
var subjectKeys = map[string]struct {
	max int
}{
	"C":  {2},
	"ST": {128},
	"L":  {128},
	"O":  {64},
	"OU": {64},
	"CN": {64},
}

// ParseSubject parses a distinguished name written the way humans and
// OpenSSL write them:
//
//	C=US, L=Seattle, CN=ApiGateway
//	/C=US/L=Seattle/CN=ApiGateway
//
// A leading slash selects slash-separated form (so values may contain
// commas); otherwise attributes are separated by commas (so values may
// contain slashes). A backslash escapes the next character in either form.
// Keys are C, ST, L, O, OU and CN, in any case; C, ST, L, O and OU may
// repeat, CN may not. At least one attribute is required.
//
// The certificate encodes attributes in the fixed order of
// pkix.Name.ToRDNSequence (C, ST, L, O, OU, CN), not the order written.
func ParseSubject(s string) (pkix.Name, error) {
	var name pkix.Name
	if !utf8.ValidString(s) {
		return name, errors.New("pki: subject is not valid UTF-8")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return name, errors.New("pki: subject is empty (want e.g. \"C=US, L=Seattle, CN=ApiGateway\")")
	}
	sep := ','
	if s[0] == '/' {
		sep = '/'
		s = s[1:]
	}
	parts, err := splitEscaped(s, sep)
	if err != nil {
		return name, err
	}
	n := 0
	for i, part := range parts {
		if strings.TrimSpace(part.raw) == "" {
			if sep == '/' && i == len(parts)-1 {
				continue // tolerate a trailing slash: "/C=US/CN=x/"
			}
			return name, fmt.Errorf("pki: subject attribute %d is empty", i+1)
		}
		eq := part.eq
		if eq < 0 {
			return name, fmt.Errorf("pki: subject attribute %d has no '=' (want KEY=value)", i+1)
		}
		key := strings.ToUpper(strings.TrimSpace(part.raw[:eq]))
		val := strings.TrimSpace(part.val)
		spec, ok := subjectKeys[key]
		if !ok {
			return name, fmt.Errorf("pki: subject attribute %d: unknown key %q (want C, ST, L, O, OU or CN)", i+1, truncate(key, 16))
		}
		if val == "" {
			return name, fmt.Errorf("pki: subject attribute %s has an empty value", key)
		}
		if key == "C" && (len(val) != 2 || !isASCIILetters(val)) {
			return name, errors.New("pki: subject attribute C must be a two-letter country code")
		}
		if l := utf8.RuneCountInString(val); l > spec.max {
			return name, fmt.Errorf("pki: subject attribute %s is %d characters long (at most %d)", key, l, spec.max)
		}
		if strings.IndexFunc(val, unicode.IsControl) >= 0 {
			return name, fmt.Errorf("pki: subject attribute %s contains control characters", key)
		}
		switch key {
		case "C":
			name.Country = append(name.Country, strings.ToUpper(val))
		case "ST":
			name.Province = append(name.Province, val)
		case "L":
			name.Locality = append(name.Locality, val)
		case "O":
			name.Organization = append(name.Organization, val)
		case "OU":
			name.OrganizationalUnit = append(name.OrganizationalUnit, val)
		case "CN":
			if name.CommonName != "" {
				return name, errors.New("pki: subject attribute CN appears more than once")
			}
			name.CommonName = val
		}
		n++
	}
	if n == 0 {
		return name, errors.New("pki: subject has no attributes")
	}
	return name, nil
}

type dnPart struct {
	raw string // the attribute as written, escapes resolved only in val
	eq  int    // index in raw of the first unescaped '=', or -1
	val string // unescaped text after eq
}

// splitEscaped splits s at unescaped sep characters, resolving backslash
// escapes in values.
func splitEscaped(s string, sep rune) ([]dnPart, error) {
	var parts []dnPart
	var raw, val strings.Builder
	eq := -1
	escaped := false
	flush := func() {
		parts = append(parts, dnPart{raw: raw.String(), eq: eq, val: val.String()})
		raw.Reset()
		val.Reset()
		eq = -1
	}
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
			raw.WriteRune(r)
			if eq >= 0 {
				val.WriteRune(r)
			}
		case r == '\\':
			escaped = true
			raw.WriteRune(r)
		case r == sep:
			flush()
		case r == '=' && eq < 0:
			eq = raw.Len()
			raw.WriteRune(r)
		default:
			raw.WriteRune(r)
			if eq >= 0 {
				val.WriteRune(r)
			}
		}
	}
	if escaped {
		return nil, errors.New("pki: subject ends with a dangling backslash")
	}
	flush()
	return parts, nil
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
