package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

// Heartbeat inserts or replaces the row of n.ID.
func (a *Accessor) Heartbeat(ctx context.Context, n store.NodeInfo) error {
	return a.write(ctx, "heartbeat", func(tx Tx) error {
		_, err := tx.Exec(ctx,
			`INSERT INTO nodes (id, hostname, addr, key_ids, seen_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, addr = excluded.addr,
			 key_ids = excluded.key_ids, seen_at = excluded.seen_at`,
			n.ID, n.Hostname, n.Addr, strings.Join(n.KeyIDs, ","), rowcodec.Micros(n.SeenAt))
		return err
	})
}

// ListNodes returns the nodes seen at or after since.
func (a *Accessor) ListNodes(ctx context.Context, since time.Time) ([]store.NodeInfo, error) {
	var out []store.NodeInfo
	err := a.read(ctx, "list nodes", func(q Querier) error {
		out = out[:0]
		return each(ctx, q, func(s rowcodec.Scanner) error {
			var n store.NodeInfo
			var keys string
			var seen int64
			if err := s.Scan(&n.ID, &n.Hostname, &n.Addr, &keys, &seen); err != nil {
				return err
			}
			n.KeyIDs, n.SeenAt = rowcodec.SplitList(keys), rowcodec.FromMicros(seen)
			out = append(out, n)
			return nil
		}, `SELECT id, hostname, addr, key_ids, seen_at FROM nodes WHERE seen_at >= ? ORDER BY id`, rowcodec.Micros(since))
	})
	return out, err
}

// DeleteNode removes a node's row, if any.
func (a *Accessor) DeleteNode(ctx context.Context, id string) error {
	return a.write(ctx, "delete node", func(tx Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM nodes WHERE id = ?`, id)
		return err
	})
}
