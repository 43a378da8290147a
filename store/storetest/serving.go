package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

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

// testServingDomains: every tenant's domains, in id order, each with its
// certificates in binding order and their sealed keys.
func testServingDomains(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, foreign := domainFixture(t, p)
	d1 := newDomain(g, "one.serve.example.com", base)
	d2 := newDomain(g, "two.serve.example.com", base)
	fd := newDomain(foreign, "three.serve.example.com", base)
	for _, d := range []*certgate.Domain{d1, d2, fd} {
		if err := p.a.CreateDomain(ctx, d, 0); err != nil {
			t.Fatal(err)
		}
	}
	rsa := serverCert(t, p.a, g.AccountID, "RSA")
	ecc := serverCert(t, p.b, g.AccountID, "ECC")
	theirs := serverCert(t, p.a, foreign.AccountID, "RSA")
	later := binding(d1, ecc)
	later.CreatedAt = base.Add(time.Second)
	for _, b := range []*certgate.Binding{binding(d1, rsa), later, binding(fd, theirs)} {
		if err := bindCert(ctx, p.b, b); err != nil {
			t.Fatal(err)
		}
	}
	want := []*certgate.Domain{d1, d2, fd}
	slices.SortFunc(want, func(x, y *certgate.Domain) int { return strings.Compare(x.ID, y.ID) })
	r := newRevision(t, p)
	for i, s := range p.both() {
		got, err := s.(store.ServingView).ServingDomains(ctx)
		if err != nil {
			t.Fatalf("handle %d: ServingDomains: %v", i, err)
		}
		if len(got) != len(want) {
			t.Fatalf("handle %d: ServingDomains returned %d domains, want %d", i, len(got), len(want))
		}
		for j, sv := range got {
			checkFields(t, "ServingDomains domain", sv.Domain, want[j])
			var wantCerts []*certgate.Certificate
			switch sv.Domain.ID {
			case d1.ID:
				wantCerts = []*certgate.Certificate{rsa, ecc}
			case fd.ID:
				wantCerts = []*certgate.Certificate{theirs}
			}
			if len(sv.Certificates) != len(wantCerts) {
				t.Fatalf("handle %d: %s has %d certificates, want %d", i, sv.Domain.Name, len(sv.Certificates), len(wantCerts))
			}
			for k := range wantCerts {
				checkCert(t, sv.Certificates[k], wantCerts[k]) // the sealed key included
			}
		}
	}
	r.expect(0, "ServingDomains")
}
