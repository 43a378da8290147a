package sigv4

import (
	"strings"
	"time"
)

// Authorization is a parsed `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=...` header value.
type Authorization struct {
	AccessKeyID   string
	Date          string // YYYYMMDD from the credential scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization parses an Authorization header value. Malformed input
// yields an *Error with code IncompleteSignatureException listing every
// problem found, in AWS's wording.
func ParseAuthorization(h string) (*Authorization, error) {
	a, problems := parseAuthorization(h)
	if len(problems) > 0 {
		return nil, incomplete(strings.Join(problems, " "))
	}
	return a, nil
}

// parseAuthorization returns the problems as separate sentences so that Verify
// can add its own (a missing date) to the same message, as AWS does.
func parseAuthorization(h string) (*Authorization, []string) {
	alg, rest, _ := strings.Cut(strings.TrimLeft(h, " \t"), " ")
	if alg != algorithm {
		return nil, []string{"Unsupported Authorization type: only '" + algorithm + "' is accepted."}
	}
	var cred, signed, sig string
	var seenCred, seenSigned, seenSig bool
	var problems []string
	for _, p := range strings.Split(rest, ",") {
		p = strings.Trim(p, " \t")
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			// Never echo the pair: it may be the signature.
			problems = append(problems, "Invalid key=value pair (missing equal-sign) in Authorization header.")
			continue
		}
		var dst *string
		var seen *bool
		switch k {
		case "Credential":
			dst, seen = &cred, &seenCred
		case "SignedHeaders":
			dst, seen = &signed, &seenSigned
		case "Signature":
			dst, seen = &sig, &seenSig
		default:
			continue // unknown parameters do not take part in the signature
		}
		if *seen {
			problems = append(problems, "Authorization header has more than one '"+k+"' parameter.")
			continue
		}
		*dst, *seen = v, true
	}
	if cred == "" {
		problems = append(problems, "Authorization header requires 'Credential' parameter.")
	}
	if sig == "" {
		problems = append(problems, "Authorization header requires 'Signature' parameter.")
	}
	if signed == "" {
		problems = append(problems, "Authorization header requires 'SignedHeaders' parameter.")
	}
	a := &Authorization{Signature: sig}
	if signed != "" {
		a.SignedHeaders = strings.Split(signed, ";")
		for _, n := range a.SignedHeaders {
			if n == "" {
				problems = append(problems, "SignedHeaders must be a ';'-separated list of header names.")
				break
			}
		}
	}
	if cred != "" {
		problems = append(problems, parseCredential(cred, a)...)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return a, nil
}

// parseCredential fills a from AK/YYYYMMDD/region/service/aws4_request.
func parseCredential(cred string, a *Authorization) []string {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return []string{"Credential must have the form 'AccessKeyId/YYYYMMDD/region/service/aws4_request'."}
	}
	var problems []string
	if parts[0] == "" {
		problems = append(problems, "Credential requires an access key id.")
	}
	if _, err := time.Parse(scopeLayout, parts[1]); err != nil || len(parts[1]) != 8 {
		problems = append(problems, "Credential should be scoped to a valid date in YYYYMMDD format, not '"+clip(parts[1])+"'.")
	}
	if parts[2] == "" {
		problems = append(problems, "Credential should be scoped to a valid region, not ''.")
	}
	if parts[3] == "" {
		problems = append(problems, "Credential should be scoped to a valid service, not ''.")
	}
	if parts[4] != terminator {
		problems = append(problems, "Credential should be scoped with a valid terminator: '"+terminator+"', not '"+clip(parts[4])+"'.")
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = parts[0], parts[1], parts[2], parts[3]
	return problems
}

// clip bounds how much of a client's input an error message repeats.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}
