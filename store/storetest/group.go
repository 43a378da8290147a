package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/sqlstore"
)

// Group commit (sqlstore.NewGrouped): concurrent writes of one handle may
// share a transaction and its COMMIT. Whatever the grouping, each write's
// outcome is its own: the contract is that of writes alone. These subtests
// force a batch where the backend groups (they hold a first write before
// its COMMIT until the others are queued behind it), and otherwise run the
// same writes concurrently, which must give the same outcomes.

// waiter is what a grouped accessor tells about its queue.
type waiter interface{ Waiting() int }

// batch runs first, then every write of rest concurrently on s: first's
// COMMIT is held until all of rest are queued, so that rest run as one
// batch, in their order (each is started once the one before it is
// queued). On a backend that does not group, rest run one after another,
// in order, which is what a batch must be equivalent to. It returns the
// errors of rest, in order, and whether the backend grouped them.
func batch(t *testing.T, s store.Store, first func(ctx context.Context) error, rest []func(ctx context.Context) error) ([]error, bool) {
	t.Helper()
	ctx := testCtx(t)
	w, _ := s.(waiter)
	grouped := w != nil && w.Waiting() >= 0
	queued := make(chan struct{})
	release := make(chan struct{})
	held := make(chan error, 1)
	hold := sqlstore.WithBeforeCommit(ctx, func() {
		close(queued) // first holds the write connection from here on
		<-release
	})
	go func() { held <- first(hold) }()
	<-queued
	errs := make([]error, len(rest))
	if grouped {
		var wg sync.WaitGroup
		for i, fn := range rest {
			wg.Go(func() { errs[i] = fn(ctx) })
			waitQueued(t, w, i+1)
		}
		close(release)
		wg.Wait()
	} else {
		// No batch to build: the writes one after another, whose
		// outcomes a batch must reproduce.
		close(release)
		for i, fn := range rest {
			errs[i] = fn(ctx)
		}
	}
	if err := <-held; err != nil {
		t.Fatalf("first write: %v", err)
	}
	return errs, grouped
}

// waitQueued waits until n writes are queued on w.
func waitQueued(t *testing.T, w waiter, n int) {
	t.Helper()
	deadline := time.Now().Add(raceTimeout / 2)
	for w.Waiting() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writes queued behind the first", w.Waiting(), n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// testGroupOneFails: in one batch, a write that fails after it wrote a row
// (CreateAccount whose access key id is taken: the account row is in,
// then the key's insert fails) leaves nothing, a write whose caller gave up
// while it waited in the queue leaves nothing and says so, a write whose
// caller gave up after its last statement is written, and every other
// write is committed.
func testGroupOneFails(t *testing.T, p *pair) {
	ctx := testCtx(t)
	taken, takenKey := newAccount()
	if err := p.a.CreateAccount(ctx, taken, takenKey, nil); err != nil {
		t.Fatal(err)
	}
	bad, _ := newAccount()
	dupKey := *takenKey
	dupKey.AccountID = bad.ID

	k := certgate.KindServer
	var certs []*certgate.Certificate
	var writes []func(ctx context.Context) error
	for i := range 6 {
		scope := scopeA
		if i%2 == 1 {
			scope = scopeB // a batch may hold several tenants' writes
		}
		c := newCert(scope, k)
		certs = append(certs, c)
		writes = append(writes, func(ctx context.Context) error { return p.b.CreateCertificate(ctx, c, 0) })
	}
	// Refused for a name an earlier write of the same batch took: told
	// once that write is committed.
	certs[0].Name = "group-" + certs[0].ID
	dupName := newCert(certs[0].Scope, k)
	dupName.Name = certs[0].Name
	writes = append(writes, func(ctx context.Context) error { return p.b.CreateCertificate(ctx, dupName, 0) })
	failAt := 3
	writes = append(writes[:failAt], append([]func(ctx context.Context) error{
		func(ctx context.Context) error { return p.b.CreateAccount(ctx, bad, &dupKey, nil) },
	}, writes[failAt:]...)...)

	// Given up before its turn: nothing of it may be written, and it says
	// so (on a grouped backend it is queued when the batch reaches it).
	gaveUp := newCert(scopeA, k)
	writes = append(writes, func(ctx context.Context) error {
		gctx, cancel := context.WithCancel(ctx)
		cancel()
		return p.b.CreateCertificate(gctx, gaveUp, 0)
	})
	// Given up after its last statement: written, since its part of the
	// batch can no longer be told apart from the others'.
	late := newCert(scopeB, k)
	writes = append(writes, func(ctx context.Context) error {
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		return p.b.CreateCertificate(sqlstore.WithBeforeCommit(lctx, cancel), late, 0)
	})

	first := newCert(scopeA, k)
	errs, grouped := batch(t, p.b, func(ctx context.Context) error { return p.b.CreateCertificate(ctx, first, 0) }, writes)
	t.Logf("grouped: %v", grouped)

	for i, err := range errs {
		switch i {
		case failAt:
			if certgate.ErrorCode(err) != certgate.EConflict {
				t.Errorf("CreateAccount with a taken access key id: %v, want a conflict", err)
			}
		case len(errs) - 3:
			if certgate.ErrorCode(err) != certgate.EConflict {
				t.Errorf("create of a name an earlier write of the batch took: %v, want a conflict", err)
			}
		case len(errs) - 2:
			if err == nil {
				t.Errorf("write given up before its turn returned nil")
			}
		default:
			if err != nil {
				t.Errorf("write %d of the batch: %v", i, err)
			}
		}
	}
	if _, err := p.a.GetAccount(ctx, bad.ID); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("the failed CreateAccount left its account row (GetAccount: %v)", err)
	}
	if got, err := p.a.GetAccessKey(ctx, takenKey.ID); err != nil || got.AccountID != taken.ID {
		t.Errorf("the taken access key: %+v, %v; want it still %s's", got, err, taken.ID)
	}
	if _, err := p.a.GetCertificate(ctx, gaveUp.Scope, k, gaveUp.ID); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("the write given up before its turn is there (%v)", err)
	}
	for _, c := range append(certs, late, first) {
		got, err := p.a.GetCertificate(ctx, c.Scope, k, c.ID)
		if err != nil {
			t.Errorf("acknowledged write %s not there: %v", c.ID, err)
			continue
		}
		if got.Scope != c.Scope || got.CertificatePEM != c.CertificatePEM {
			t.Errorf("%s came back as %+v", c.ID, got)
		}
	}
}

