package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store/internal/sqlstore"
)

// dialect is what SQLite tells the shared accessor: database/sql on one
// write connection and a read pool, BEGIN IMMEDIATE instead of row locks,
// SQLITE_BUSY retried, and the file's damage checked (damage.go).
type dialect struct{ db *DB }

// Begin starts a BEGIN IMMEDIATE transaction on the write connection.
// database/sql rolls a transaction back when the context it began with
// ends, even between the last statement and COMMIT; the accessor wants to
// decide that itself (see sqlstore.Write), so the transaction lives on a
// context that only BEGIN's wait for the lock shares with the caller's.
func (d dialect) Begin(ctx context.Context) (sqlstore.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tctx, end := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, end)
	tx, err := d.db.w.BeginTx(tctx, nil)
	stop()
	if err != nil {
		end()
		return nil, err
	}
	return &txn{q: querier{tx}, tx: tx, end: end, db: d.db}, nil
}

func (d dialect) Reader() sqlstore.Querier { return reader{querier{d.db.r}, d.db} }

// ForUpdate is empty: BEGIN IMMEDIATE already holds the database's write
// lock for the whole transaction, so a count read inside it cannot be
// overtaken by another writer.
func (dialect) ForUpdate() string { return "" }

// ForShare: see ForUpdate.
func (dialect) ForShare() string { return "" }

func (dialect) Retryable(err error) bool { return isBusy(err) }

// UniqueViolation returns SQLite's description of a UNIQUE or PRIMARY KEY
// failure, which names the columns ("UNIQUE constraint failed:
// certificates.account_id, ...").
func (dialect) UniqueViolation(err error) (string, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return "", false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return se.Error(), true
	}
	return "", false
}

// ForeignKeyViolation reports a FOREIGN KEY constraint failure: a token for
// a key that a concurrent delete removed.
func (dialect) ForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

func (d dialect) Wrap(op string, err error) error {
	if isCorrupt(err) {
		return d.db.corrupt(err)
	}
	return wrap(op, err)
}
func (dialect) Clean(err error) error { return err }

// CheckWrite refuses a write into a deleted or truncated file, which would
// be acknowledged and then lost.
func (d dialect) CheckWrite() error { return d.db.checkFile() }

// CheckRead refuses reads once damage is known, since new connections
// would read whatever file now has the path; a read that fails on a
// damaged file (a truncated one reads as corrupt) reports the damage, not
// the symptom.
func (d dialect) CheckRead(failed error) error {
	if failed == nil {
		return d.db.knownDamage()
	}
	if err := d.db.checkFile(); err != nil {
		return err
	}
	if isCorrupt(failed) {
		return d.db.corrupt(failed)
	}
	return nil
}

// wrap leaves contract errors alone and adds context to the others.
func wrap(op string, err error) error {
	if err == nil || certgate.AsError(err) != nil {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// isCorrupt reports whether err is SQLITE_CORRUPT or SQLITE_NOTADB (any
// extended code): the file's content is damaged.
func isCorrupt(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED (any extended
// code): another connection holds a lock, so trying again can succeed.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// sqlQuerier is what *sql.DB and *sql.Tx have in common.
type sqlQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querier adapts database/sql to sqlstore.Querier; SQLite takes ?
// placeholders as they are.
type querier struct{ q sqlQuerier }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return q.q.QueryRowContext(ctx, query, args...)
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// sqlRows drops the error of Close, which Err reports too.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// reader is the read pool, with the hottest query prepared.
type reader struct {
	querier
	db *DB
}

func (r reader) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if query == sqlstore.GetCertificateSQL && r.db.getCert != nil {
		return r.db.getCert.QueryRowContext(ctx, args...)
	}
	return r.querier.QueryRow(ctx, query, args...)
}

// txn is a write transaction; end releases its context.
type txn struct {
	q   querier
	tx  *sql.Tx
	end context.CancelFunc
	db  *DB
}

func (t *txn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return t.q.Exec(ctx, query, args...)
}

func (t *txn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return t.q.QueryRow(ctx, query, args...)
}

func (t *txn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return t.q.Query(ctx, query, args...)
}

// Commit commits; database/sql's COMMIT takes no context, and the
// transaction's own is not the caller's (see Begin).
func (t *txn) Commit(context.Context) error {
	defer t.end()
	// Even a failed COMMIT may have committed: either way, a request's read
	// point must not outlive it (cache.go).
	defer t.db.clock.bump()
	return t.tx.Commit()
}

func (t *txn) Rollback() {
	_ = t.tx.Rollback()
	t.end()
}
