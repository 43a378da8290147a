package certgate

import (
	"fmt"
	"strings"
)

// The rule on what a custom domain may be served with. It is written here,
// on the records themselves, because two cores apply it: gwconfig when a
// binding or a domain's verification changes, and certs when a bound
// certificate is replaced. Both call it inside the store transaction that
// makes the change, on the state the change would leave.

// Reasons of the errors CheckServing returns.
const (
	// ReasonNotCovered (EInvalid): no SAN of the certificate covers the
	// domain. Value is the domain name.
	ReasonNotCovered = "not_covered"
	// ReasonNoSAN (EInvalid): the certificate has no DNS subject
	// alternative name at all, so it can serve no domain.
	ReasonNoSAN = "no_san"
	// ReasonAlgorithmTaken (EConflict): the domain already holds another
	// certificate of this key algorithm. Value is the domain name.
	ReasonAlgorithmTaken = "algorithm_taken"
	// ReasonNoTrustedCA (EInvalid): the domain verifies clients but none
	// of its certificates has a trusted root CA to verify them with.
	// Value is the domain name.
	ReasonNoTrustedCA = "no_trusted_ca"
	// ReasonWrongInstance (EInvalid): an instance certificate bound to a
	// domain of another instance. Value is the domain name.
	ReasonWrongInstance = "wrong_instance"
)

// Covers reports whether one of sans covers the domain name: exactly, or,
// for an exact name, by a wildcard of one label ("*.example.com" covers
// "api.example.com" but neither "example.com" nor "a.b.example.com"). A
// wildcard domain ("*.example.com") is covered only by the identical
// wildcard SAN, since it serves every name one label below. Names compare
// without case and without a final dot.
func Covers(sans []string, domain string) bool {
	domain = normalName(domain)
	if domain == "" {
		return false
	}
	parent := ""
	if !strings.HasPrefix(domain, "*.") {
		if _, rest, ok := strings.Cut(domain, "."); ok && strings.Contains(rest, ".") {
			parent = "*." + rest
		}
	}
	for _, s := range sans {
		s = normalName(s)
		if s == domain || (parent != "" && s == parent) {
			return true
		}
	}
	return false
}

func normalName(s string) string { return strings.TrimSuffix(strings.ToLower(s), ".") }

// hasDNSName reports whether sans holds a name (an IP address SAN serves
// no custom domain).
func hasDNSName(sans []string) bool {
	for _, s := range sans {
		if strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ*") && !strings.Contains(s, ":") {
			return true
		}
	}
	return false
}

// CheckServing checks that domain d may be served with certs, the
// certificates that a change would leave bound to it (d with the settings
// the change would leave): every certificate has a SAN and covers the
// domain, belongs to the domain's instance unless it is global, at most one
// has each key algorithm, and when d verifies clients at least one has a
// trusted root CA. The first rule broken is returned as an *Error.
func CheckServing(d *Domain, certs []*Certificate) error {
	seen := map[string]string{}
	hasCA := false
	for _, c := range certs {
		if !hasDNSName(c.SANs) {
			return &Error{Code: EInvalid, Reason: ReasonNoSAN, Value: Clip(d.Name),
				Message: fmt.Sprintf("certificate %s has no subject alternative name, so it can serve no domain", c.ID)}
		}
		if !Covers(c.SANs, d.Name) {
			return &Error{Code: EInvalid, Reason: ReasonNotCovered, Value: Clip(d.Name),
				Message: fmt.Sprintf("certificate %s does not cover the domain %s: none of its subject alternative names matches it", c.ID, d.Name)}
		}
		if c.InstanceID != "" && c.InstanceID != d.InstanceID {
			return &Error{Code: EInvalid, Reason: ReasonWrongInstance, Value: Clip(d.Name),
				Message: fmt.Sprintf("certificate %s belongs to instance %s; the domain %s of instance %s takes only global certificates or its own instance's", c.ID, c.InstanceID, d.Name, d.InstanceID)}
		}
		if other, ok := seen[c.KeyAlgorithm]; ok {
			return &Error{Code: EConflict, Reason: ReasonAlgorithmTaken, Value: Clip(d.Name),
				Message: fmt.Sprintf("the domain %s already has the %s certificate %s; a domain holds one certificate per key algorithm, so detach it first", d.Name, c.KeyAlgorithm, other)}
		}
		seen[c.KeyAlgorithm] = c.ID
		hasCA = hasCA || c.TrustedRootCA != ""
	}
	if d.VerifyClients && !hasCA {
		return &Error{Code: EInvalid, Reason: ReasonNoTrustedCA, Field: "verified_client_certificate_enabled", Value: Clip(d.Name),
			Message: fmt.Sprintf("the domain %s cannot verify client certificates: none of its bound certificates has a trusted_root_ca", d.Name)}
	}
	return nil
}
