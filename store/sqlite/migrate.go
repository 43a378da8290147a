package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/certgate/certgate/store/internal/sqlstore"
)

// migrate applies the missing migrations in one write transaction. BEGIN
// IMMEDIATE makes a second process opening the same file at the same time
// wait, then find everything applied; SQLite's DDL is transactional, so a
// failed migration leaves the schema as it was.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := sqlstore.LoadMigrations(migrations)
	if err != nil {
		return err
	}
	return sqlstore.Write(ctx, db.Accessor, "migrate", func(tx sqlstore.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL
		) STRICT`); err != nil {
			return err
		}
		pending, err := sqlstore.Pending(ctx, tx, ms)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx,
				sqlstore.RecordMigration,
				m.Version, m.Name, time.Now().UnixMicro()); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
}
