package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// The read cache serves the hottest point reads (a certificate by id, an
// access key with its account: every signed GET makes both; an account)
// from memory, but only while nothing at all has been committed to the
// database since they were read, by any connection of any process.
// SQLite tells that cheaply: PRAGMA data_version, on one connection,
// changes whenever another connection (this process's writer, or another
// process on the same file) has committed since it was last asked. One
// such question (a read transaction that touches no table, a few µs)
// replaces the reads; any commit anywhere makes every entry stale. Misses
// and errors are never cached, so a record created elsewhere is seen at
// once, and a deleted one is gone at once.

// cacheEntries bounds each map; a full map is emptied of stale entries,
// or entirely.
const cacheEntries = 4096

// changeClock counts the changes a dedicated read connection has seen.
type changeClock struct {
	mu    sync.Mutex
	pool  *sql.DB
	conn  *sql.Conn
	stmt  driver.Stmt    // PRAGMA data_version, prepared on conn's driver connection
	dest  []driver.Value // its one column
	last  int64          // data_version last read on conn
	count uint64         // moves whenever data_version does, or conn is new, or a local write committed
	// asked counts the questions begun; answered says the last one got
	// its answer (a failed one did not).
	asked    atomic.Uint64
	answered bool
}

// now asks the database and returns the change count. ok is false when it
// cannot tell (the connection failed); then nothing may be served from
// memory, and the count moves so that nothing read before is trusted
// after.
func (c *changeClock) now(ctx context.Context) (count uint64, ok bool) {
	// Not cancelled with the request: a cancelled query would cost the
	// connection, and this one ends within busy_timeout anyway.
	ctx = context.WithoutCancel(ctx)
	arrived := c.asked.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.asked.Load() > arrived && c.answered {
		// A question asked after this call began has been answered (the
		// questions take turns under mu): it saw every commit acknowledged
		// before this call, which is all this call must see. Under load,
		// one question serves every request that queued behind it.
		return c.count, true
	}
	c.asked.Add(1)
	c.answered = false
	if c.conn == nil {
		conn, err := c.pool.Conn(ctx)
		if err != nil {
			c.count++
			return 0, false
		}
		// A new connection's data_version says nothing about the old
		// one's: start a new count.
		c.conn, c.last, c.dest = conn, -1, make([]driver.Value, 1)
		c.count++
	}
	var v int64
	// The driver's statement directly: database/sql's layers cost more
	// than the question, which every request asks.
	err := c.conn.Raw(func(dc any) error {
		if c.stmt == nil {
			p, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				return errors.New("the driver cannot prepare with a context")
			}
			st, err := p.PrepareContext(ctx, "PRAGMA data_version")
			if err != nil {
				return err
			}
			c.stmt = st
		}
		q, ok := c.stmt.(driver.StmtQueryContext)
		if !ok {
			return errors.New("the driver cannot query with a context")
		}
		rows, err := q.QueryContext(ctx, nil)
		if err != nil {
			return err
		}
		err = rows.Next(c.dest)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		n, ok := c.dest[0].(int64)
		if !ok {
			return fmt.Errorf("data_version is a %T", c.dest[0])
		}
		v = n
		return nil
	})
	if err != nil {
		c.closeLocked()
		c.count++
		return 0, false
	}
	if v != c.last {
		c.last = v
		c.count++
	}
	c.answered = true
	return c.count, true
}

// bump records a local commit, so that a request's read point (which
// skips asking) does not outlive its own write.
func (c *changeClock) bump() {
	c.mu.Lock()
	c.count++
	c.mu.Unlock()
}

func (c *changeClock) current() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

func (c *changeClock) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
	c.count++
}

func (c *changeClock) closeLocked() {
	if c.conn == nil {
		return
	}
	if c.stmt != nil {
		_ = c.conn.Raw(func(any) error { return c.stmt.Close() })
		c.stmt = nil
	}
	// A connection that failed goes back to the pool broken; database/sql
	// drops it on its next use.
	_ = c.conn.Close()
	c.conn = nil
}

