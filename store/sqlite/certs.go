package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
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

func keyArgs(scope certgate.Scope, kind certgate.Kind, id string) []any {
	return []any{id, scope.AccountID, scope.Region, string(kind)}
}

// CreateCertificate inserts c, enforcing the quota of its scope and kind
// through the cert_counts row in the same transaction.
func (db *DB) CreateCertificate(ctx context.Context, c *certgate.Certificate, quota int) error {
	if c == nil || c.ID == "" {
		return certgate.Errorf(certgate.EInvalid, "certificate id is required")
	}
	if err := store.CheckCertificateText(c); err != nil {
		return err
	}
	row, err := rowcodec.EncodeCert(c)
	if err != nil {
		return wrap("create certificate", err)
	}
	err = db.write(ctx, "create certificate", func(tx *sql.Tx) error {
		scope := []any{c.Scope.AccountID, c.Scope.Region, string(c.Kind)}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO cert_counts (account_id, region, kind, n) VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING`,
			scope...); err != nil {
			return err
		}
		// Compare-and-add on one row: the check and the increment are one
		// statement, so concurrent creators cannot both take the last slot.
		res, err := tx.ExecContext(ctx,
			`UPDATE cert_counts SET n = n + 1
			 WHERE account_id = ? AND region = ? AND kind = ? AND (? <= 0 OR n < ?)`,
			append(scope, quota, quota)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return &certgate.Error{Code: certgate.ELimitExceeded,
				Message: fmt.Sprintf("certificate quota of %d reached", quota)}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO certificates (`+certColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Scope.AccountID, c.Scope.Region, string(c.Kind), c.Name, c.Description,
			row.Tags, c.InstanceID, c.CertificatePEM, row.Key, c.SealKeyID, c.TrustedRootCA,
			c.CommonName, row.SANs, rowcodec.Micros(c.NotBefore), rowcodec.Micros(c.NotAfter), c.SerialNumber,
			c.SignatureAlgorithm, c.KeyAlgorithm, rowcodec.Micros(c.CreatedAt), rowcodec.Micros(c.UpdatedAt), 1)
		return certConflict(err)
	})
	if err != nil {
		return err
	}
	c.Version = 1
	return nil
}

