package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/certgate/certgate/store/internal/sqlstore"
)

// dialect is what PostgreSQL tells the shared accessor: pgx on a pool,
// READ COMMITTED with row locks (FOR UPDATE), serialization failures and
// deadlocks retried, errors sanitized and unreachable servers reported as
// EUnavailable (unavailable.go).
type dialect struct{ db *DB }

// Begin starts a READ COMMITTED transaction. pgx ties nothing to the
// context BeginTx is given beyond BEGIN itself, so the caller's is fine.
func (d dialect) Begin(ctx context.Context) (sqlstore.Tx, error) {
	tx, err := d.db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, err
	}
	return txn{querier{tx}, tx}, nil
}

func (d dialect) Reader() sqlstore.Querier { return querier{d.db.pool} }

func (dialect) ForUpdate() string { return " FOR UPDATE" }

// ForShare: see ForUpdate.
func (dialect) ForShare() string { return " FOR SHARE" }

// Retryable reports whether running the transaction again can succeed and
// cannot apply it twice: a serialization failure or deadlock (the server
// rolled it back), or an error pgx knows happened before anything was sent
// (a dead pooled connection).
func (dialect) Retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return pgconn.SafeToRetry(err)
}

// constraints maps the names of the unique constraints (migrations/) to
// the accessor's "table.column".
var constraints = map[string]string{
	"accounts_project_id_key":       "accounts.project_id",
	"accounts_pkey":                 "accounts.id",
	"access_keys_pkey":              "access_keys.id",
	"certificates_name":             "certificates.name",
	"certificates_pkey":             "certificates.id",
	"tokens_pkey":                   "tokens.hash",
	"instances_pkey":                "instances.id",
	"api_groups_pkey":               "api_groups.id",
	"api_groups_name":               "api_groups.name",
	"domains_pkey":                  "domains.id",
	"domains_http":                  "domains.name",
	"domains_https":                 "domains.name",
	"domain_certificates_algorithm": "domain_certificates.algorithm",
	"apis_pkey":                     "apis.id",
	"apis_name":                     "apis.name",
	"apis_route":                    "apis.route",
	"environments_pkey":             "environments.id",
	"environments_name":             "environments.name",
	"api_versions_pkey":             "api_versions.id",
	"rest_apis_pkey":                "rest_apis.id",
	"api_resources_pkey":            "api_resources.id",
	"api_methods_pkey":              "api_methods.resource_id api_methods.http_method",
	"api_deployments_pkey":          "api_deployments.id",
	"api_stages_pkey":               "api_stages.api_id api_stages.name",
}

// UniqueViolation reports a unique or primary key violation (23505) and
// names its constraint. The name comes from the error's constraint field,
// or its message where a server leaves the field empty.
func (dialect) UniqueViolation(err error) (string, bool) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return "", false
	}
	name := pe.ConstraintName
	if name == "" {
		// duplicate key value violates unique constraint "name"
		if _, after, ok := strings.Cut(pe.Message, `"`); ok {
			name, _, _ = strings.Cut(after, `"`)
		}
	}
	return constraints[name], true
}

// ForeignKeyViolation reports a foreign key violation (23503): a token for
// a key that a concurrent delete removed.
func (dialect) ForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

func (d dialect) Wrap(op string, err error) error { return d.db.wrap(op, err) }

// Clean drops the Detail (the duplicate key, the failing row) of a cause.
func (dialect) Clean(err error) error        { return sanitize(err, nil) }
func (dialect) CheckWrite() error            { return nil }
func (dialect) CheckRead(failed error) error { return nil }

// pgQuerier is what a pool, a connection and a transaction have in common.
type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier adapts pgx to sqlstore.Querier, numbering the placeholders.
type querier struct{ q pgQuerier }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, sqlstore.Number(query), args...)
	return tag.RowsAffected(), err
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return row{q.q.QueryRow(ctx, sqlstore.Number(query), args...)}
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return q.q.Query(ctx, sqlstore.Number(query), args...)
}

// row reports pgx.ErrNoRows as sql.ErrNoRows, as the accessor expects.
type row struct{ r pgx.Row }

func (r row) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sql.ErrNoRows
	}
	return err
}

// txn is a write transaction.
type txn struct {
	querier
	tx pgx.Tx
}

func (t txn) Commit(ctx context.Context) error { return t.tx.Commit(ctx) }

// Rollback ends a failed transaction. Its error is of no use: a broken
// connection is discarded by the pool, which also never reuses a
// connection still inside a transaction.
func (t txn) Rollback() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.tx.Rollback(ctx)
}
