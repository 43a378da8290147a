// Package sqlstore is the SQL accessor shared by the SQL backends
// (store/sqlite, store/postgres): every statement and rule of the store
// contract that does not depend on the database is written here once, over
// a small Dialect that each backend implements for what truly differs
// (placeholders, error classification, locking, busy and retry rules,
// connection checks). Row formats are in rowcodec.
//
// A backend embeds *Accessor in its handle, which gives it the store
// methods, and adds what is its own: Open, Ping, Close, migrations' SQL,
// backup, damage detection.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/certgate/certgate"
)

// Row is one result row; Scan reports sql.ErrNoRows when there is none,
// whatever the driver.
type Row interface{ Scan(dest ...any) error }

// Rows is a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs statements. Queries are written with ? placeholders; a
// dialect whose driver wants $n numbers them (see Number).
type Querier interface {
	// Exec runs a statement and returns the number of rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Tx is a write transaction.
type Tx interface {
	Querier
	// Commit commits. The runner gives it a context without the caller's
	// cancellation (see Write).
	Commit(ctx context.Context) error
	// Rollback ends a failed transaction; its error is of no use.
	Rollback()
}

// Dialect is what a backend tells the accessor about its database.
type Dialect interface {
	// Begin starts a write transaction. Its statements honour the ctx each
	// is given, but the transaction itself must not end when ctx is
	// cancelled: the runner decides, after the last statement, whether to
	// commit.
	Begin(ctx context.Context) (Tx, error)
	// Reader is what reads run on.
	Reader() Querier
	// ForUpdate is the suffix that locks the rows a SELECT in a write
	// transaction reads until it ends (" FOR UPDATE"), or "" when the write
	// transaction already excludes every other writer (SQLite's BEGIN
	// IMMEDIATE).
	ForUpdate() string
	// ForShare is the suffix that takes a shared lock on the rows a SELECT
	// reads (" FOR SHARE"): it waits for a writer that holds them FOR
	// UPDATE, and makes that writer wait. "" where ForUpdate is "".
	ForShare() string

	// Retryable reports whether running the transaction (or read) again can
	// succeed and cannot apply it twice.
	Retryable(err error) bool
	// UniqueViolation reports whether err is a unique or primary key
	// violation, and names what was violated so that it contains
	// "table.column" for each column of the constraint (for example
	// "certificates.name").
	UniqueViolation(err error) (string, bool)
	// ForeignKeyViolation reports whether err is a foreign key violation.
	ForeignKeyViolation(err error) bool
	// Wrap maps an error of op that is not a *certgate.Error (nil stays
	// nil, and contract errors pass unchanged) to what the caller sees.
	Wrap(op string, err error) error
	// Clean returns err fit to be the cause of a contract error (no row
	// data).
	Clean(err error) error

	// CheckWrite refuses a write the database cannot take safely.
	CheckWrite() error
	// CheckRead refuses a read before it starts (failed == nil), or
	// replaces the error of a failed read by a better diagnosis.
	CheckRead(failed error) error
}

// Policy bounds the retries of a transaction or read that failed with a
// retryable error.
type Policy struct {
	Retries int           // at most this many more attempts
	Backoff time.Duration // first wait, doubled each time, jittered
	Max     time.Duration // longest wait
}

// Accessor implements the store methods over a Dialect.
type Accessor struct {
	d Dialect
	p Policy
	g *group // nil: every write is a transaction of its own (group.go)
}

// New returns the accessor of d.
func New(d Dialect, p Policy) *Accessor { return &Accessor{d: d, p: p} }

// commitTimeout bounds a COMMIT, which runs without the caller's
// cancellation (see Write).
const commitTimeout = 30 * time.Second

// Write runs fn in a write transaction and commits it, retrying the whole
// transaction on a retryable error. A *certgate.Error from fn is returned
// unchanged; anything else goes through the dialect's Wrap with op. On a
// grouped accessor (NewGrouped) the transaction may be shared with
// concurrent writes, fn in a savepoint of its own, with the same outcome
// for the caller as alone (see group.go).
func Write(ctx context.Context, a *Accessor, op string, fn func(tx Tx) error) error {
	if err := a.d.CheckWrite(); err != nil {
		return err
	}
	if a.g != nil {
		if err := a.g.write(a, ctx, fn); err != errAlone {
			return a.d.Wrap(op, err)
		}
	}
	return a.d.Wrap(op, writeAlone(ctx, a, fn))
}

// writeAlone runs fn in a transaction of its own.
func writeAlone(ctx context.Context, a *Accessor, fn func(tx Tx) error) error {
	return Retry(ctx, a.p, a.d.Retryable, func() error {
		tx, err := a.d.Begin(ctx)
		if err != nil {
			return err
		}
		if err := call(fn, tx); err != nil {
			tx.Rollback()
			if p, ok := err.(panicked); ok {
				// Rolled back first: a transaction left open would hold
				// SQLite's only write connection for ever.
				panic(p.v)
			}
			return err
		}
		// Once COMMIT is sent its outcome must be known: cancelling it
		// half-way could commit on the server and still return an error,
		// and "a method that returns an error has written nothing". So
		// check ctx last, then commit without it.
		if err := ctx.Err(); err != nil {
			tx.Rollback()
			return err
		}
		if h, ok := ctx.Value(beforeCommitKey{}).(func()); ok {
			h()
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		defer cancel()
		return tx.Commit(cctx)
	})
}

// write is Write on a's own accessor.
func (a *Accessor) write(ctx context.Context, op string, fn func(tx Tx) error) error {
	return Write(ctx, a, op, fn)
}

// read runs fn on the reader, retrying on a retryable error.
func (a *Accessor) read(ctx context.Context, op string, fn func(q Querier) error) error {
	if err := a.d.CheckRead(nil); err != nil {
		return err
	}
	q := a.d.Reader()
	err := Retry(ctx, a.p, a.d.Retryable, func() error { return fn(q) })
	if err != nil && certgate.AsError(err) == nil {
		if d := a.d.CheckRead(err); d != nil {
			return d
		}
	}
	return a.d.Wrap(op, err)
}

// Retry calls fn until it returns something other than a retryable error,
// at most p.Retries more times, with a jittered exponential backoff.
func Retry(ctx context.Context, p Policy, retryable func(error) bool, fn func() error) error {
	backoff := p.Backoff
	for i := 0; ; i++ {
		err := fn()
		if err == nil || !retryable(err) || i == p.Retries || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(backoff/2 + rand.N(backoff))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff = min(2*backoff, p.Max)
	}
}

type beforeCommitKey struct{}

// WithBeforeCommit returns a ctx on which Write calls fn after the last
// statement and the last check of ctx, right before COMMIT. It exists for
// tests (storetest cancels the caller's context there); nothing else sets
// it, and the package is internal to store.
func WithBeforeCommit(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, beforeCommitKey{}, fn)
}

// noRows reports whether err says a single-row query found nothing.
func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// conflict builds the EConflict error for a uniqueness violation.
func (a *Accessor) conflict(reason, msg string, cause error) error {
	if cause != nil {
		cause = a.d.Clean(cause)
	}
	return &certgate.Error{Code: certgate.EConflict, Reason: reason, Message: msg, Err: cause}
}
