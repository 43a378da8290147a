package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/store"
)

// Source is what the gateway reads: the configuration revision, to know
// when to rebuild, and the domains with their certificates.
type Source interface {
	Revision(ctx context.Context) (int64, error)
	ServingDomains(ctx context.Context) ([]*store.Served, error)
	ServingRoutes(ctx context.Context) (*store.Routes, error)
}

// Opener unseals a private key (a *seal.Sealer).
type Opener interface {
	Open(envelope []byte, keyID string, aad []byte) ([]byte, error)
}

// site is one custom domain as the HTTPS listener serves it.
type site struct {
	domain certgate.Domain
	// pool holds the trusted root CAs of the domain's certificates: what
	// client certificates must chain to when it verifies clients.
	pool *x509.CertPool
	// config answers the handshakes of this domain: its certificates
	// (ECC first, so that clients that support ECDSA get it), its minimum
	// version, its client verification, and ticket keys of its own.
	config *tls.Config
	verify bool
	// https and http say whether the domain is served on the gateway's
	// own listeners (a port of -1 turns a protocol off for it).
	https, http bool
}

// snapshot is everything the gateway serves at one revision. It is never
// changed once built; a reload builds a new one and swaps it in whole.
// Names are unique per listener, not across them (one account may hold a
// name over HTTPS in one group and over HTTP in another; another account
// never holds it), so each listener has its own index.
type snapshot struct {
	revision int64
	tls      index // the HTTPS listener's domains
	plain    index // the HTTP listener's domains
	routes   *routes
}

func newSnapshot(rev int64) *snapshot {
	return &snapshot{revision: rev, tls: newIndex(), plain: newIndex(), routes: newRoutes()}
}

// index finds the domain a host name selects on one listener.
type index struct {
	exact map[string]*site // by name
	wild  map[string]*site // "*.example.com" by "example.com"
}

func newIndex() index { return index{exact: map[string]*site{}, wild: map[string]*site{}} }

func (ix index) add(st *site) {
	if name := st.domain.Name; strings.HasPrefix(name, "*.") {
		ix.wild[name[2:]] = st
	} else {
		ix.exact[name] = st
	}
}

// lookup returns the site serving name: an exact name first, then a
// wildcard one label above it. name is a host name as a client sends it.
func (ix index) lookup(name string) *site {
	name = normalHost(name)
	if name == "" {
		return nil
	}
	if st := ix.exact[name]; st != nil {
		return st
	}
	if _, parent, ok := strings.Cut(name, "."); ok {
		return ix.wild[parent]
	}
	return nil
}

// normalHost lowercases a host name and drops one final dot. A name with
// an empty label ("a..b", ".a", "a.." and so "a." after the drop) is ""
// and selects nothing: the function must be idempotent, since the
// listener's checks and routing each normalize, and a second drop of a
// dot would let "mtls.example.com.." pass the checks as no domain and be
// routed as mtls.example.com.
func normalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || h[0] == '.' || h[len(h)-1] == '.' || strings.Contains(h, "..") {
		return ""
	}
	return h
}

// parsed is a certificate made ready for tls: cached by id and version, so
// that a rebuild after a change to one domain re-parses and unseals only
// what changed.
type parsed struct {
	version int64
	cert    tls.Certificate
	// identity is the certificate as a client certificate presented to
	// backends (its transports are pooled by id and version).
	identity *Identity
}

// parseCertificate turns a stored certificate into a tls.Certificate,
// unsealing its key.
func parseCertificate(c *certgate.Certificate, opener Opener) (*parsed, error) {
	var chain [][]byte
	rest := []byte(c.CertificatePEM)
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			chain = append(chain, blk.Bytes)
		}
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("certificate %s: no PEM certificate", c.ID)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", c.ID, err)
	}
	der, err := opener.Open(c.KeySealed, c.SealKeyID, certgate.KeyAAD(c.ID, c.Scope.AccountID, c.Kind))
	if err != nil {
		return nil, fmt.Errorf("certificate %s: open its key: %w", c.ID, err)
	}
	key, err := pki.ParsePrivateKeyDER(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", c.ID, err)
	}
	cert := tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}
	return &parsed{version: c.Version, cert: cert, identity: &Identity{ID: c.ID, Version: c.Version, Cert: cert}}, nil
}