// GetCertificate returns the record with this id in this scope and kind.
func (db *DB) GetCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) (*certgate.Certificate, error) {
	if !store.IsText(scope.AccountID, scope.Region, string(kind), id) {
		return nil, notFound()
	}
	var c *certgate.Certificate
	err := db.read(ctx, "get certificate", func() error {
		var err error
		c, err = rowcodec.ScanCert(db.getCert.QueryRowContext(ctx, keyArgs(scope, kind, id)...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ListCertificates returns one page of records in (CreatedAt, ID) order.
func (db *DB) ListCertificates(ctx context.Context, q store.ListQuery) ([]*certgate.Certificate, error) {
	if q.MatchesNothing() {
		return nil, nil
	}
	where, args := listWhere(q, true)
	limit := int64(q.Limit)
	if limit <= 0 {
		// OFFSET needs a LIMIT in SQLite; MaxInt64 means none in PostgreSQL too.
		limit = math.MaxInt64
	}
	args = append(args, limit, max(q.Offset, 0))
	query := "SELECT " + certColumns + " FROM certificates" + where +
		" ORDER BY created_at, id LIMIT ? OFFSET ?"

	var out []*certgate.Certificate
	err := db.read(ctx, "list certificates", func() error {
		out = out[:0]
		rows, err := db.r.QueryContext(ctx, query, args...)
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
func (db *DB) CountCertificates(ctx context.Context, q store.ListQuery) (int64, error) {
	if q.MatchesNothing() {
		return 0, nil
	}
	where, args := listWhere(q, false)
	var n int64
	err := db.read(ctx, "count certificates", func() error {
		return db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM certificates"+where, args...).Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// listWhere builds the WHERE clause of a list or count query; the cursor is
// only part of it for a list.
func listWhere(q store.ListQuery, cursor bool) (string, []any) {
	var b strings.Builder
	args := []any{q.Scope.AccountID, q.Scope.Region, string(q.Kind)}
	b.WriteString(" WHERE account_id = ? AND region = ? AND kind = ?")
	for _, f := range []struct{ col, val string }{
		{"name", q.Name},
		{"common_name", q.CommonName},
		{"signature_algorithm", q.SignatureAlgorithm},
		{"key_algorithm", q.KeyAlgorithm},
		{"instance_id", q.InstanceID},
	} {
		if f.val != "" {
			b.WriteString(" AND " + f.col + " = ?")
			args = append(args, f.val)
		}
	}
	switch q.Type {
	case store.TypeGlobal:
		b.WriteString(" AND instance_id = ''")
	case store.TypeInstance:
		b.WriteString(" AND instance_id <> ''")
	}
	if cursor && q.After != nil {
		at := rowcodec.Micros(q.After.CreatedAt)
		b.WriteString(" AND (created_at > ? OR (created_at = ? AND id > ?))")
		args = append(args, at, at, q.After.ID)
	}
	return b.String(), args
}

// UpdateCertificate replaces the mutable fields of the stored record if its
// version still equals c.Version.
func (db *DB) UpdateCertificate(ctx context.Context, c *certgate.Certificate) error {
	if c == nil || c.ID == "" {
		return certgate.Errorf(certgate.EInvalid, "certificate id is required")
	}
	if err := store.CheckCertificateText(c); err != nil {
		return err
	}
	row, err := rowcodec.EncodeCert(c)
	if err != nil {
		return wrap("update certificate", err)
	}
	err = db.write(ctx, "update certificate", func(tx *sql.Tx) error {
		args := []any{c.Name, c.Description, row.Tags, c.InstanceID, c.CertificatePEM, row.Key,
			c.SealKeyID, c.TrustedRootCA, c.CommonName, row.SANs, rowcodec.Micros(c.NotBefore),
			rowcodec.Micros(c.NotAfter), c.SerialNumber, c.SignatureAlgorithm, c.KeyAlgorithm,
			rowcodec.Micros(c.UpdatedAt)}
		args = append(args, keyArgs(c.Scope, c.Kind, c.ID)...)
		args = append(args, c.Version)
		res, err := tx.ExecContext(ctx, `UPDATE certificates SET
			name = ?, description = ?, tags = ?, instance_id = ?, certificate_pem = ?,
			key_sealed = ?, seal_key_id = ?, trusted_root_ca = ?, common_name = ?, sans = ?,
			not_before = ?, not_after = ?, serial_number = ?, signature_algorithm = ?,
			key_algorithm = ?, updated_at = ?, version = version + 1
			WHERE `+certKey+` AND version = ?`, args...)
		if err != nil {
			return certConflict(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			return nil
		}
		// Nothing matched: tell a missing record from a stale version. The
		// write lock is held, so the answer cannot change under us.
		var v int64
		err = tx.QueryRowContext(ctx, "SELECT version FROM certificates WHERE "+certKey,
			keyArgs(c.Scope, c.Kind, c.ID)...).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound()
		}
		if err != nil {
			return err
		}
		return &certgate.Error{Code: certgate.EConflict, Reason: "version",
			Message: "certificate was modified concurrently"}
	})
	if err != nil {
		return err
	}
	c.Version++
	return nil
}

// DeleteCertificate removes the record and gives its quota slot back.
func (db *DB) DeleteCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) error {
	if !store.IsText(scope.AccountID, scope.Region, string(kind), id) {
		return notFound()
	}
	return db.write(ctx, "delete certificate", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM certificates WHERE "+certKey, keyArgs(scope, kind, id)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound()
		}
		_, err = tx.ExecContext(ctx,
			"UPDATE cert_counts SET n = n - 1 WHERE account_id = ? AND region = ? AND kind = ? AND n > 0",
			scope.AccountID, scope.Region, string(kind))
		return err
	})
}

func notFound() error {
	return certgate.Errorf(certgate.ENotFound, "certificate not found")
}

// certConflict maps a uniqueness violation on certificates to EConflict.
func certConflict(err error) error {
	desc, ok := uniqueViolation(err)
	if !ok {
		return err
	}
	switch {
	case strings.Contains(desc, "certificates.name"):
		return conflict("duplicate_name", "a certificate with this name already exists", err)
	case strings.Contains(desc, "certificates.id"):
		return conflict("duplicate_id", "a certificate with this id already exists", err)
	}
	return err
}
