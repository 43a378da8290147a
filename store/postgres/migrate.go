package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/certgate/certgate/store/internal/sqlstore"
	"github.com/jackc/pgx/v5"
)

// migrationLockKey is the pg_advisory_lock key every certgate node takes to
// migrate: "certgate" in ASCII, read as a big-endian int64. Advisory locks
// are per database, so unrelated databases on one server do not contend.
const migrationLockKey int64 = 0x6365727467617465

// migrate applies the missing migrations. It holds a session-level
// advisory lock on one pooled connection meanwhile: a second node opening
// the database at the same moment waits for it, then finds everything
// applied (CREATE TABLE IF NOT EXISTS alone is not safe against a
// concurrent twin). Each migration commits together with its
// schema_migrations row, and PostgreSQL's DDL is transactional, so a
// failed migration leaves the schema as the previous one left it.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := sqlstore.LoadMigrations(migrations)
	if err != nil {
		return err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		// The lock may or may not be held (cancelled while waiting): do
		// not hand the session back to the pool.
		closeConn(conn.Hijack())
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", migrationLockKey); uerr != nil {
			// A session lock outlives the transaction; closing the session
			// is the sure way to drop it.
			closeConn(conn.Hijack())
			return
		}
		conn.Release()
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT NOT NULL,
		name       TEXT   NOT NULL,
		applied_at BIGINT NOT NULL,
		CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
	)`); err != nil {
		return err
	}
	pending, err := sqlstore.Pending(ctx, querier{conn}, ms)
	if err != nil {
		return err
	}
	for _, m := range pending {
		err := pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
			// No arguments: pgx sends it as a simple query, which may hold
			// several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx,
				sqlstore.Number(sqlstore.RecordMigration),
				m.Version, m.Name, time.Now().UnixMicro())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// closeConn closes a connection taken out of the pool.
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}
