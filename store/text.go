package store

import (
	"strings"
	"unicode/utf8"

	"github.com/certgate/certgate"
)

// ReasonBadText is the Reason of the EInvalid error a write fails with when
// its text holds a NUL byte or invalid UTF-8 (see the Store contract).
const ReasonBadText = "bad_text"

// IsText reports whether every s is text a store can hold: valid UTF-8
// without NUL bytes. PostgreSQL's TEXT can hold nothing else, and the
// contract makes SQLite answer the same way.
func IsText(s ...string) bool {
	for _, v := range s {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return false
		}
	}
	return true
}

// BadText returns the error for a write whose field holds text a store
// cannot hold. The field names the record field, never its value.
func BadText(field string) error {
	return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadText, Field: field,
		Message: field + " contains a NUL byte or invalid UTF-8"}
}

// CheckCertificateText returns BadText for the first text field of c that a
// store cannot hold, or nil.
func CheckCertificateText(c *certgate.Certificate) error {
	for _, f := range []struct{ name, v string }{
		{"id", c.ID}, {"account_id", c.Scope.AccountID}, {"region", c.Scope.Region}, {"kind", string(c.Kind)},
		{"name", c.Name}, {"description", c.Description}, {"instance_id", c.InstanceID},
		{"certificate_pem", c.CertificatePEM}, {"seal_key_id", c.SealKeyID}, {"trusted_root_ca", c.TrustedRootCA},
		{"common_name", c.CommonName}, {"serial_number", c.SerialNumber},
		{"signature_algorithm", c.SignatureAlgorithm}, {"key_algorithm", c.KeyAlgorithm},
	} {
		if !IsText(f.v) {
			return BadText(f.name)
		}
	}
	for k, v := range c.Tags {
		if !IsText(k, v) {
			return BadText("tags")
		}
	}
	if !IsText(c.SANs...) {
		return BadText("sans")
	}
	return nil
}

// MatchesNothing reports whether q holds a scope or filter value that no
// stored record can have (a NUL byte or invalid UTF-8), so that a backend
// answers an empty result without a query, as the contract requires.
func (q ListQuery) MatchesNothing() bool {
	ok := IsText(q.Scope.AccountID, q.Scope.Region, string(q.Kind),
		q.Name, q.CommonName, q.SignatureAlgorithm, q.KeyAlgorithm, q.InstanceID, q.Type)
	if q.After != nil && !IsText(q.After.ID) {
		ok = false
	}
	return !ok
}
