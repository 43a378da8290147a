package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

// Heartbeat inserts or replaces the row of n.ID.
func (db *DB) Heartbeat(ctx context.Context, n store.NodeInfo) error {
	return db.write(ctx, "heartbeat", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx,
			`INSERT INTO nodes (id, hostname, addr, key_ids, seen_at) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, addr = excluded.addr,
			 key_ids = excluded.key_ids, seen_at = excluded.seen_at`,
			n.ID, n.Hostname, n.Addr, strings.Join(n.KeyIDs, ","), rowcodec.Micros(n.SeenAt))
		return err
	})
}

// ListNodes returns the nodes seen at or after since.
func (db *DB) ListNodes(ctx context.Context, since time.Time) ([]store.NodeInfo, error) {
	var out []store.NodeInfo
	err := db.read(ctx, "list nodes", func() error {
		out = out[:0]
		rows, err := db.pool.Query(ctx,
			`SELECT id, hostname, addr, key_ids, seen_at FROM nodes WHERE seen_at >= $1 ORDER BY id`, rowcodec.Micros(since))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n store.NodeInfo
			var keys string
			var seen int64
			if err := rows.Scan(&n.ID, &n.Hostname, &n.Addr, &keys, &seen); err != nil {
				return err
			}
			n.KeyIDs, n.SeenAt = rowcodec.SplitList(keys), rowcodec.FromMicros(seen)
			out = append(out, n)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteNode removes a node's row, if any.
func (db *DB) DeleteNode(ctx context.Context, id string) error {
	return db.write(ctx, "delete node", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM nodes WHERE id = $1`, id)
		return err
	})
}
