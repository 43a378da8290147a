package sqlstore

import "context"

// Revision returns the configuration revision (see store.Revisions).
func (a *Accessor) Revision(ctx context.Context) (int64, error) {
	var n int64
	err := a.read(ctx, "revision", func(q Querier) error {
		return q.QueryRow(ctx, "SELECT n FROM config_revision WHERE id = 1").Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// bumpRevision increments the configuration revision inside tx. Writers call
// it as their last statement: every such writer queues on this one row
// (PostgreSQL: its row lock, held to COMMIT), and taking it last keeps that
// wait short and means no writer holding it waits for any other lock, so it
// cannot take part in a deadlock.
func bumpRevision(ctx context.Context, tx Tx) error {
	_, err := tx.Exec(ctx, "UPDATE config_revision SET n = n + 1 WHERE id = 1")
	return err
}
