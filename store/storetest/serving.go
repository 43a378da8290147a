package storetest

import (
	"slices"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// testServingView: the cross-tenant, read-only view returns the records of
// one kind of every tenant, in id order, in pages, and changes nothing.
func testServingView(t *testing.T, p *pair) {
	ctx := testCtx(t)
	var views []store.ServingView
	for i, s := range p.both() {
		v, ok := s.(store.ServingView)
		if !ok {
			t.Fatalf("handle %d (%T) does not implement store.ServingView", i, s)
		}
		views = append(views, v)
	}
	k := certgate.KindServer
	var want []*certgate.Certificate
	for i, scope := range []certgate.Scope{scopeA, scopeB, scopeA2, scopeH, scopeB} {
		c := newCert(scope, k)
		c.Name = "" // names may repeat across tenants; ids order the view
		mustCreate(t, p.both()[i%2], c, 0)
		want = append(want, c)
	}
	other := newCert(scopeA, certgate.KindClient)
	mustCreate(t, p.a, other, 0)
	slices.SortFunc(want, func(x, y *certgate.Certificate) int {
		switch {
		case x.ID < y.ID:
			return -1
		case x.ID > y.ID:
			return 1
		}
		return 0
	})
	wantIDs := ids(want)

	for i, v := range views {
		all, err := v.ServingCertificates(ctx, k, "", 0)
		if err != nil {
			t.Fatalf("handle %d: ServingCertificates: %v", i, err)
		}
		checkIDs(t, "ServingCertificates, all", all, wantIDs)
		for j := range min(len(all), len(want)) {
			checkCert(t, all[j], want[j])
		}

		// Pages of 2, each strictly after the last id of the one before.
		var paged []*certgate.Certificate
		after := ""
		for range len(want) + 1 {
			page, err := v.ServingCertificates(ctx, k, after, 2)
			if err != nil {
				t.Fatalf("handle %d: ServingCertificates(after %q): %v", i, after, err)
			}
			if len(page) > 2 {
				t.Fatalf("handle %d: page of %d records with limit 2", i, len(page))
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			after = page[len(page)-1].ID
		}
		checkIDs(t, "ServingCertificates, paged", paged, wantIDs)

		rest, err := v.ServingCertificates(ctx, k, want[1].ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, "ServingCertificates after the second id", rest, wantIDs[2:])
		clients, err := v.ServingCertificates(ctx, certgate.KindClient, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, "ServingCertificates of the other kind", clients, []string{other.ID})
		bad, err := v.ServingCertificates(ctx, k, "\x00", 0)
		if err != nil || len(bad) != 0 {
			t.Errorf("ServingCertificates after a NUL id = %d records, %v; want none, nil", len(bad), err)
		}
	}

	// Reading changed nothing: every record is as created, version 1, and
	// the quota counters still count them.
	for _, c := range want {
		checkCert(t, mustGet(t, p.a, c.Scope, k, c.ID), c)
	}
	if n := mustCount(t, p.b, store.ListQuery{Scope: scopeB, Kind: k}); n != 2 {
		t.Errorf("CountCertificates(scopeB) = %d after reading the view, want 2", n)
	}
}
