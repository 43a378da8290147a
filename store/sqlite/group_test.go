package sqlite

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store/internal/sqlstore"
)

const helperWriters = "CERTGATE_SQLITE_HELPER_WRITERS"

// groupWriters is how many goroutines of the helper write at once, so
// that their writes are grouped into shared commits.
const groupWriters = 8

// TestKill9DurabilityGroup: with concurrent writers, whose writes share
// commits, every write acknowledged before kill -9 is there afterwards,
// whole, and the records present are the acknowledged ones and at most one
// in flight per writer (written, not yet reported).
func TestKill9DurabilityGroup(t *testing.T) {
	kill9Check(t, "TestHelperProcess", []string{helperWriters + "=1"}, 200, groupWriters)
}

// TestGroupPanic: a write whose fn panics in a batch panics in its own
// caller's goroutine, leaves nothing, and the batch's other writes, and
// later ones, are committed. (Without the recovery, the panic would take
// down whichever caller ran the batch and leave the others waiting for
// ever.)
func TestGroupPanic(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "db.sqlite"))
	ctx := t.Context()
	const others = 4
	queued := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := db.PutMetaIfAbsent(sqlstore.WithBeforeCommit(ctx, func() {
			close(queued)
			deadline := time.Now().Add(time.Minute)
			for db.Waiting() < others+1 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}), "first", "v")
		first <- err
	}()
	<-queued
	var wg sync.WaitGroup
	errs := make([]error, others)
	for i := range others {
		wg.Go(func() { _, errs[i] = db.PutMetaIfAbsent(ctx, fmt.Sprintf("k%d", i), "v") })
	}
	var recovered any
	wg.Go(func() {
		defer func() { recovered = recover() }()
		_ = sqlstore.Write(ctx, db.Accessor, "test", func(tx sqlstore.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ('panicked', 'v')"); err != nil {
				return err
			}
			panic("boom")
		})
	})
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the batch's writes never returned")
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if recovered != "boom" {
		t.Errorf("the panicking write's caller recovered %v, want boom", recovered)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("write k%d beside the panic: %v", i, err)
		}
		if _, err := db.GetMeta(ctx, fmt.Sprintf("k%d", i)); err != nil {
			t.Errorf("write k%d not there: %v", i, err)
		}
	}
	if _, err := db.GetMeta(ctx, "panicked"); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("the panicking write left its row (%v)", err)
	}
	if _, err := db.PutMetaIfAbsent(ctx, "after", "v"); err != nil {
		t.Errorf("a write after the panic: %v", err)
	}
}

// TestLonePanic: a write alone whose fn panics panics in its caller and
// leaves the handle writable (its transaction rolled back, not left
// holding the write connection).
func TestLonePanic(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "db.sqlite"))
	ctx := t.Context()
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want boom", v)
			}
		}()
		_ = sqlstore.Write(ctx, db.Accessor, "test", func(tx sqlstore.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ('panicked', 'v')"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	done := make(chan error, 1)
	go func() { _, err := db.PutMetaIfAbsent(ctx, "after", "v"); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a write after the panic: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a write after the panic never returned: the panicked transaction holds the write connection")
	}
	if _, err := db.GetMeta(ctx, "panicked"); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("the panicking write left its row (%v)", err)
	}
}
