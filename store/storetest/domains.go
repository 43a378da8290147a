package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

func newDomain(g *certgate.APIGroup, name string, created time.Time) *certgate.Domain {
	return &certgate.Domain{ID: newInstance("", base).ID, AccountID: g.AccountID, InstanceID: g.InstanceID,
		GroupID: g.ID, Name: name, MinTLSVersion: "TLSv1.2", RedirectHTTP: true, VerifyClients: false,
		HTTPPort: 0, HTTPSPort: 8443, CreatedAt: created, UpdatedAt: created.Add(time.Second)}
}

// domainFixture makes a group of a first account and one of a second.
func domainFixture(t *testing.T, p *pair) (g, foreign *certgate.APIGroup) {
	t.Helper()
	ctx := testCtx(t)
	in1, _, in3 := groupFixture(t, p)
	g = newGroup(in1, "domains", base)
	foreign = newGroup(in3, "domains", base)
	for _, x := range []*certgate.APIGroup{g, foreign} {
		if err := p.a.CreateGroup(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	return g, foreign
}

// testDomains checks custom domains: scoping, names unique per listener
// across tenants, the per-group limit, updates, deletes with the group and
// the account, and the revision.
func testDomains(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, foreign := domainFixture(t, p)
	r := newRevision(t, p)
	var moves int64

	d1 := newDomain(g, "api.example.com", base)
	if err := p.a.CreateDomain(ctx, d1, 3); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "CreateDomain")
	d2 := newDomain(g, "*.example.com", base.Add(time.Second))
	d2.HTTPPort, d2.HTTPSPort, d2.RedirectHTTP, d2.VerifyClients = -1, 0, false, true
	if err := p.b.CreateDomain(ctx, d2, 3); err != nil {
		t.Fatal(err)
	}
	moves++
	for i, s := range p.both() {
		got, err := s.GetDomain(ctx, g.AccountID, g.InstanceID, g.ID, d1.ID)
		if err != nil {
			t.Fatalf("handle %d: GetDomain: %v", i, err)
		}
		checkFields(t, "GetDomain", got, d1)
		list, err := s.ListDomains(ctx, g.AccountID, g.InstanceID, g.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("ListDomains: %d, %v; want 2", len(list), err)
		}
		checkFields(t, "ListDomains[1]", list[1], d2)
	}

	// Names are unique per listener across tenants.
	taken := newDomain(foreign, "api.example.com", base)
	checkErr(t, p.b.CreateDomain(ctx, taken, 3), certgate.EConflict, "duplicate_name", "another tenant claiming a taken name on the same ports")
	onlyHTTPS := newDomain(foreign, "api.example.com", base)
	onlyHTTPS.HTTPPort, onlyHTTPS.HTTPSPort = -1, 8443
	checkErr(t, p.a.CreateDomain(ctx, onlyHTTPS, 3), certgate.EConflict, "duplicate_name", "a taken name on its HTTPS port alone")
	// Another tenant may not take the name on a listener nobody holds
	// either: every listener answers the same DNS name, so holding it over
	// HTTP alone would hand it the first tenant's plain-HTTP traffic (and
	// its users' cookies that lack Secure), past that tenant's choice of
	// HTTPS only.
	otherPort := newDomain(foreign, "api.example.com", base)
	otherPort.HTTPPort, otherPort.HTTPSPort = -1, 9443
	checkErr(t, p.a.CreateDomain(ctx, otherPort, 3), certgate.EConflict, "duplicate_name", "another tenant claiming a taken name on listeners nobody holds")
	onlyHTTP := newDomain(foreign, "*.example.com", base)
	onlyHTTP.HTTPPort, onlyHTTP.HTTPSPort = 0, -1
	checkErr(t, p.b.CreateDomain(ctx, onlyHTTP, 3), certgate.EConflict, "duplicate_name", "another tenant taking over HTTP a name held over HTTPS only")
	// Nor a name under another tenant's wildcard (the exact name would
	// win over it), nor a wildcard over another tenant's name; names
	// deeper than one label, and % or _, do not clash.
	checkErr(t, p.b.CreateDomain(ctx, newDomain(foreign, "victim.example.com", base), 3), certgate.EConflict, "duplicate_name",
		"another tenant's name under a tenant's wildcard")
	checkErr(t, p.b.CreateDomain(ctx, newDomain(foreign, "*.example.com", base), 3), certgate.EConflict, "duplicate_name",
		"another tenant's wildcard over a tenant's name")
	deep := newDomain(foreign, "a.b.example.com", base)
	deep.HTTPPort, deep.HTTPSPort = -1, -1
	if err := p.b.CreateDomain(ctx, deep, 3); err != nil {
		t.Errorf("a name two labels under another tenant's wildcard: %v", err)
	}
	moves++
	for _, n := range []string{"*.b.example.com", "*.%xample.com", "*._xample.com"} {
		x := newDomain(foreign, n, base)
		x.HTTPPort, x.HTTPSPort = -1, -1
		if err := p.b.CreateDomain(ctx, x, 3); err != nil {
			t.Errorf("%s clashed: %v", n, err)
		}
		moves++
		if err := p.b.DeleteDomain(ctx, foreign.AccountID, foreign.InstanceID, foreign.ID, x.ID); err != nil {
			t.Fatal(err)
		}
		moves++
	}
	if err := p.b.DeleteDomain(ctx, foreign.AccountID, foreign.InstanceID, foreign.ID, deep.ID); err != nil {
		t.Fatal(err)
	}
	moves++
	// The holder itself may spread a name over listeners.
	ownPort := newDomain(g, "api.example.com", base)
	ownPort.HTTPPort, ownPort.HTTPSPort = -1, 9443
	if err := p.a.CreateDomain(ctx, ownPort, 3); err != nil {
		t.Errorf("the holder's same name on listeners nobody holds: %v", err)
	}
	moves++
	onto := *ownPort
	onto.HTTPSPort = 8443
	checkErr(t, updateDomain(ctx, p.b, &onto), certgate.EConflict, "duplicate_name", "UpdateDomain onto a listener holding the name")
	if err := p.a.DeleteDomain(ctx, g.AccountID, g.InstanceID, g.ID, ownPort.ID); err != nil {
		t.Fatal(err)
	}
	moves++

	// Scoping.
	_, missing := p.a.GetDomain(ctx, g.AccountID, g.InstanceID, g.ID, newInstance("", base).ID)
	checkErr(t, missing, certgate.ENotFound, "", "GetDomain of a missing id")
	_, err := p.a.GetDomain(ctx, foreign.AccountID, foreign.InstanceID, foreign.ID, d1.ID)
	checkErr(t, err, certgate.ENotFound, "", "GetDomain through another tenant's group")
	if certgate.ErrorMessage(err) != certgate.ErrorMessage(missing) {
		t.Errorf("another tenant's domain says %q, a missing one %q", certgate.ErrorMessage(err), certgate.ErrorMessage(missing))
	}
	intruder := newDomain(g, "intruder.example.com", base)
	intruder.AccountID = foreign.AccountID
	checkErr(t, p.b.CreateDomain(ctx, intruder, 3), certgate.ENotFound, store.ReasonNoGroup, "CreateDomain in another tenant's group")
	checkErr(t, p.b.DeleteDomain(ctx, foreign.AccountID, g.InstanceID, g.ID, d1.ID), certgate.ENotFound, "", "DeleteDomain by another tenant")

	// The limit, and other refused writes.
	d3 := newDomain(g, "three.example.com", base.Add(2*time.Second))
	if err := p.a.CreateDomain(ctx, d3, 3); err != nil {
		t.Fatal(err)
	}
	moves++
	checkErr(t, p.b.CreateDomain(ctx, newDomain(g, "four.example.com", base), 3), certgate.ELimitExceeded, "domains", "a fourth domain with max 3")
	stale := *d1
	stale.Version = 9
	checkErr(t, updateDomain(ctx, p.a, &stale), certgate.EConflict, "version", "UpdateDomain of a stale version")
	clash := *d3
	clash.Name = "ignored.example.com" // names never change
	clash.HTTPSPort = 9443
	if err := updateDomain(ctx, p.a, &clash); err != nil {
		t.Errorf("UpdateDomain to a port another name holds: %v", err)
	}
	moves++
	r.expect(moves, "refused writes")
	if got, err := p.a.GetDomain(ctx, g.AccountID, g.InstanceID, g.ID, d3.ID); err != nil || got.Name != "three.example.com" {
		t.Errorf("UpdateDomain changed the name: %+v, %v", got, err)
	}

	upd := *d1
	upd.MinTLSVersion, upd.RedirectHTTP, upd.VerifyClients, upd.HTTPPort, upd.HTTPSPort = "TLSv1.1", false, true, 8080, -1
	upd.UpdatedAt = base.Add(time.Hour)
	if err := updateDomain(ctx, p.b, &upd); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "UpdateDomain")
	got, err := p.a.GetDomain(ctx, g.AccountID, g.InstanceID, g.ID, d1.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "GetDomain after UpdateDomain", got, &upd)

	if err := p.a.DeleteDomain(ctx, g.AccountID, g.InstanceID, g.ID, d2.ID); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "DeleteDomain")
	checkErr(t, p.a.DeleteDomain(ctx, g.AccountID, g.InstanceID, g.ID, d2.ID), certgate.ENotFound, "", "DeleteDomain twice")

	// Deleting the group takes its domains, and frees their names.
	if err := p.b.DeleteGroup(ctx, g.AccountID, g.InstanceID, g.ID); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "DeleteGroup")
	_, err = p.a.GetDomain(ctx, g.AccountID, g.InstanceID, g.ID, d1.ID)
	checkErr(t, err, certgate.ENotFound, "", "a domain of a deleted group")
	if err := p.b.CreateDomain(ctx, newDomain(foreign, "three.example.com", base), 0); err != nil {
		t.Errorf("a name freed by DeleteGroup: %v", err)
	}
	if err := p.a.DeleteAccount(ctx, foreign.AccountID, true); err != nil {
		t.Fatal(err)
	}
	if err := p.a.CreateDomain(ctx, newDomain(foreign, "late.example.com", base), 0); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("CreateDomain in a deleted account's group: %v; want ENotFound", err)
	}
	g2 := newGroup(&certgate.Instance{ID: g.InstanceID, AccountID: g.AccountID}, "again", base)
	if err := p.a.CreateGroup(ctx, g2); err != nil {
		t.Fatal(err)
	}
	if err := p.a.CreateDomain(ctx, newDomain(g2, "three.example.com", base), 0); err != nil {
		t.Errorf("a name freed by DeleteAccount: %v", err)
	}
}

