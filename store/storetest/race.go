package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// testQuotaRace has both handles create at once against one quota: exactly
// quota creates may win, and every loser must see ELimitExceeded, not a
// lock or busy error.
func testQuotaRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	const quota, tries = 20, 80
	k := certgate.KindClient
	q := store.ListQuery{Scope: scopeA, Kind: k}

	race := func(round string, tries, wantOK int) []string {
		t.Helper()
		errs := make([]error, tries)
		made := make([]string, tries)
		runConcurrently(tries, func(i int) {
			c := newCert(scopeA, k)
			if errs[i] = p.both()[i%2].CreateCertificate(ctx, c, quota); errs[i] == nil {
				made[i] = c.ID
			}
		})
		var won []string
		for i, err := range errs {
			switch certgate.ErrorCode(err) {
			case "":
				won = append(won, made[i])
			case certgate.ELimitExceeded:
			default:
				t.Errorf("%s: create %d: %v, want nil or %s", round, i, err, certgate.ELimitExceeded)
			}
		}
		if len(won) != wantOK {
			t.Errorf("%s: %d creates succeeded, want %d", round, len(won), wantOK)
		}
		for _, s := range p.both() {
			if n := mustCount(t, s, q); n != quota {
				t.Errorf("%s: count %d, want %d", round, n, quota)
			}
			if l := mustList(t, s, q); len(l) != quota {
				t.Errorf("%s: list has %d records, want %d", round, len(l), quota)
			}
		}
		return won
	}

	won := race("first round", tries, quota)
	if t.Failed() {
		return
	}
	// Free a few slots from both handles, then race for them.
	const freed = 5
	for i, id := range won[:freed] {
		if err := p.both()[i%2].DeleteCertificate(ctx, scopeA, k, id); err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
	race("after deletes", 4*freed, freed)
}

// testUpdateConcurrent runs read-modify-write loops on both handles, each
// adding its own tag keys to one record and retrying on a version conflict.
// With optimistic concurrency working, no key is lost.
func testUpdateConcurrent(t *testing.T, p *pair) {
	ctx := testCtx(t)
	const workers, keys = 6, 5
	k := certgate.KindServer
	c := newCert(scopeH, k)
	mustCreate(t, p.a, c, 0)

	var conflicts atomic.Int64
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	runConcurrently(workers, func(w int) {
		s := p.both()[w%2]
		for j := range keys {
			key := fmt.Sprintf("w%d-k%d", w, j)
			for attempt := 0; ; attempt++ {
				if attempt == 1000 {
					fail("%s: gave up after %d version conflicts", key, attempt)
					return
				}
				cur, err := s.GetCertificate(ctx, scopeH, k, c.ID)
				if err != nil {
					fail("%s: get: %v", key, err)
					return
				}
				if cur.Tags == nil {
					cur.Tags = map[string]string{}
				}
				cur.Tags[key] = "set"
				err = s.UpdateCertificate(ctx, cur)
				if err == nil {
					break
				}
				if e := certgate.AsError(err); e != nil && e.Code == certgate.EConflict && e.Reason == "version" {
					conflicts.Add(1)
					continue
				}
				fail("%s: update: %v", key, err)
				return
			}
		}
	})
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d version conflicts retried", conflicts.Load())

	got := mustGet(t, p.b, scopeH, k, c.ID)
	for w := range workers {
		for j := range keys {
			if key := fmt.Sprintf("w%d-k%d", w, j); got.Tags[key] != "set" {
				t.Errorf("tag %s lost", key)
			}
		}
	}
	for key, v := range c.Tags {
		if got.Tags[key] != v {
			t.Errorf("original tag %s: got %q, want %q", key, got.Tags[key], v)
		}
	}
	if want := int64(1 + workers*keys); got.Version != want {
		t.Errorf("Version %d after %d updates, want %d", got.Version, workers*keys, want)
	}
}

// testAccountRace creates one account id from both handles at once: one
// wins, the others get EConflict and leave nothing behind.
func testAccountRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	const tries = 8
	errs := make([]error, tries)
	keys := make([]string, tries)
	runConcurrently(tries, func(i int) {
		a, k := newAccount()
		a.ID = "333333333333"
		k.AccountID = a.ID
		keys[i] = k.ID
		errs[i] = p.both()[i%2].CreateAccount(ctx, a, k, nil)
	})
	wins := 0
	for i, err := range errs {
		switch certgate.ErrorCode(err) {
		case "":
			wins++
			if _, err := p.a.GetAccessKey(ctx, keys[i]); err != nil {
				t.Errorf("winner's access key: %v", err)
			}
		case certgate.EConflict:
			_, err := p.b.GetAccessKey(ctx, keys[i])
			checkErr(t, err, certgate.ENotFound, "", "loser's access key")
		default:
			t.Errorf("create %d: %v, want nil or %s", i, err, certgate.EConflict)
		}
	}
	if wins != 1 {
		t.Errorf("%d creates of one account succeeded, want 1", wins)
	}
	if n, err := p.b.CountAccounts(ctx); err != nil || n != 1 {
		t.Errorf("CountAccounts = %d, %v; want 1", n, err)
	}
}

// testMetaRace has both handles propose different values for one key at
// once: every caller must be told the same winner.
func testMetaRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	const tries = 16
	got := make([]string, tries)
	errs := make([]error, tries)
	runConcurrently(tries, func(i int) {
		got[i], errs[i] = p.both()[i%2].PutMetaIfAbsent(ctx, "cluster-id", fmt.Sprintf("value-%d", i))
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("PutMetaIfAbsent %d: %v", i, err)
		}
	}
	winner := got[0]
	proposed := false
	for i := range tries {
		if got[i] != winner {
			t.Errorf("caller %d saw %q, caller 0 saw %q", i, got[i], winner)
		}
		proposed = proposed || winner == fmt.Sprintf("value-%d", i)
	}
	if !proposed {
		t.Errorf("winner %q is none of the proposed values", winner)
	}
	for _, s := range p.both() {
		if v, err := s.GetMeta(ctx, "cluster-id"); err != nil || v != winner {
			t.Errorf("GetMeta = %q, %v; want %q", v, err, winner)
		}
	}
}
