package sqlstore

import (
	"context"
	"math"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

// ServingCertificates reads the certificates of one kind across every
// tenant, in id order (byte order), strictly after the id after, at most
// limit of them (all when limit <= 0). It is the store.ServingView of the
// data plane, and only reads.
func (a *Accessor) ServingCertificates(ctx context.Context, kind certgate.Kind, after string, limit int) ([]*certgate.Certificate, error) {
	if !store.IsText(string(kind), after) {
		return nil, nil
	}
	n := int64(limit)
	if limit <= 0 {
		n = math.MaxInt64
	}
	return a.listCerts(ctx, "serving certificates",
		"SELECT "+certColumns+" FROM certificates WHERE kind = ? AND id > ? ORDER BY id LIMIT ?",
		string(kind), after, n)
}

// ServingDomains reads every domain with its certificates in one read
// transaction's worth of queries: the domains, the bindings, and the bound
// certificates, joined here.
func (a *Accessor) ServingDomains(ctx context.Context) ([]*store.Served, error) {
	var out []*store.Served
	err := a.read(ctx, "serving domains", func(q Querier) error {
		out = out[:0]
		byID := map[string]*store.Served{}
		if err := each(ctx, q, func(s rowcodec.Scanner) error {
			d, err := scanDomain(s)
			if err == nil {
				sv := &store.Served{Domain: d}
				out = append(out, sv)
				byID[d.ID] = sv
			}
			return err
		}, "SELECT "+domainColumns+" FROM domains ORDER BY id"); err != nil {
			return err
		}
		certs := map[string]*certgate.Certificate{}
		if err := each(ctx, q, func(s rowcodec.Scanner) error {
			c, err := rowcodec.ScanCert(s)
			if err == nil {
				certs[c.ID] = c
			}
			return err
		}, "SELECT "+certColumns+" FROM certificates WHERE kind = ? AND id IN (SELECT certificate_id FROM domain_certificates)",
			string(certgate.KindServer)); err != nil {
			return err
		}
		return each(ctx, q, func(s rowcodec.Scanner) error {
			var domainID, certID string
			if err := s.Scan(&domainID, &certID); err != nil {
				return err
			}
			// A row written between two of these queries may name a
			// domain or certificate read before it existed; the next
			// revision's read sees it whole.
			if sv, c := byID[domainID], certs[certID]; sv != nil && c != nil {
				sv.Certificates = append(sv.Certificates, c.Clone())
			}
			return nil
		}, "SELECT domain_id, certificate_id FROM domain_certificates ORDER BY created_at, certificate_id")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
