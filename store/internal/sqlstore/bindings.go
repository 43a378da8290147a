package sqlstore

import (
	"context"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const bindingColumns = "domain_id, certificate_id, account_id, instance_id, group_id, algorithm, created_at"

// ChangeBindings runs plan and its edit in one transaction that first takes
// the account row FOR UPDATE: that row is the account's binding lock, so
// two changes of one account (on any handles) never decide on the same
// state. Reads inside lock what they read: domains FOR UPDATE (DeleteDomain
// and DeleteGroup, which lock them first, wait or are waited for) and
// certificates FOR SHARE (DeleteCertificate locks its row FOR UPDATE before
// counting bindings, so it either sees this change's binding or this
// change finds the certificate gone). On SQLite BEGIN IMMEDIATE already
// serializes every writer.
//
// An account with no row has no instance, so no domain to bind: the lock is
// taken when the row exists and skipped otherwise (certificate updates of
// such scopes, which tests use, still run here).
func (a *Accessor) ChangeBindings(ctx context.Context, accountID string, plan func(tx store.BindingTx) (*store.BindingEdit, error)) error {
	if !store.IsText(accountID) {
		return noDomain()
	}
	var edit *store.BindingEdit
	err := a.write(ctx, "change bindings", func(tx Tx) error {
		if err := a.bindingLock(ctx, tx, accountID); err != nil {
			return err
		}
		var err error
		edit, err = plan(&bindingTx{ctx: ctx, a: a, q: tx, account: accountID})
		if err != nil || edit == nil {
			return err
		}
		return a.applyEdit(ctx, tx, accountID, edit)
	})
	if err != nil || edit == nil {
		return err
	}
	for _, d := range edit.Domains {
		d.Version++
	}
	if edit.Certificate != nil {
		edit.Certificate.Version++
	}
	return nil
}

// bindingLock takes the account's binding lock, its row FOR UPDATE, for the
// rest of tx. Every writer of an account's domains and bindings takes it
// first (ChangeBindings, DeleteDomain, DeleteGroup; DeleteAccount locks the
// same row), which gives them one lock order. A missing row is no error:
// such an account has no instance, so no domain to race on.
func (a *Accessor) bindingLock(ctx context.Context, tx Tx, accountID string) error {
	var one int
	if err := tx.QueryRow(ctx, "SELECT 1 FROM accounts WHERE id = ?"+a.d.ForUpdate(), accountID).Scan(&one); err != nil && !noRows(err) {
		return err
	}
	return nil
}

// applyEdit writes a plan's edit: unbinds first, so that one edit can swap
// the certificate of an algorithm.
func (a *Accessor) applyEdit(ctx context.Context, tx Tx, accountID string, e *store.BindingEdit) error {
	changed := false
	for _, b := range e.Unbind {
		if b == nil || !store.IsText(b.DomainID, b.CertificateID) {
			return noBinding()
		}
		n, err := tx.Exec(ctx, "DELETE FROM domain_certificates WHERE domain_id = ? AND certificate_id = ? AND account_id = ?",
			b.DomainID, b.CertificateID, accountID)
		if err != nil {
			return err
		}
		if n == 0 {
			return noBinding()
		}
		changed = true
	}
	for _, b := range e.Bind {
		if b == nil || !store.IsText(b.DomainID, b.CertificateID, b.InstanceID, b.GroupID, b.Algorithm) {
			return noDomain()
		}
		// The plan read both rows through the transaction, but the insert
		// checks them again: a binding never names a domain or a
		// certificate of another account, whatever a plan returns.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM domains WHERE "+domainKey+a.d.ForUpdate(),
			b.DomainID, accountID, b.InstanceID, b.GroupID).Scan(&one)
		if noRows(err) {
			return noDomain()
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, "SELECT 1 FROM certificates WHERE "+certKey+a.d.ForShare(),
			keyArgs(certgate.Scope{AccountID: accountID}, certgate.KindServer, b.CertificateID)...).Scan(&one)
		if noRows(err) {
			return noCertificate()
		}
		if err != nil {
			return err
		}
		n, err := tx.Exec(ctx, "INSERT INTO domain_certificates ("+bindingColumns+") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (domain_id, certificate_id) DO NOTHING",
			b.DomainID, b.CertificateID, accountID, b.InstanceID, b.GroupID, b.Algorithm, rowcodec.Micros(b.CreatedAt))
		if err != nil {
			return a.algorithmConflict(err)
		}
		changed = changed || n > 0
	}
	for _, d := range e.Domains {
		if d == nil || d.AccountID != accountID {
			return domainNotFound()
		}
		if err := a.updateDomain(ctx, tx, d); err != nil {
			return err
		}
		changed = true
	}
	if c := e.Certificate; c != nil {
		if c.Scope.AccountID != accountID {
			return certNotFound()
		}
		row, err := a.encode("update certificate", c)
		if err != nil {
			return err
		}
		if err := a.updateCertificate(ctx, tx, c, row); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE domain_certificates SET algorithm = ? WHERE certificate_id = ? AND account_id = ? AND algorithm <> ?",
			c.KeyAlgorithm, c.ID, accountID, c.KeyAlgorithm); err != nil {
			return a.algorithmConflict(err)
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return bumpRevision(ctx, tx)
}

func (a *Accessor) algorithmConflict(err error) error {
	return a.uniqueConflict(err, []violation{
		{"domain_certificates.algorithm", "algorithm_taken", "the domain already has a certificate of this algorithm"},
	})
}

// bindingTx is store.BindingTx on one transaction.
type bindingTx struct {
	ctx     context.Context
	a       *Accessor
	q       Querier
	account string
}

func noCertificate() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoCertificate, Message: "certificate not found"}
}

