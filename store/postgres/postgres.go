// Package postgres is the networked backend of store.Store: a PostgreSQL
// database shared by any number of certgate nodes, reached through a pgx/v5
// connection pool.
//
// Concurrency: every write is one READ COMMITTED transaction. The quota is
// a compare-and-add on a cert_counts row (UPDATE ... SET n = n + 1 WHERE
// n < quota), so concurrent creators on any node queue on that row's lock
// and re-check the condition on the committed value; uniqueness rests on
// unique indexes, whose violations (SQLSTATE 23505) are mapped by
// constraint name to EConflict; optimistic concurrency is a version column
// in the UPDATE's WHERE clause. Serialization failures and deadlocks
// (40001, 40P01) retry the whole transaction a bounded number of times.
//
// Durability: a method returns nil only after COMMIT has returned, which
// with synchronous_commit on (the default; a session found with it off is
// switched on) means the commit record is flushed. COMMIT itself is sent
// with a context that ignores cancellation (store/internal/sqlstore's
// Write), so a cancelled call never reports failure for a transaction that
// committed.
//
// Portability: the DML is shared with the SQLite backend in
// store/internal/sqlstore (plain types, ON CONFLICT DO NOTHING, row-value
// comparisons, no server functions), with its ? placeholders numbered $n, so it runs on the PostgreSQL wire family (CockroachDB,
// YugabyteDB). The PostgreSQL-specific bits are the migration lock
// (pg_advisory_lock) and the COLLATE "C" columns in migrations/.
//
// Errors never carry the connection password or sealed bytes: see
// sanitize.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/sqlstore"
)

// Options tune the connection pool. Zero values mean the defaults; a pool
// setting given in the URL (pool_max_conns etc.) wins over a default but
// not over a non-zero Option.
type Options struct {
	MaxConns        int32         // default 10
	MinConns        int32         // default 0
	MaxConnLifetime time.Duration // default 30m
	MaxConnIdleTime time.Duration // default 5m
	ConnectTimeout  time.Duration // default 10s
}

// Defaults of Options.
const (
	defaultMaxConns        = 10
	defaultMaxConnLifetime = 30 * time.Minute
	defaultMaxConnIdleTime = 5 * time.Minute
	defaultConnectTimeout  = 10 * time.Second
)

// retryPolicy bounds the retries of a transaction that failed with a
// serialization failure or a deadlock, which the contract does not let
// reach the caller. PostgreSQL under READ COMMITTED rarely needs one;
// serializable servers (CockroachDB) need more.
var retryPolicy = sqlstore.Policy{Retries: 8, Backoff: 2 * time.Millisecond, Max: 250 * time.Millisecond}

// DB is a Store on one PostgreSQL database. It is safe for concurrent use,
// and any number of DB handles, in one process or several, may share a
// database.
//
// Returned records own their memory. Empty Tags come back as an empty,
// non-nil map; empty SANs and KeySealed come back as nil.
type DB struct {
	*sqlstore.Accessor // the store methods, over dialect (dialect.go)

	pool    *pgxpool.Pool
	shown   string   // the URL with passwords masked, for messages
	secrets []string // strings that must never appear in an error
}

var (
	_ store.Store       = (*DB)(nil)
	_ store.ServingView = (*DB)(nil)
)

