package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// testFreshReads: a record read (and perhaps kept in memory) on one handle
// is never answered again there once another handle, or the same one, has
// acknowledged a write to it: an update is seen at once, a deletion is
// ENotFound at once, and a creation after a miss is found at once. Each
// read is a request of its own (a fresh read point); a request that wrote
// reads its own write.
func testFreshReads(t *testing.T, p *pair) {
	ctx := testCtx(t)
	req := func() context.Context { return store.WithReadPoint(ctx) }
	a, k1 := mustAccount(t, p.a)
	k2 := extraKey(a, 0)
	if err := p.a.CreateAccessKey(ctx, k2, maxKeys); err != nil {
		t.Fatal(err)
	}
	scope := certgate.Scope{AccountID: a.ID, Region: "us-east-1"}
	c := newCert(scope, certgate.KindClient)
	mustCreate(t, p.a, c, 0)

	// Read everything twice on both handles: whatever a handle keeps in
	// memory, it keeps now.
	for range 2 {
		for i, s := range p.both() {
			if _, err := s.GetCertificate(req(), scope, certgate.KindClient, c.ID); err != nil {
				t.Fatalf("handle %d: GetCertificate: %v", i, err)
			}
			if _, err := s.GetAccessKey(req(), k2.ID); err != nil {
				t.Fatalf("handle %d: GetAccessKey: %v", i, err)
			}
			if _, err := s.GetAccount(req(), a.ID); err != nil {
				t.Fatalf("handle %d: GetAccount: %v", i, err)
			}
			gk, ga, err := s.GetAccessKeyAccount(req(), k2.ID)
			if err != nil {
				t.Fatalf("handle %d: GetAccessKeyAccount: %v", i, err)
			}
			checkAccessKey(t, gk, k2)
			if ga.ID != a.ID || ga.ProjectID != a.ProjectID || ga.Name != a.Name || !ga.CreatedAt.Equal(a.CreatedAt.Truncate(time.Microsecond)) {
				t.Fatalf("handle %d: GetAccessKeyAccount's account %+v, want %+v", i, ga, a)
			}
			gk.SecretSealed[0] ^= 0xff // the caller's own copy
			if again, _, _ := s.GetAccessKeyAccount(req(), k2.ID); again == nil || again.SecretSealed[0] != k2.SecretSealed[0] {
				t.Fatalf("handle %d: GetAccessKeyAccount returned the store's own bytes", i)
			}
		}
	}

	for round := range 3 {
		writer := p.both()[round%2]
		cur, err := writer.GetCertificate(req(), scope, certgate.KindClient, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		cur.Description = "round " + string(rune('A'+round))
		if err := writer.UpdateCertificate(ctx, cur); err != nil {
			t.Fatalf("round %d: UpdateCertificate: %v", round, err)
		}
		for i, s := range p.both() {
			got, err := s.GetCertificate(req(), scope, certgate.KindClient, c.ID)
			if err != nil {
				t.Fatalf("round %d, handle %d: GetCertificate: %v", round, i, err)
			}
			if got.Description != cur.Description || got.Version != cur.Version {
				t.Fatalf("round %d, handle %d: read %q version %d after the update to %q version %d", round, i, got.Description, got.Version, cur.Description, cur.Version)
			}
		}
	}

	// A request that reads, writes and reads again sees its own write.
	r := req()
	cur, err := p.b.GetCertificate(r, scope, certgate.KindClient, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur.Description = "own write"
	if err := p.b.UpdateCertificate(r, cur); err != nil {
		t.Fatal(err)
	}
	if got, err := p.b.GetCertificate(r, scope, certgate.KindClient, c.ID); err != nil || got.Description != "own write" {
		t.Fatalf("the writing request reads back %+v, %v", got, err)
	}

	// A miss is not remembered: created on a, found on b at once.
	late := newCert(scope, certgate.KindClient)
	checkErr(t, getErr(p.b.GetCertificate(req(), scope, certgate.KindClient, late.ID)), certgate.ENotFound, "", "before the create")
	mustCreate(t, p.a, late, 0)
	if _, err := p.b.GetCertificate(req(), scope, certgate.KindClient, late.ID); err != nil {
		t.Fatalf("after the create on the other handle: %v", err)
	}

	if err := p.a.DeleteAccessKey(ctx, a.ID, k2.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.a.DeleteCertificate(ctx, scope, certgate.KindClient, c.ID); err != nil {
		t.Fatal(err)
	}
	for i, s := range p.both() {
		checkErr(t, getErr(s.GetAccessKey(req(), k2.ID)), certgate.ENotFound, "", "a deleted access key")
		_, _, err := s.GetAccessKeyAccount(req(), k2.ID)
		checkErr(t, err, certgate.ENotFound, "", "a deleted access key with its account")
		checkErr(t, getErr(s.GetCertificate(req(), scope, certgate.KindClient, c.ID)), certgate.ENotFound, "", "a deleted certificate")
		if _, err := s.GetAccessKey(req(), k1.ID); err != nil {
			t.Fatalf("handle %d: the other key: %v", i, err)
		}
	}
	if err := p.b.DeleteAccount(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.both() {
		checkErr(t, getErr(s.GetAccount(req(), a.ID)), certgate.ENotFound, "", "a deleted account")
		checkErr(t, getErr(s.GetAccessKey(req(), k1.ID)), certgate.ENotFound, "", "a deleted account's key")
		_, _, err := s.GetAccessKeyAccount(req(), k1.ID)
		checkErr(t, err, certgate.ENotFound, "", "a deleted account's key with its account")
		_, _, err = s.GetAccessKeyAccount(req(), "bad\x00id")
		checkErr(t, err, certgate.ENotFound, "", "an access key id with a NUL byte")
		checkErr(t, getErr(s.GetCertificate(req(), scope, certgate.KindClient, late.ID)), certgate.ENotFound, "", "a deleted account's certificate")
	}
}

func getErr[T any](_ T, err error) error { return err }

// testFreshReadsConcurrent: readers on handle b, many at once, while
// handle a updates a record: a read that began after an update was
// acknowledged never returns an older version, however the store shares
// its checks between concurrent readers.
func testFreshReadsConcurrent(t *testing.T, p *pair) {
	ctx := testCtx(t)
	a, _ := mustAccount(t, p.a)
	scope := certgate.Scope{AccountID: a.ID, Region: "us-east-1"}
	c := newCert(scope, certgate.KindClient)
	mustCreate(t, p.a, c, 0)
	var acked atomic.Int64
	acked.Store(1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				want := acked.Load()
				got, err := p.b.GetCertificate(store.WithReadPoint(ctx), scope, certgate.KindClient, c.ID)
				if err != nil {
					errs <- err
					return
				}
				if got.Version < want {
					errs <- fmt.Errorf("read version %d after version %d was acknowledged", got.Version, want)
					return
				}
			}
		}()
	}
	cur := c
	for range 30 {
		cur.Description += "+"
		if err := p.a.UpdateCertificate(ctx, cur); err != nil {
			t.Fatal(err)
		}
		acked.Store(cur.Version)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
