package sqlstore

import (
	"context"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const bindingColumns = "domain_id, certificate_id, account_id, instance_id, group_id, algorithm, created_at"

// BindCertificate binds a certificate to a domain. The domain row is locked
// FOR UPDATE (binders of one domain queue; DeleteDomain and DeleteGroup
// wait), the certificate row FOR SHARE (DeleteCertificate, which locks it
// FOR UPDATE before counting bindings, waits for this binding or this
// binding finds it gone).
func (a *Accessor) BindCertificate(ctx context.Context, b *certgate.Binding) error {
	if b == nil || !store.IsText(b.AccountID, b.InstanceID, b.GroupID, b.DomainID, b.CertificateID, b.Algorithm) {
		return certgate.Errorf(certgate.ENotFound, "domain not found")
	}
	return a.write(ctx, "bind certificate", func(tx Tx) error {
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM domains WHERE "+domainKey+a.d.ForUpdate(),
			b.DomainID, b.AccountID, b.InstanceID, b.GroupID).Scan(&one)
		if noRows(err) {
			return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoDomain, Message: "domain not found"}
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, "SELECT 1 FROM certificates WHERE "+certKey+a.d.ForShare(),
			keyArgs(certgate.Scope{AccountID: b.AccountID}, certgate.KindServer, b.CertificateID)...).Scan(&one)
		if noRows(err) {
			return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoCertificate, Message: "certificate not found"}
		}
		if err != nil {
			return err
		}
		n, err := tx.Exec(ctx, "INSERT INTO domain_certificates ("+bindingColumns+") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (domain_id, certificate_id) DO NOTHING",
			b.DomainID, b.CertificateID, b.AccountID, b.InstanceID, b.GroupID, b.Algorithm, rowcodec.Micros(b.CreatedAt))
		if err != nil {
			return a.uniqueConflict(err, []violation{
				{"domain_certificates.algorithm", "algorithm_taken", "the domain already has a certificate of this algorithm"},
			})
		}
		if n == 0 {
			return nil // already bound: nothing changed
		}
		return bumpRevision(ctx, tx)
	})
}

// UnbindCertificate removes one binding.
func (a *Accessor) UnbindCertificate(ctx context.Context, accountID, instanceID, groupID, domainID, certificateID string) error {
	if !store.IsText(accountID, instanceID, groupID, domainID, certificateID) {
		return noBinding()
	}
	return a.write(ctx, "unbind certificate", func(tx Tx) error {
		n, err := tx.Exec(ctx, `DELETE FROM domain_certificates
			WHERE domain_id = ? AND certificate_id = ? AND account_id = ? AND instance_id = ? AND group_id = ?`,
			domainID, certificateID, accountID, instanceID, groupID)
		if err != nil {
			return err
		}
		if n == 0 {
			return noBinding()
		}
		return bumpRevision(ctx, tx)
	})
}

func noBinding() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoBinding, Message: "the certificate is not bound to this domain"}
}

// ListDomainBindings returns the bindings of one domain.
func (a *Accessor) ListDomainBindings(ctx context.Context, accountID, instanceID, groupID, domainID string) ([]*certgate.Binding, error) {
	if !store.IsText(accountID, instanceID, groupID, domainID) {
		return nil, nil
	}
	return a.listBindings(ctx, "SELECT "+bindingColumns+` FROM domain_certificates
		WHERE domain_id = ? AND account_id = ? AND instance_id = ? AND group_id = ? ORDER BY created_at, certificate_id`,
		domainID, accountID, instanceID, groupID)
}

// ListCertificateBindings returns the bindings of one certificate.
func (a *Accessor) ListCertificateBindings(ctx context.Context, accountID, certificateID string) ([]*certgate.Binding, error) {
	if !store.IsText(accountID, certificateID) {
		return nil, nil
	}
	return a.listBindings(ctx, "SELECT "+bindingColumns+` FROM domain_certificates
		WHERE certificate_id = ? AND account_id = ? ORDER BY created_at, domain_id`, certificateID, accountID)
}

func (a *Accessor) listBindings(ctx context.Context, query string, args ...any) ([]*certgate.Binding, error) {
	var out []*certgate.Binding
	err := a.read(ctx, "list bindings", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			var b certgate.Binding
			var created int64
			if err := s.Scan(&b.DomainID, &b.CertificateID, &b.AccountID, &b.InstanceID, &b.GroupID, &b.Algorithm, &created); err != nil {
				return err
			}
			b.CreatedAt = rowcodec.FromMicros(created)
			out = append(out, &b)
			return nil
		}, query, args...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