// Open connects with a pgxpool to url (postgres:// or postgresql://),
// applies opts, pings, and runs the embedded migrations under a
// session-level advisory lock, so that nodes starting at the same moment
// migrate exactly once.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	if url == "" {
		return nil, certgate.Errorf(certgate.EInvalid, "postgres: empty database URL")
	}
	shown, secrets, query := redactURL(url)
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		// Not echoed: a keyword/value string would show its password.
		return nil, certgate.Errorf(certgate.EInvalid, "postgres: database URL must start with postgres:// or postgresql://")
	}
	if _, rest, _ := strings.Cut(url, "://"); strings.Count(strings.SplitN(rest, "?", 2)[0], "@") > 1 {
		// pgx splits userinfo at the first '@' and would echo the rest of
		// the password as a host name; the URL cannot work anyway.
		return nil, certgate.Errorf(certgate.EInvalid,
			"postgres: database URL has several '@': percent-encode '@' in the user name and password as %%40")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, sanitize(fmt.Errorf("postgres: open %s: %w", shown, err), secrets)
	}
	if p := cfg.ConnConfig.Password; p != "" {
		// It may come from PGPASSWORD or a password file as well.
		secrets = append(secrets, p)
	}
	applyOptions(cfg, opts, query)
	cfg.AfterConnect = afterConnect

	db := &DB{shown: shown, secrets: secrets}
	db.Accessor = sqlstore.New(dialect{db}, retryPolicy)
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, db.openErr(err)
	}
	if err := db.pool.Ping(ctx); err != nil {
		db.pool.Close()
		return nil, db.openErr(err)
	}
	if err := db.migrate(ctx); err != nil {
		db.pool.Close()
		return nil, db.openErr(err)
	}
	return db, nil
}

func (db *DB) openErr(err error) error {
	return sanitize(fmt.Errorf("postgres: open %s: %w", db.shown, err), db.secrets)
}

// applyOptions sets the pool limits: opts first, then what the URL said,
// then our defaults (pgxpool's own defaults are tuned for other uses).
func applyOptions(cfg *pgxpool.Config, opts Options, query url.Values) {
	setOption(&cfg.MaxConns, opts.MaxConns, query.Has("pool_max_conns"), defaultMaxConns)
	setOption(&cfg.MinConns, opts.MinConns, query.Has("pool_min_conns"), 0)
	cfg.MinConns = min(cfg.MinConns, cfg.MaxConns)
	setOption(&cfg.MaxConnLifetime, opts.MaxConnLifetime, query.Has("pool_max_conn_lifetime"), defaultMaxConnLifetime)
	setOption(&cfg.MaxConnIdleTime, opts.MaxConnIdleTime, query.Has("pool_max_conn_idle_time"), defaultMaxConnIdleTime)
	setOption(&cfg.ConnConfig.ConnectTimeout, opts.ConnectTimeout, query.Has("connect_timeout"), defaultConnectTimeout)
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "certgate"
	}
}

// setOption sets *dst to opt when it is given (> 0), else to def unless the
// URL set the value itself.
func setOption[T int32 | time.Duration](dst *T, opt T, inURL bool, def T) {
	switch {
	case opt > 0:
		*dst = opt
	case !inURL:
		*dst = def
	}
}

// afterConnect makes sure a new session commits durably: a server (or
// role, or database) configured with synchronous_commit = off would let
// COMMIT return before the WAL is flushed, breaking the contract. Other
// values (local, remote_write, remote_apply) all flush locally and are
// left as the operator chose. A server without the setting is accepted.
func afterConnect(ctx context.Context, c *pgx.Conn) error {
	var v string
	err := c.QueryRow(ctx, "SHOW synchronous_commit").Scan(&v)
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return nil
	}
	if err != nil {
		return err
	}
	if v == "off" {
		_, err = c.Exec(ctx, "SET synchronous_commit = on")
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.wrap("ping", db.pool.Ping(ctx))
}

// Close releases the handle's connections. It does not affect other
// handles, and closing twice is harmless.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// wrap leaves contract errors alone, maps invalid text to EInvalid and a
// database that cannot be reached to EUnavailable, and adds context to the
// rest, sanitized.
func (db *DB) wrap(op string, err error) error {
	if err == nil || certgate.AsError(err) != nil {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05") {
		// PostgreSQL TEXT cannot hold NUL or invalid UTF-8, which SQLite
		// stores as given; the caller's input is at fault, not the store.
		return &certgate.Error{Code: certgate.EInvalid, Message: "text contains a NUL byte or invalid UTF-8",
			Err: sanitize(err, db.secrets)}
	}
	if u := db.unavailable(op, err); u != nil {
		return u
	}
	return sanitize(fmt.Errorf("postgres: %s: %w", op, err), db.secrets)
}

