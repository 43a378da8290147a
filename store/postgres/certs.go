package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

const certColumns = rowcodec.CertColumns

// certKey is the WHERE clause that pins a certificate to its scope and kind
// ($1..$4); every statement on one certificate uses it, so a caller can
// never touch another tenant's record even with a known id.
const certKey = "id = $1 AND account_id = $2 AND region = $3 AND kind = $4"

// getCertSQL is the hottest query; pgx prepares it once per connection.
const getCertSQL = "SELECT " + certColumns + " FROM certificates WHERE " + certKey

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
		return db.wrap("create certificate", err)
	}
	err = db.write(ctx, "create certificate", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx,
			`INSERT INTO cert_counts (account_id, region, kind, n) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`,
			c.Scope.AccountID, c.Scope.Region, string(c.Kind)); err != nil {
			return err
		}
		// Compare-and-add on one row: a concurrent creator blocks on the row
		// lock and, under READ COMMITTED, re-evaluates n < quota on the
		// committed value, so two creators cannot both take the last slot.
		// The CAST keeps the parameter BIGINT (a bare $4 <= 0 would be
		// inferred as INTEGER).
		tag, err := tx.Exec(ctx,
			`UPDATE cert_counts SET n = n + 1
			 WHERE account_id = $1 AND region = $2 AND kind = $3 AND (CAST($4 AS BIGINT) <= 0 OR n < $4)`,
			c.Scope.AccountID, c.Scope.Region, string(c.Kind), int64(quota))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return &certgate.Error{Code: certgate.ELimitExceeded,
				Message: fmt.Sprintf("certificate quota of %d reached", quota)}
		}
		_, err = tx.Exec(ctx, `INSERT INTO certificates (`+certColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
			c.ID, c.Scope.AccountID, c.Scope.Region, string(c.Kind), c.Name, c.Description,
			row.Tags, c.InstanceID, c.CertificatePEM, row.Key, c.SealKeyID, c.TrustedRootCA,
			c.CommonName, row.SANs, rowcodec.Micros(c.NotBefore), rowcodec.Micros(c.NotAfter), c.SerialNumber,
			c.SignatureAlgorithm, c.KeyAlgorithm, rowcodec.Micros(c.CreatedAt), rowcodec.Micros(c.UpdatedAt), int64(1))
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
		c, err = rowcodec.ScanCert(db.pool.QueryRow(ctx, getCertSQL, keyArgs(scope, kind, id)...))
		if errors.Is(err, pgx.ErrNoRows) {
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
	var a args
	where := listWhere(&a, q, true)
	limit := int64(q.Limit)
	if limit <= 0 {
		limit = math.MaxInt64 // no cap; kept a parameter so the SQL stays one shape
	}
	query := "SELECT " + certColumns + " FROM certificates" + where +
		" ORDER BY created_at, id LIMIT " + a.add(limit) + " OFFSET " + a.add(int64(max(q.Offset, 0)))

	var out []*certgate.Certificate
	err := db.read(ctx, "list certificates", func() error {
		out = out[:0]
		rows, err := db.pool.Query(ctx, query, a...)
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
	var a args
	where := listWhere(&a, q, false)
	var n int64
	err := db.read(ctx, "count certificates", func() error {
		return db.pool.QueryRow(ctx, "SELECT COUNT(*) FROM certificates"+where, a...).Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// args collects query parameters and numbers their placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// listWhere builds the WHERE clause of a list or count query; the cursor is
// only part of it for a list.
func listWhere(a *args, q store.ListQuery, cursor bool) string {
	var b strings.Builder
	b.WriteString(" WHERE account_id = " + a.add(q.Scope.AccountID) +
		" AND region = " + a.add(q.Scope.Region) + " AND kind = " + a.add(string(q.Kind)))
	for _, f := range []struct{ col, val string }{
		{"name", q.Name},
		{"common_name", q.CommonName},
		{"signature_algorithm", q.SignatureAlgorithm},
		{"key_algorithm", q.KeyAlgorithm},
		{"instance_id", q.InstanceID},
	} {
		if f.val != "" {
			b.WriteString(" AND " + f.col + " = " + a.add(f.val))
		}
	}
	switch q.Type {
	case store.TypeGlobal:
		b.WriteString(" AND instance_id = ''")
	case store.TypeInstance:
		b.WriteString(" AND instance_id <> ''")
	}
	if cursor && q.After != nil {
		// A row-value comparison, equal to SQLite's
		// created_at > ? OR (created_at = ? AND id > ?), but one that the
		// planner turns into a range scan of certificates_scope.
		b.WriteString(" AND (created_at, id) > (" + a.add(rowcodec.Micros(q.After.CreatedAt)) + ", " + a.add(q.After.ID) + ")")
	}
	return b.String()
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
		return db.wrap("update certificate", err)
	}
	err = db.write(ctx, "update certificate", func(tx pgx.Tx) error {
		a := args(keyArgs(c.Scope, c.Kind, c.ID)) // $1..$4, as in certKey
		tag, err := tx.Exec(ctx, `UPDATE certificates SET
			name = `+a.add(c.Name)+`, description = `+a.add(c.Description)+`, tags = `+a.add(row.Tags)+`,
			instance_id = `+a.add(c.InstanceID)+`, certificate_pem = `+a.add(c.CertificatePEM)+`,
			key_sealed = `+a.add(row.Key)+`, seal_key_id = `+a.add(c.SealKeyID)+`,
			trusted_root_ca = `+a.add(c.TrustedRootCA)+`, common_name = `+a.add(c.CommonName)+`,
			sans = `+a.add(row.SANs)+`, not_before = `+a.add(rowcodec.Micros(c.NotBefore))+`,
			not_after = `+a.add(rowcodec.Micros(c.NotAfter))+`, serial_number = `+a.add(c.SerialNumber)+`,
			signature_algorithm = `+a.add(c.SignatureAlgorithm)+`, key_algorithm = `+a.add(c.KeyAlgorithm)+`,
			updated_at = `+a.add(rowcodec.Micros(c.UpdatedAt))+`, version = version + 1
			WHERE `+certKey+` AND version = `+a.add(c.Version), a...)
		if err != nil {
			return certConflict(err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		// Nothing matched: tell a missing record from a stale version. A
		// concurrent writer may change the row between the two statements;
		// either answer then describes a state the row was really in.
		var v int64
		err = tx.QueryRow(ctx, "SELECT version FROM certificates WHERE "+certKey,
			keyArgs(c.Scope, c.Kind, c.ID)...).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
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
//
// The counter is decremented before the row is deleted (SQLite does the
// reverse; its writers are serialized, so order does not matter there):
// taking the counter row lock first, as CreateCertificate does, means a
// delete and a create of the same id cannot deadlock. A delete of a
// missing record rolls the decrement back.
func (db *DB) DeleteCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) error {
	if !store.IsText(scope.AccountID, scope.Region, string(kind), id) {
		return notFound()
	}
	return db.write(ctx, "delete certificate", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx,
			"UPDATE cert_counts SET n = n - 1 WHERE account_id = $1 AND region = $2 AND kind = $3 AND n > 0",
			scope.AccountID, scope.Region, string(kind)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM certificates WHERE "+certKey, keyArgs(scope, kind, id)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound()
		}
		return nil
	})
}

func notFound() error {
	return certgate.Errorf(certgate.ENotFound, "certificate not found")
}

// certConflict maps a uniqueness violation on certificates to EConflict.
func certConflict(err error) error {
	name, ok := uniqueViolation(err)
	if !ok {
		return err
	}
	switch name {
	case "certificates_name":
		return conflict("duplicate_name", "a certificate with this name already exists", err)
	case "certificates_pkey":
		return conflict("duplicate_id", "a certificate with this id already exists", err)
	}
	return err
}
