package pki

import (
	"crypto/x509"
	"encoding/pem"
	"sync"
)

// FactsMemo remembers the Facts of PEM certificates it has described, so
// that a record shown again is not parsed again: parsing the X.509 leaf
// was three quarters of a Huawei ShowDetailsOfCertificateV2's own work.
// The key is the PEM text itself, of which the Facts are a pure function,
// so an entry can never describe another certificate, another version or
// another tenant's record. At most max entries are kept; a full memo
// starts again empty (the next requests parse once more).
type FactsMemo struct {
	mu  sync.Mutex
	max int
	m   map[string]Facts
}

// NewFactsMemo returns a memo of at most size entries (at least 1).
func NewFactsMemo(size int) *FactsMemo {
	return &FactsMemo{max: max(size, 1), m: map[string]Facts{}}
}

// DescribePEM returns the Facts of the first CERTIFICATE block of
// certPEM; ok is false when there is none or it does not parse (nothing
// is remembered then). The Facts' slices are shared between callers and
// must not be modified. A nil memo describes without remembering.
func (m *FactsMemo) DescribePEM(certPEM string) (f Facts, ok bool) {
	if m != nil {
		m.mu.Lock()
		f, ok = m.m[certPEM]
		m.mu.Unlock()
		if ok {
			return f, true
		}
	}
	blk, _ := pem.Decode([]byte(certPEM))
	if blk == nil || blk.Type != "CERTIFICATE" {
		return Facts{}, false
	}
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return Facts{}, false
	}
	f = Describe(leaf)
	if m != nil {
		m.mu.Lock()
		if len(m.m) >= m.max {
			clear(m.m)
		}
		m.m[certPEM] = f
		m.mu.Unlock()
	}
	return f, true
}