// redactedError is an error whose text has been scrubbed and whose chain
// has been cut down to what is safe to hand out: a context error, or a
// PgError without its row data.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// sanitize returns err, or a copy of it, that holds neither a secret nor
// row data anywhere in its chain. pgx's errors keep what they were given:
// ConnectError.Config holds the password, ParseConfigError.ConnString the
// raw URL, and a PgError's Detail can hold a whole failing row (sealed
// bytes included). Their Error texts omit these, but errors.As would reach
// them, so such chains are flattened.
func sanitize(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := scrub(msg, secrets)
	var (
		ce *pgconn.ConnectError
		pc *pgconn.ParseConfigError
		pe *pgconn.PgError
	)
	switch {
	case errors.As(err, &ce), errors.As(err, &pc):
		return &redactedError{msg: clean, cause: contextErr(err)}
	case errors.As(err, &pe):
		safe := *pe
		safe.Detail, safe.Where, safe.InternalQuery, safe.Hint = "", "", "", ""
		return &redactedError{msg: clean, cause: &safe}
	case clean != msg:
		return &redactedError{msg: clean, cause: contextErr(err)}
	}
	return err
}

// contextErr returns the context error in err's chain, if any, so that a
// sanitized error still satisfies errors.Is(err, context.Canceled).
func contextErr(err error) error {
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}

// scrub masks every secret in s.
func scrub(s string, secrets []string) string {
	for _, p := range secrets {
		if p != "" {
			s = strings.ReplaceAll(s, p, "xxxxx")
		}
	}
	return s
}

// redactURL returns raw with its userinfo password and password-like query
// values masked, the secrets it masked (raw and decoded), and the query. It
// parses by hand because pgx accepts URLs (several hosts, for one) that
// net/url rejects.
func redactURL(raw string) (shown string, secrets []string, query url.Values) {
	const mask = "xxxxx"
	add := func(s string) {
		secrets = append(secrets, s)
		if d, err := url.PathUnescape(s); err == nil && d != s {
			secrets = append(secrets, d)
		}
		if d, err := url.QueryUnescape(s); err == nil && d != s {
			secrets = append(secrets, d)
		}
	}
	query = url.Values{}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return mask, nil, query
	}
	var b strings.Builder
	b.WriteString(scheme + "://")
	// The userinfo ends at the last '@' before the query: a password with
	// an unescaped '/' or '@' (invalid, but easily written) is still
	// found. At worst this masks too much, never too little.
	authEnd := strings.IndexByte(rest, '?')
	if authEnd < 0 {
		authEnd = len(rest)
	}
	if at := strings.LastIndex(rest[:authEnd], "@"); at >= 0 {
		user, pw, hasPW := strings.Cut(rest[:at], ":")
		b.WriteString(user)
		if hasPW {
			add(pw)
			b.WriteString(":" + mask)
		}
		rest = rest[at:]
	}
	path, q, hasQ := strings.Cut(rest, "?")
	b.WriteString(path)
	if hasQ {
		b.WriteString("?")
		for i, kv := range strings.Split(q, "&") {
			if i > 0 {
				b.WriteString("&")
			}
			k, v, _ := strings.Cut(kv, "=")
			key, err := url.QueryUnescape(k)
			if err != nil {
				key = k
			}
			val, err := url.QueryUnescape(v)
			if err != nil {
				val = v
			}
			query.Add(key, val)
			if key == "password" || key == "sslpassword" {
				add(v)
				b.WriteString(k + "=" + mask)
				continue
			}
			b.WriteString(kv)
		}
	}
	return b.String(), secrets, query
}

//go:embed migrations/*.sql
var migrations embed.FS
