package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store/internal/sqlstore"
)

// TestGroupInterruptedMember: in a batch, a write whose caller gives up
// while one of its statements runs (SQLite interrupts it, which can roll
// the whole transaction back) leaves nothing, and the batch's other
// writes, before and after it, are committed.
func TestGroupInterruptedMember(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "db.sqlite"))
	ctx := t.Context()
	queued := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := db.PutMetaIfAbsent(sqlstore.WithBeforeCommit(ctx, func() {
			close(queued)
			deadline := time.Now().Add(time.Minute)
			for db.Waiting() < 3 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}), "first", "v")
		first <- err
	}()
	<-queued
	var wg sync.WaitGroup
	var errB, errC, errD error
	wg.Go(func() { _, errB = db.PutMetaIfAbsent(ctx, "b", "v") })
	for db.Waiting() < 1 {
		time.Sleep(time.Millisecond)
	}
	wg.Go(func() {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		errC = sqlstore.Write(cctx, db.Accessor, "test", func(tx sqlstore.Tx) error {
			if _, err := tx.Exec(cctx, "INSERT INTO meta (key, value) VALUES ('c', 'v')"); err != nil {
				return err
			}
			time.AfterFunc(50*time.Millisecond, cancel)
			_, err := tx.Exec(cctx, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2000000000)
				INSERT INTO meta (key, value) SELECT 'x' || i, 'v' FROM s`)
			return err
		})
	})
	for db.Waiting() < 2 {
		time.Sleep(time.Millisecond)
	}
	wg.Go(func() { _, errD = db.PutMetaIfAbsent(ctx, "d", "v") })
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if errB != nil || errD != nil {
		t.Errorf("writes beside the interrupted one: %v, %v", errB, errD)
	}
	if errC == nil {
		t.Error("the interrupted write succeeded")
	}
	t.Logf("interrupted write: %v", errC)
	for _, k := range []string{"first", "b", "d"} {
		if _, err := db.GetMeta(ctx, k); err != nil {
			t.Errorf("%s not there: %v", k, err)
		}
	}
	for _, k := range []string{"c", "x1"} {
		if _, err := db.GetMeta(ctx, k); certgate.ErrorCode(err) != certgate.ENotFound {
			t.Errorf("the interrupted write left %s (%v)", k, err)
		}
	}
}
