package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const certColumns = rowcodec.CertColumns

// certKey is the WHERE clause that pins a certificate to its scope and kind;
// every statement on one certificate uses it, so a caller can never touch
// another tenant's record even with a known id.
const certKey = "id = ? AND account_id = ? AND region = ? AND kind = ?"

// GetCertificateSQL is the hottest query (every Get, tag and update reads
// one record); a dialect may prepare it once.
const GetCertificateSQL = "SELECT " + certColumns + " FROM certificates WHERE " + certKey

func keyArgs(scope certgate.Scope, kind certgate.Kind, id string) []any {
	return []any{id, scope.AccountID, scope.Region, string(kind)}
}

// CreateCertificate inserts c, enforcing the quota of its scope and kind
// through the cert_counts row in the same transaction.
func (a *Accessor) CreateCertificate(ctx context.Context, c *certgate.Certificate, quota int) error {
	row, err := a.encode("create certificate", c)
	if err != nil {
		return err
	}
	err = a.write(ctx, "create certificate", func(tx Tx) error {
		if err := a.refuseDeletedAccount(ctx, tx, c.Scope.AccountID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx,
			`INSERT INTO cert_counts (account_id, region, kind, n) VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING`,
			c.Scope.AccountID, c.Scope.Region, string(c.Kind)); err != nil {
			return err
		}
		// Compare-and-add on one row: the check and the increment are one
		// statement, so concurrent creators cannot both take the last slot
		// (SQLite serializes writers; on PostgreSQL a concurrent creator
		// blocks on the row lock and, under READ COMMITTED, re-evaluates
		// n < quota on the committed value). The CAST keeps the parameter
		// BIGINT on PostgreSQL (a bare ? <= 0 would be inferred as INTEGER).
		n, err := tx.Exec(ctx,
			`UPDATE cert_counts SET n = n + 1
			 WHERE account_id = ? AND region = ? AND kind = ? AND (CAST(? AS BIGINT) <= 0 OR n < ?)`,
			c.Scope.AccountID, c.Scope.Region, string(c.Kind), int64(quota), int64(quota))
		if err != nil {
			return err
		}
		if n == 0 {
			return &certgate.Error{Code: certgate.ELimitExceeded,
				Message: fmt.Sprintf("certificate quota of %d reached", quota)}
		}
		_, err = tx.Exec(ctx, `INSERT INTO certificates (`+certColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Scope.AccountID, c.Scope.Region, string(c.Kind), c.Name, c.Description,
			row.Tags, c.InstanceID, c.CertificatePEM, row.Key, c.SealKeyID, c.TrustedRootCA,
			c.CommonName, row.SANs, rowcodec.Micros(c.NotBefore), rowcodec.Micros(c.NotAfter), c.SerialNumber,
			c.SignatureAlgorithm, c.KeyAlgorithm, rowcodec.Micros(c.CreatedAt), rowcodec.Micros(c.UpdatedAt), int64(1))
		if err != nil {
			return a.certConflict(err)
		}
		return bumpRevision(ctx, tx)
	})
	if err != nil {
		return err
	}
	c.Version = 1
	return nil
}

// encode checks c for a write and returns its stored form.
func (a *Accessor) encode(op string, c *certgate.Certificate) (rowcodec.Encoded, error) {
	if c == nil || c.ID == "" {
		return rowcodec.Encoded{}, certgate.Errorf(certgate.EInvalid, "certificate id is required")
	}
	if err := store.CheckCertificateText(c); err != nil {
		return rowcodec.Encoded{}, err
	}
	row, err := rowcodec.EncodeCert(c)
	if err != nil {
		return rowcodec.Encoded{}, a.d.Wrap(op, err)
	}
	return row, nil
}