func (b *bindingTx) Certificate(id string) (*certgate.Certificate, error) {
	if !store.IsText(id) {
		return nil, noCertificate()
	}
	c, err := rowcodec.ScanCert(b.q.QueryRow(b.ctx, GetCertificateSQL+b.a.d.ForShare(),
		keyArgs(certgate.Scope{AccountID: b.account}, certgate.KindServer, id)...))
	if noRows(err) {
		return nil, noCertificate()
	}
	if err != nil {
		return nil, err
	}
	c.KeySealed = nil
	return c, nil
}

func (b *bindingTx) Domain(instanceID, groupID, id string) (*store.Served, error) {
	if !store.IsText(instanceID, groupID, id) {
		return nil, noDomain()
	}
	ds, err := b.domains("SELECT "+domainColumns+" FROM domains WHERE "+domainKey, id, b.account, instanceID, groupID)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, noDomain()
	}
	return ds[0], nil
}

func (b *bindingTx) DomainsNamed(name string, instanceIDs []string) ([]*store.Served, error) {
	if !store.IsText(name) || !store.IsText(instanceIDs...) {
		return nil, nil
	}
	query := "SELECT " + domainColumns + " FROM domains WHERE account_id = ? AND name = ?"
	args := []any{b.account, name}
	if len(instanceIDs) > 0 {
		query += " AND instance_id IN (?" + strings.Repeat(", ?", len(instanceIDs)-1) + ")"
		for _, id := range instanceIDs {
			args = append(args, id)
		}
	}
	return b.domains(query+" ORDER BY created_at, id", args...)
}

func (b *bindingTx) Holding(certificateID string) ([]*store.Served, error) {
	if !store.IsText(certificateID) {
		return nil, nil
	}
	return b.domains(HoldingDomainsSQL,
		b.account, certificateID, b.account)
}

// domains reads the domains query selects, locked, each with its
// certificates.
func (b *bindingTx) domains(query string, args ...any) ([]*store.Served, error) {
	var out []*store.Served
	err := each(b.ctx, b.q, func(s rowcodec.Scanner) error {
		d, err := scanDomain(s)
		if err == nil {
			out = append(out, &store.Served{Domain: d})
		}
		return err
	}, query+b.a.d.ForUpdate(), args...)
	if err != nil {
		return nil, err
	}
	for _, sv := range out {
		var ids []string
		err := each(b.ctx, b.q, func(s rowcodec.Scanner) error {
			var id string
			err := s.Scan(&id)
			ids = append(ids, id)
			return err
		}, DomainCertificatesSQL,
			sv.Domain.ID, b.account)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			c, err := b.Certificate(id)
			if err != nil {
				return nil, err
			}
			sv.Certificates = append(sv.Certificates, c)
		}
	}
	return out, nil
}

func noDomain() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoDomain, Message: "domain not found"}
}

func noBinding() error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonNoBinding, Message: "the certificate is not bound to this domain"}
}

// ListDomainBindings returns the bindings of one domain.
func (a *Accessor) ListDomainBindings(ctx context.Context, accountID, instanceID, groupID, domainID string) ([]*certgate.Binding, error) {
	if !store.IsText(accountID, instanceID, groupID, domainID) {
		return nil, nil
	}
	return a.listBindings(ctx, ListDomainBindingsSQL,
		domainID, accountID, instanceID, groupID)
}

// ListCertificateBindings returns the bindings of one certificate.
func (a *Accessor) ListCertificateBindings(ctx context.Context, accountID, certificateID string) ([]*certgate.Binding, error) {
	if !store.IsText(accountID, certificateID) {
		return nil, nil
	}
	return a.listBindings(ctx, ListCertificateBindingsSQL, certificateID, accountID)
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
