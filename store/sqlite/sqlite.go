// Package sqlite is the embedded default backend of store.Store: a single
// SQLite file, pure Go (modernc.org/sqlite, no cgo).
//
// The database runs in WAL mode with synchronous=FULL, so a write is on disk
// when its method returns and survives kill -9 and power loss. Each handle
// keeps one write connection, whose transactions start with BEGIN IMMEDIATE
// so that writers (goroutines, handles, processes) queue on SQLite's lock via
// busy_timeout instead of failing on a lock upgrade, and a small pool of
// read-only connections that WAL lets run beside the writer. Concurrent
// writes of one handle share a transaction (each in its own savepoint) and
// its fsync, and each is acknowledged only after that COMMIT.
//
// The DML is shared with store/postgres in store/internal/sqlstore (plain
// types, ON CONFLICT DO NOTHING, no SQLite functions); what is SQLite's own
// is in dialect.go. The schema, in migrations/, is SQLite's own.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/sqlstore"
)

// busyTimeout is how long SQLite itself waits for another connection's lock.
const busyTimeout = 10 * time.Second

// readConns caps the read pool. Reads are short point or index queries, so a
// few connections are enough and keep file descriptors low.
const readConns = 4

// retryPolicy bounds the retries of an operation that still failed with
// SQLITE_BUSY after busy_timeout: SQLite skips the busy handler in a few
// cases (WAL recovery, a stale snapshot), and the contract does not let such
// a transient error reach the caller.
var retryPolicy = sqlstore.Policy{Retries: 8, Backoff: 5 * time.Millisecond, Max: 500 * time.Millisecond}

// groupMax bounds how many concurrent writes share one transaction and its
// fsync (group commit, see sqlstore.NewGrouped): with one writer connection
// the fsyncs would otherwise be serial. The bound keeps a batch, and so
// the wait of its first member, short.
const groupMax = 64

// DB is a Store on one SQLite file. It is safe for concurrent use, and any
// number of DB handles, in one process or several, may share a file.
//
// Returned records own their memory. Empty Tags come back as an empty,
// non-nil map; empty SANs and KeySealed come back as nil.
type DB struct {
	*sqlstore.Accessor // the store methods, over dialect (dialect.go)

	path string
	w    *sql.DB // one connection; every write transaction goes here
	r    *sql.DB // read-only pool

	watch watch // the file's identity, to notice it deleted or truncated (damage.go)

	readCache // point reads served from memory while nothing was committed (cache.go)

	// getCert is the hottest query (every Get, tag and update reads one
	// record); preparing it once saves about half its cost.
	getCert *sql.Stmt
}

var (
	_ store.Store       = (*DB)(nil)
	_ store.ServingView = (*DB)(nil)
)

// Open opens (creating if needed) the database file at path, applies
// pragmas, runs embedded migrations, and returns a handle. Parent directory
// is created with 0700 if missing; the db file ends up 0600.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, certgate.Errorf(certgate.EInvalid, "sqlite: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := probeBeforeOpen(abs); err != nil {
		return nil, err
	}
	// Create the file ourselves: SQLite would use 0644, and it gives the -wal
	// and -shm files the mode of the database file, so this covers them too.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if fi.Mode().Perm() != 0o600 {
		// The file holds sealed keys and account data: owner only.
		if err := os.Chmod(abs, 0o600); err != nil {
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
	}

	db := &DB{path: abs}
	db.Accessor = sqlstore.NewGrouped(dialect{db}, retryPolicy, groupMax)
	// Pragmas go in the DSN because they are per connection and database/sql
	// may open a new connection at any time.
	common := "_pragma=" + url.QueryEscape(fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	wdsn := fileURI(abs) + "?" + common +
		"&_pragma=" + url.QueryEscape("journal_mode(WAL)") +
		"&_pragma=" + url.QueryEscape("synchronous(FULL)") +
		"&_pragma=" + url.QueryEscape("foreign_keys(1)") +
		"&_txlock=immediate"
	rdsn := fileURI(abs) + "?" + common +
		"&_pragma=" + url.QueryEscape("query_only(1)")

	if db.w, err = sql.Open("sqlite", wdsn); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)

	if db.r, err = sql.Open("sqlite", rdsn); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.r.SetMaxOpenConns(readConns + 1) // one more for the read cache's clock
	db.r.SetMaxIdleConns(readConns + 1)
	db.clock.pool = db.r

	if err := db.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.remember(); err != nil {
		db.Close()
		return nil, err
	}
	if db.getCert, err = db.r.PrepareContext(ctx, sqlstore.GetCertificateSQL); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	return db, nil
}

// init checks the connection settings took effect and migrates the schema.
func (db *DB) init(ctx context.Context) error {
	var mode string
	// The first connection may have to take the database into WAL mode,
	// which needs an exclusive lock. Each attempt already waits
	// busy_timeout, so the retries are bounded by about one: a lock held
	// that long is another process's, and retrying would only make the
	// caller wait minutes (as with a file truncated under a live server).
	ictx, cancel := context.WithTimeout(ctx, busyTimeout)
	defer cancel()
	err := sqlstore.Retry(ictx, retryPolicy, isBusy, func() error {
		return db.w.QueryRowContext(ictx, "PRAGMA journal_mode").Scan(&mode)
	})
	if err != nil {
		if isBusy(err) || ictx.Err() != nil {
			return fmt.Errorf("sqlite: open %s: the database stayed locked by another process for %v: %w", db.path, busyTimeout, err)
		}
		return fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	// WAL is what makes readers and the writer independent; some file
	// systems (network mounts) cannot do it, and we would rather fail loudly.
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: open %s: journal_mode is %q, want wal", db.path, mode)
	}
	if err := db.migrate(ctx); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	return nil
}

// fileURI turns an absolute path into a SQLite URI filename, escaping the
// characters ('?', '#', '%') that would otherwise end or alter the path.
func fileURI(abs string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	if !strings.HasPrefix(u.Path, "/") { // Windows drive letter
		u.Path = "/" + u.Path
	}
	return "file:" + u.EscapedPath()
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers on both pools, and that its file
// is still the one the handle opened, whole.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.checkFile(); err != nil {
		return err
	}
	for _, p := range []*sql.DB{db.r, db.w} {
		var one int
		if err := p.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			return fmt.Errorf("sqlite: ping: %w", err)
		}
	}
	return nil
}

// Close releases the handle. It does not affect other handles, and closing
// twice is harmless.
//
// A handle that found its file damaged closes nothing: SQLite's last close
// checkpoints the write-ahead log into the file at the path and deletes the
// log, which would write into a file that is not (or no longer) the
// database and throw away the only intact copy of the recent writes. The
// connections then go with the process, as in a crash, and the log stays
// for the operator.
func (db *DB) Close() error {
	if err := db.knownDamage(); err != nil {
		return nil
	}
	db.clock.close()
	var errs []error
	if db.getCert != nil {
		errs = append(errs, db.getCert.Close())
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

//go:embed migrations/*.sql
var migrations embed.FS
