package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// TestFreshReadsUnderGroupCommit: writers on handle a update their own
// certificates at once (so their writes share batches), some of them
// giving up at random; readers on a and on b, each read a request of its
// own, never see a version older than one acknowledged before the read
// began, and a writer's request reads its own write on a. A write that
// returned an error changed nothing.
func TestFreshReadsUnderGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	a, b := openT(t, path), openT(t, path)
	ctx := t.Context()
	const writers, rounds = 8, 40
	certs := make([]*certgate.Certificate, writers)
	acked := make([]atomic.Int64, writers)
	for i := range certs {
		certs[i] = testCert(fmt.Sprintf("fresh-%d", i))
		if err := a.CreateCertificate(ctx, certs[i], 0); err != nil {
			t.Fatal(err)
		}
		acked[i].Store(certs[i].Version)
	}
	stop := make(chan struct{})
	errs := make(chan error, 64)
	var rg sync.WaitGroup
	for r := range 6 {
		rg.Go(func() {
			h := a
			if r%2 == 1 {
				h = b
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := rand.IntN(writers)
				want := acked[i].Load()
				rctx := store.WithReadPoint(ctx)
				got, err := h.GetCertificate(rctx, certs[i].Scope, certs[i].Kind, certs[i].ID)
				if err == nil && got.Version < want {
					err = fmt.Errorf("reader %d: %s version %d after %d was acknowledged", r, certs[i].ID, got.Version, want)
				}
				if err == nil {
					// A second read in the same request: never older.
					again, err2 := h.GetCertificate(rctx, certs[i].Scope, certs[i].Kind, certs[i].ID)
					if err2 != nil {
						err = err2
					} else if again.Version < got.Version {
						err = fmt.Errorf("reader %d: %s version %d, then %d in the same request", r, certs[i].ID, got.Version, again.Version)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			cur := certs[i].Clone()
			for n := range rounds {
				rctx := store.WithReadPoint(ctx)
				if _, err := a.GetCertificate(rctx, cur.Scope, cur.Kind, cur.ID); err != nil {
					errs <- err
					return
				}
				wctx, cancel := rctx, context.CancelFunc(func() {})
				if n%5 == 4 {
					wctx, cancel = context.WithTimeout(rctx, time.Duration(rand.IntN(300))*time.Microsecond)
				}
				next := cur.Clone()
				next.Description = fmt.Sprintf("w%d r%d", i, n)
				err := a.UpdateCertificate(wctx, next)
				cancel()
				if err != nil {
					// Nothing written: the stored record is still cur.
					got, gerr := b.GetCertificate(ctx, cur.Scope, cur.Kind, cur.ID)
					if gerr != nil {
						errs <- gerr
						return
					}
					if got.Version != cur.Version || got.Description != cur.Description {
						errs <- fmt.Errorf("writer %d: update failed (%v) but the record is version %d %q, want %d %q", i, err, got.Version, got.Description, cur.Version, cur.Description)
						return
					}
					continue
				}
				acked[i].Store(next.Version)
				got, err := a.GetCertificate(rctx, cur.Scope, cur.Kind, cur.ID)
				if err != nil {
					errs <- err
					return
				}
				if got.Version != next.Version || got.Description != next.Description {
					errs <- fmt.Errorf("writer %d: its own request read version %d %q after writing %d %q", i, got.Version, got.Description, next.Version, next.Description)
					return
				}
				cur = next
			}
		})
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