// point returns the change count reads on ctx may be served at: the
// request's read point while no local write moved the count since it was
// taken, else a fresh answer from the database.
func (db *DB) point(ctx context.Context) (uint64, bool) {
	rp := store.ReadPointOf(ctx)
	if rp != nil {
		if n, mine := rp.Get(db); mine && n == db.clock.current() {
			return n, true
		}
	}
	n, ok := db.clock.now(ctx)
	if ok && rp != nil {
		rp.Set(db, n)
	}
	return n, ok
}

type entry[V any] struct {
	count uint64
	v     V
}

// memo is one map of the read cache.
type memo[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]entry[V]
}

func (m *memo[K, V]) get(k K, count uint64) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[k]
	if !ok || e.count != count {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (m *memo[K, V]) put(k K, count uint64, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[K]entry[V])
	}
	if _, ok := m.m[k]; !ok && len(m.m) >= cacheEntries {
		for old, e := range m.m {
			if e.count != count {
				delete(m.m, old)
			}
		}
		if len(m.m) >= cacheEntries {
			clear(m.m)
		}
	}
	m.m[k] = entry[V]{count, v}
}

type certKey struct {
	scope certgate.Scope
	kind  certgate.Kind
	id    string
}

// readCache is the DB's: the clock and one memo per method.
type readCache struct {
	clock changeClock
	certs memo[certKey, *certgate.Certificate]
	keys  memo[string, keyAccount]
	accts memo[string, certgate.Account]
}

// cached serves a read from m at the current change count, or reads it
// with read and keeps a copy. The count is taken before the read, so a
// commit racing the read can only make the entry look older than it is.
func cached[K comparable, V any](ctx context.Context, db *DB, m *memo[K, V], k K, clone func(V) V, read func() (V, error)) (V, error) {
	var zero V
	if err := db.knownDamage(); err != nil {
		return zero, err
	}
	n, ok := db.point(ctx)
	if ok {
		if v, hit := m.get(k, n); hit {
			return clone(v), nil
		}
	}
	v, err := read()
	if err != nil || !ok {
		return v, err
	}
	m.put(k, n, clone(v))
	return v, nil
}

// GetCertificate is the accessor's, served from memory while nothing was
// committed since.
func (db *DB) GetCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) (*certgate.Certificate, error) {
	return cached(ctx, db, &db.certs, certKey{scope, kind, id}, (*certgate.Certificate).Clone, func() (*certgate.Certificate, error) {
		return db.Accessor.GetCertificate(ctx, scope, kind, id)
	})
}

// keyAccount is what GetAccessKeyAccount returns.
type keyAccount struct {
	k certgate.AccessKey
	a certgate.Account
}

// GetAccessKeyAccount is the accessor's, served from memory while nothing
// was committed since.
func (db *DB) GetAccessKeyAccount(ctx context.Context, id string) (*certgate.AccessKey, *certgate.Account, error) {
	ka, err := cached(ctx, db, &db.keys, id, func(ka keyAccount) keyAccount {
		ka.k.SecretSealed = bytes.Clone(ka.k.SecretSealed)
		return ka
	}, func() (keyAccount, error) {
		k, a, err := db.Accessor.GetAccessKeyAccount(ctx, id)
		if err != nil {
			return keyAccount{}, err
		}
		return keyAccount{*k, *a}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return &ka.k, &ka.a, nil
}

// GetAccount is the accessor's, served from memory while nothing was
// committed since.
func (db *DB) GetAccount(ctx context.Context, id string) (*certgate.Account, error) {
	a, err := cached(ctx, db, &db.accts, id, func(a certgate.Account) certgate.Account { return a }, func() (certgate.Account, error) {
		a, err := db.Accessor.GetAccount(ctx, id)
		if err != nil {
			return certgate.Account{}, err
		}
		return *a, nil
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}
