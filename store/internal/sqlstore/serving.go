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

// ServedCertificatesSQL reads the certificates the routes need: every
// backend certificate, and the client certificates stages name. Two
// searches of certificates_kind (migration 0070), not one OR, which both
// planners answer with a scan of every certificate.
const ServedCertificatesSQL = "SELECT " + certColumns + " FROM certificates WHERE kind = ? UNION ALL " +
	"SELECT " + certColumns + " FROM certificates WHERE kind = ? AND id IN " +
	"(SELECT client_certificate_id FROM api_stages WHERE client_certificate_id <> '') ORDER BY id"

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

// ServingRoutes reads what the gateway routes by. Stages are read before
// the deployments, REST APIs and certificates they name, so that every
// record a stage names existed when it was read (a stage moves only to a
// deployment or certificate that exists, and neither can be deleted while
// a stage holds it); a row missing for a change committed in between is
// read whole at the next revision.
func (a *Accessor) ServingRoutes(ctx context.Context) (*store.Routes, error) {
	var out *store.Routes
	err := a.read(ctx, "serving routes", func(q Querier) error {
		r := &store.Routes{}
		out = r
		if err := each(ctx, q, func(s rowcodec.Scanner) error {
			g, err := scanGroup(s)
			if err == nil {
				r.Groups = append(r.Groups, g)
			}
			return err
		}, "SELECT "+groupColumns+" FROM api_groups ORDER BY id"); err != nil {
			return err
		}
		if err := each(ctx, q, func(s rowcodec.Scanner) error {
			e, err := scanEnv(s)
			if err == nil {
				r.Environments = append(r.Environments, e)
			}
			return err
		}, "SELECT "+envColumns+" FROM environments ORDER BY id"); err != nil {
			return err
		}
		if err := each(ctx, q, func(s rowcodec.Scanner) error {
			v, err := scanVersion(s)
			if err == nil {
				r.Versions = append(r.Versions, v)
			}
			return err
		}, "SELECT "+versionColumns+" FROM api_publications p JOIN api_versions v ON v.id = p.version_id ORDER BY v.id"); err != nil {
			return err
		}
		var stages []*certgate.Stage
		if err := each(ctx, q, func(s rowcodec.Scanner) error {
			st, err := scanStage(s)
			if err == nil {
				stages = append(stages, st)
			}
			return err
		}, "SELECT "+stageColumns+" FROM api_stages ORDER BY api_id, name"); err != nil {
			return err
		}
		deps := map[string]*certgate.Deployment{}
		if err := each(ctx, q, func(s rowcodec.Scanner) error {
			d, err := scanDeployment(s)
			if err == nil {
				deps[d.ID] = d
			}
			return err
		}, "SELECT "+deploymentColumns+" FROM api_deployments WHERE id IN (SELECT deployment_id FROM api_stages)"); err != nil {
			return err
		}
		apis := map[string]*certgate.RestAPI{}
		if err := each(ctx, q, func(s rowcodec.Scanner) error {
			api, err := scanRestAPI(s)
			if err == nil {
				apis[api.ID] = api
			}
			return err
		}, "SELECT "+restAPIColumns+" FROM rest_apis WHERE id IN (SELECT api_id FROM api_stages)"); err != nil {
			return err
		}
		for _, st := range stages {
			d, api := deps[st.DeploymentID], apis[st.APIID]
			// Both in the stage's own scope, or the stage is not served.
			if d != nil && api != nil && d.Scope == st.Scope && api.Scope == st.Scope && d.APIID == st.APIID {
				r.Stages = append(r.Stages, &store.ServedStage{Stage: st, Deployment: d, API: api})
			}
		}
		return each(ctx, q, func(s rowcodec.Scanner) error {
			c, err := rowcodec.ScanCert(s)
			if err == nil {
				r.Certificates = append(r.Certificates, c)
			}
			return err
		}, ServedCertificatesSQL, string(certgate.KindBackend), string(certgate.KindClient))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