// testGroupCommitFails: when the COMMIT of a batch fails, every write of
// the batch fails and none is there. The failure is injected at COMMIT
// through the accessor's test hook; a backend that does not group has no
// batch COMMIT to fail, and skips.
func testGroupCommitFails(t *testing.T, p *pair) {
	ctx := testCtx(t)
	if w, ok := p.b.(waiter); !ok || w.Waiting() < 0 {
		t.Skip("the backend does not group commits")
	}
	injected := errors.New("injected COMMIT failure")
	k := certgate.KindClient
	var certs []*certgate.Certificate
	var writes []func(ctx context.Context) error
	for i := range 5 {
		c := newCert([]certgate.Scope{scopeA, scopeB}[i%2], k)
		certs = append(certs, c)
		writes = append(writes, func(ctx context.Context) error {
			if i == 2 {
				ctx = sqlstore.WithCommitFailure(ctx, func() error { return injected })
			}
			return p.b.CreateCertificate(ctx, c, 0)
		})
	}
	// Refused in the batch for a name the batch's first write took: since
	// that write is not committed, it must not be told the name is taken.
	certs[0].Name = "group-" + certs[0].ID
	dupName := newCert(certs[0].Scope, k)
	dupName.Name = certs[0].Name
	writes = append(writes, func(ctx context.Context) error { return p.b.CreateCertificate(ctx, dupName, 0) })

	first := newCert(scopeA, k)
	errs, _ := batch(t, p.b, func(ctx context.Context) error { return p.b.CreateCertificate(ctx, first, 0) }, writes)
	for i, err := range errs[:len(certs)] {
		if !errors.Is(err, injected) {
			t.Errorf("write %d of a batch whose COMMIT failed: %v, want the COMMIT's error", i, err)
		}
	}
	if err := errs[len(certs)]; err != nil {
		t.Errorf("create of a name only an uncommitted write of the batch had: %v, want nil", err)
	}
	if _, err := p.a.GetCertificate(ctx, dupName.Scope, k, dupName.ID); err != nil {
		t.Errorf("the create whose name is free after all: %v", err)
	}
	for _, c := range certs {
		if _, err := p.a.GetCertificate(ctx, c.Scope, k, c.ID); certgate.ErrorCode(err) != certgate.ENotFound {
			t.Errorf("%s of a batch whose COMMIT failed is there (%v)", c.ID, err)
		}
	}
	if _, err := p.a.GetCertificate(ctx, first.Scope, k, first.ID); err != nil {
		t.Errorf("the write before the batch: %v", err)
	}
	// The handle goes on writing.
	after := newCert(scopeA, k)
	if err := p.b.CreateCertificate(ctx, after, 0); err != nil {
		t.Fatalf("a write after the failed batch: %v", err)
	}
}

// testGroupQuota: writes of one batch see each other, in order: a quota
// counts the batch's earlier inserts, so N concurrent creates under a quota
// of Q leave exactly Q.
func testGroupQuota(t *testing.T, p *pair) {
	ctx := testCtx(t)
	k := certgate.KindClient
	const quota = 4
	var writes []func(ctx context.Context) error
	for range 8 {
		c := newCert(scopeB, k)
		writes = append(writes, func(ctx context.Context) error { return p.b.CreateCertificate(ctx, c, quota) })
	}
	first := newCert(scopeB, k)
	errs, _ := batch(t, p.b, func(ctx context.Context) error { return p.b.CreateCertificate(ctx, first, quota) }, writes)
	ok, over := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case certgate.ErrorCode(err) == certgate.ELimitExceeded:
			over++
		default:
			t.Errorf("create under a quota: %v", err)
		}
	}
	n, err := p.a.CountCertificates(ctx, store.ListQuery{Scope: scopeB, Kind: k})
	if err != nil {
		t.Fatal(err)
	}
	if ok != quota-1 || over != len(writes)-ok || n != quota {
		t.Errorf("%d created and %d refused of %d, %d stored; want %d created, %d stored",
			ok, over, len(writes), n, quota-1, quota)
	}
}