// GetCertificate returns the record with this id in this scope and kind.
func (a *Accessor) GetCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) (*certgate.Certificate, error) {
	if !store.IsText(scope.AccountID, scope.Region, string(kind), id) {
		return nil, certNotFound()
	}
	var c *certgate.Certificate
	err := a.read(ctx, "get certificate", func(q Querier) error {
		var err error
		c, err = rowcodec.ScanCert(q.QueryRow(ctx, GetCertificateSQL, keyArgs(scope, kind, id)...))
		if noRows(err) {
			return certNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ListCertificates returns one page of records in (CreatedAt, ID) order.
func (a *Accessor) ListCertificates(ctx context.Context, q store.ListQuery) ([]*certgate.Certificate, error) {
	if q.MatchesNothing() {
		return nil, nil
	}
	query, args := CertListSQL(q)
	return a.listCerts(ctx, "list certificates", query, args...)
}

// listCerts reads the certificates a query selects with certColumns.
func (a *Accessor) listCerts(ctx context.Context, op, query string, args ...any) ([]*certgate.Certificate, error) {
	var out []*certgate.Certificate
	err := a.read(ctx, op, func(qr Querier) error {
		out = out[:0]
		rows, err := qr.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := rowcodec.ScanCert(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountCertificates counts the records matching q's scope, kind and filters.
func (a *Accessor) CountCertificates(ctx context.Context, q store.ListQuery) (int64, error) {
	if q.MatchesNothing() {
		return 0, nil
	}
	query, args := CertCountSQL(q)
	var n int64
	err := a.read(ctx, "count certificates", func(qr Querier) error {
		return qr.QueryRow(ctx, query, args...).Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// UpdateCertificate replaces the mutable fields of the stored record if its
// version still equals c.Version.
func (a *Accessor) UpdateCertificate(ctx context.Context, c *certgate.Certificate) error {
	row, err := a.encode("update certificate", c)
	if err != nil {
		return err
	}
	err = a.write(ctx, "update certificate", func(tx Tx) error {
		if err := a.updateCertificate(ctx, tx, c, row); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
	if err != nil {
		return err
	}
	c.Version++
	return nil
}

// updateCertificate is UpdateCertificate's write, in tx.
func (a *Accessor) updateCertificate(ctx context.Context, tx Tx, c *certgate.Certificate, row rowcodec.Encoded) error {
	args := []any{c.Name, c.Description, row.Tags, c.InstanceID, c.CertificatePEM, row.Key,
		c.SealKeyID, c.TrustedRootCA, c.CommonName, row.SANs, rowcodec.Micros(c.NotBefore),
		rowcodec.Micros(c.NotAfter), c.SerialNumber, c.SignatureAlgorithm, c.KeyAlgorithm,
		rowcodec.Micros(c.UpdatedAt)}
	args = append(args, keyArgs(c.Scope, c.Kind, c.ID)...)
	args = append(args, c.Version)
	n, err := tx.Exec(ctx, `UPDATE certificates SET
		name = ?, description = ?, tags = ?, instance_id = ?, certificate_pem = ?,
		key_sealed = ?, seal_key_id = ?, trusted_root_ca = ?, common_name = ?, sans = ?,
		not_before = ?, not_after = ?, serial_number = ?, signature_algorithm = ?,
		key_algorithm = ?, updated_at = ?, version = version + 1
		WHERE `+certKey+` AND version = ?`, args...)
	if err != nil {
		return a.certConflict(err)
	}
	if n == 1 {
		return nil
	}
	// Nothing matched: tell a missing record from a stale version. A
	// concurrent writer may change the row between the two statements
	// (not on SQLite, whose write lock is held); either answer then
	// describes a state the row was really in.
	var v int64
	err = tx.QueryRow(ctx, "SELECT version FROM certificates WHERE "+certKey,
		keyArgs(c.Scope, c.Kind, c.ID)...).Scan(&v)
	if noRows(err) {
		return certNotFound()
	}
	if err != nil {
		return err
	}
	return &certgate.Error{Code: certgate.EConflict, Reason: "version",
		Message: "certificate was modified concurrently"}
}

// DeleteCertificate removes the record and gives its quota slot back.
//
// The counter is decremented before the row is deleted: taking the counter
// row lock first, as CreateCertificate does, means that on PostgreSQL a
// delete and a create of the same id cannot deadlock. A delete of a missing
// record rolls the decrement back.
func (a *Accessor) DeleteCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) error {
	if !store.IsText(scope.AccountID, scope.Region, string(kind), id) {
		return certNotFound()
	}
	return a.write(ctx, "delete certificate", func(tx Tx) error {
		if _, err := tx.Exec(ctx,
			"UPDATE cert_counts SET n = n - 1 WHERE account_id = ? AND region = ? AND kind = ? AND n > 0",
			scope.AccountID, scope.Region, string(kind)); err != nil {
			return err
		}
		// The row lock waits for a BindCertificate in flight (which holds
		// the row FOR SHARE), so the count below sees its binding.
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM certificates WHERE "+certKey+a.d.ForUpdate(), keyArgs(scope, kind, id)...).Scan(&one)
		if noRows(err) {
			return certNotFound()
		}
		if err != nil {
			return err
		}
		var bound int64
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM domain_certificates WHERE certificate_id = ? AND account_id = ?",
			id, scope.AccountID).Scan(&bound); err != nil {
			return err
		}
		if bound > 0 {
			return &certgate.Error{Code: certgate.EConflict, Reason: store.ReasonCertificateBound, Got: int(bound),
				Message: fmt.Sprintf("the certificate is bound to %d domain(s); unbind it first", bound)}
		}
		if kind == certgate.KindClient {
			stage, err := stageUsing(ctx, tx, scope, id)
			if err != nil {
				return err
			}
			if stage != "" {
				return &certgate.Error{Code: certgate.EConflict, Reason: store.ReasonCertificateInUse, Value: certgate.Clip(stage),
					Message: "the client certificate is used by stage " + certgate.Clip(stage)}
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM certificates WHERE "+certKey, keyArgs(scope, kind, id)...); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
}

func certNotFound() error {
	return certgate.Errorf(certgate.ENotFound, "certificate not found")
}

// certConflict maps a uniqueness violation on certificates to EConflict.
func (a *Accessor) certConflict(err error) error {
	return a.uniqueConflict(err, []violation{
		{"certificates.name", "duplicate_name", "a certificate with this name already exists"},
		{"certificates.id", "duplicate_id", "a certificate with this id already exists"},
	})
}

// violation is the EConflict a uniqueness violation on a column maps to.
type violation struct{ column, reason, msg string }

// uniqueConflict maps a uniqueness violation to the EConflict of the first
// of vs whose column it names; any other error is returned as it is.
func (a *Accessor) uniqueConflict(err error, vs []violation) error {
	desc, ok := a.d.UniqueViolation(err)
	if !ok {
		return err
	}
	for _, v := range vs {
		if strings.Contains(desc, v.column) {
			return a.conflict(v.reason, v.msg, err)
		}
	}
	return err
}

// refuseDeletedAccount fails a create for an account that was deleted: a
// request authenticated before the delete (its key still cached on some
// node) must not leave a certificate behind that no command can reach. The
// shared lock on the account row orders this against DeleteAccount, which
// locks the row FOR UPDATE first: either the delete waits for this create
// (and removes its certificate), or this create waits for the delete and
// then finds the tombstone. A scope with no account row and no tombstone is
// allowed: the contract leaves account existence to the core.
func (a *Accessor) refuseDeletedAccount(ctx context.Context, tx Tx, accountID string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM accounts WHERE id = ?"+a.d.ForShare(), accountID).Scan(&one)
	if err == nil {
		return nil
	}
	if !noRows(err) {
		return err
	}
	var deleted int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM meta WHERE key = ?", store.DeletedAccountKey(accountID)).Scan(&deleted); err != nil {
		return err
	}
	if deleted > 0 {
		return &certgate.Error{Code: certgate.ENotFound, Reason: store.ReasonDeletedAccount, Message: "the account was deleted"}
	}
	return nil
}