// testDomainRace has two handles add domains to one group at once, and
// claim one name from two tenants at once.
func testDomainRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, foreign := domainFixture(t, p)
	const n, max = 10, 5
	errs := make([]error, n)
	runConcurrently(n, func(i int) {
		errs[i] = p.both()[i%2].CreateDomain(ctx, newDomain(g, fmt.Sprintf("d%d.example.com", i), base), max)
	})
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			checkErr(t, err, certgate.ELimitExceeded, "domains", "racing CreateDomain")
		}
	}
	if won != max {
		t.Errorf("%d racing creates succeeded under a limit of %d", won, max)
	}
	groups := []*certgate.APIGroup{g, foreign}
	runConcurrently(n, func(i int) {
		errs[i] = p.both()[i%2].CreateDomain(ctx, newDomain(groups[i%2], "contested.example.net", base), 0)
	})
	won = 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			checkErr(t, err, certgate.EConflict, "duplicate_name", "racing claims of one name")
		}
	}
	if won != 1 {
		t.Errorf("%d racing claims of one name succeeded, want 1", won)
	}
}

// testDomainDeleteGroupRace adds domains on one handle while the other
// deletes their group: no domain may outlive it (nor keep its name).
func testDomainDeleteGroupRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	in1, _, _ := groupFixture(t, p)
	for round := range 5 {
		g := newGroup(in1, fmt.Sprintf("round_%d", round), base)
		if err := p.a.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := p.b.CreateDomain(ctx, newDomain(g, fmt.Sprintf("r%d-%d.example.com", round, i), base), 0)
				if err != nil && certgate.ErrorCode(err) != certgate.ENotFound {
					t.Errorf("round %d: CreateDomain: %v", round, err)
				}
			}()
		}
		if err := p.a.DeleteGroup(ctx, g.AccountID, g.InstanceID, g.ID); err != nil {
			t.Fatalf("round %d: DeleteGroup: %v", round, err)
		}
		wg.Wait()
		if list, err := p.a.ListDomains(ctx, g.AccountID, g.InstanceID, g.ID); err != nil || len(list) != 0 {
			t.Fatalf("round %d: %d domains of the deleted group survive (%v)", round, len(list), err)
		}
		// Their names are free: an orphan row would still hold one.
		g2 := newGroup(in1, fmt.Sprintf("after_%d", round), base)
		if err := p.a.CreateGroup(ctx, g2); err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			if err := p.a.CreateDomain(ctx, newDomain(g2, fmt.Sprintf("r%d-%d.example.com", round, i), base), 0); err != nil {
				t.Fatalf("round %d: the name of a deleted group's domain is still held: %v", round, err)
			}
		}
	}
}
