package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/sqlstore"
)

// testCommitCancelled: a caller's context cancelled after a write's last
// statement, right before COMMIT, does not make the write fail: the
// outcome reported is COMMIT's, so the method returns nil and the write is
// there. (Cancelling COMMIT itself could commit on the server and still
// return an error, breaking "a method that returns an error has written
// nothing".) The moment is reached through the SQL accessor's test hook;
// the subtest fails if the backend never calls it.
func testCommitCancelled(t *testing.T, p *pair) {
	ctx := testCtx(t)
	acc, key := newAccount()
	k := certgate.KindServer
	fresh, old, gone := newCert(scopeA, k), newCert(scopeA, k), newCert(scopeA, k)
	mustCreate(t, p.a, old, 0)
	mustCreate(t, p.a, gone, 0)
	upd := old.Clone()
	upd.Description = "written as the caller gave up"

	writes := []struct {
		name  string
		write func(ctx context.Context, s store.Store) error
		check func(s store.Store) error
	}{
		{"CreateCertificate",
			func(ctx context.Context, s store.Store) error { return s.CreateCertificate(ctx, fresh, 0) },
			func(s store.Store) error { _, err := s.GetCertificate(ctx, scopeA, k, fresh.ID); return err }},
		{"UpdateCertificate",
			func(ctx context.Context, s store.Store) error { return s.UpdateCertificate(ctx, upd) },
			func(s store.Store) error {
				c, err := s.GetCertificate(ctx, scopeA, k, old.ID)
				if err == nil && c.Description != upd.Description {
					return fmt.Errorf("description %q, want the update's", c.Description)
				}
				return err
			}},
		{"DeleteCertificate",
			func(ctx context.Context, s store.Store) error { return s.DeleteCertificate(ctx, scopeA, k, gone.ID) },
			func(s store.Store) error {
				if _, err := s.GetCertificate(ctx, scopeA, k, gone.ID); certgate.ErrorCode(err) != certgate.ENotFound {
					return fmt.Errorf("deleted certificate still there (%v)", err)
				}
				return nil
			}},
		{"CreateAccount",
			func(ctx context.Context, s store.Store) error { return s.CreateAccount(ctx, acc, key, nil) },
			func(s store.Store) error { _, err := s.GetAccessKey(ctx, key.ID); return err }},
		{"PutMetaIfAbsent",
			func(ctx context.Context, s store.Store) error {
				_, err := s.PutMetaIfAbsent(ctx, "commit", "v")
				return err
			},
			func(s store.Store) error { _, err := s.GetMeta(ctx, "commit"); return err }},
	}
	for _, w := range writes {
		wctx, cancel := context.WithCancel(ctx)
		called := false
		wctx = sqlstore.WithBeforeCommit(wctx, func() { called = true; cancel() })
		err := w.write(wctx, p.b)
		cancel()
		if !called {
			t.Fatalf("%s: the backend never reached the accessor's COMMIT hook", w.name)
		}
		if err != nil {
			t.Errorf("%s cancelled right before COMMIT returned %v; want nil, since the transaction was committed or must be", w.name, err)
		}
		if cerr := w.check(p.a); cerr != nil {
			t.Errorf("%s cancelled right before COMMIT: write not there: %v", w.name, cerr)
		}
	}
}
