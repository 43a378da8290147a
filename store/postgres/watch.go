package postgres

import (
	"context"
	"time"
)

// WatchRevision returns a channel that receives a value soon after every
// committed move of the configuration revision, on any node: the
// notifications of channel certgate_revision (migration 0031), listened to
// on one connection of the pool held for the purpose. Sends never block;
// several moves may arrive as one. After the connection is lost, the
// watcher reconnects with a growing pause and sends once (a move may have
// been missed meanwhile), so a reader that reloads on every value misses
// nothing. The channel is closed when ctx ends.
func (db *DB) WatchRevision(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	notify := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(ch)
		pause := 100 * time.Millisecond
		for first := true; ctx.Err() == nil; first = false {
			if !first {
				notify() // moves during the outage are not queued for us
				select {
				case <-ctx.Done():
					return
				case <-time.After(pause):
				}
				pause = min(2*pause, 5*time.Second)
			}
			conn, err := db.pool.Acquire(ctx)
			if err != nil {
				continue
			}
			if _, err := conn.Exec(ctx, "LISTEN certgate_revision"); err != nil {
				conn.Release()
				continue
			}
			pause = 100 * time.Millisecond
			for {
				if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
					break
				}
				notify()
			}
			// The connection saw LISTEN: close it rather than hand it back
			// to the pool still listening.
			_ = conn.Conn().Close(context.Background())
			conn.Release()
		}
	}()
	return ch
}
