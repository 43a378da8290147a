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

// testServingRoutes: every tenant's groups, environments, current API
// versions, served stages and presented client certificates; nothing
// else (an old version, an unpublished API, a certificate no stage uses,
// a server certificate).
func testServingRoutes(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, in1, _, foreign := apiFixture(t, p)
	fg := newGroup(foreign, "group_theirs", base)
	if err := p.b.CreateGroup(ctx, fg); err != nil {
		t.Fatal(err)
	}
	env := newEnv(in1, "DEV", base)
	if err := p.a.CreateEnvironment(ctx, env, 0); err != nil {
		t.Fatal(err)
	}
	mine, gone, theirs := newAPI(g, "api_mine", "/m", base), newAPI(g, "api_gone", "/g", base), newAPI(fg, "api_theirs", "/t", base)
	for _, a := range []*certgate.API{mine, gone, theirs} {
		if err := p.a.CreateAPI(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	old, cur, dev := newVersion(mine, certgate.ReleaseEnvironmentID, base), newVersion(mine, certgate.ReleaseEnvironmentID, base.Add(time.Second)), newVersion(mine, env.ID, base)
	for _, v := range []*certgate.APIVersion{old, cur, dev, newVersion(gone, env.ID, base), newVersion(theirs, certgate.ReleaseEnvironmentID, base)} {
		if err := p.a.Publish(ctx, v, 5); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.b.Unpublish(ctx, gone.AccountID, gone.InstanceID, gone.ID, env.ID); err != nil {
		t.Fatal(err)
	}
	vTheirs, err := p.a.ListAPIVersions(ctx, theirs.AccountID, theirs.InstanceID, theirs.ID)
	if err != nil || len(vTheirs) != 1 {
		t.Fatalf("ListAPIVersions: %v %v", vTheirs, err)
	}

	apiA, rootA := newRestAPI(scopeA, "served", base)
	apiB, rootB := newRestAPI(scopeB, "theirs", base)
	client := newCert(scopeA, certgate.KindClient)
	unused := newCert(scopeA, certgate.KindClient)
	backend := newCert(certgate.Scope{AccountID: in1.AccountID}, certgate.KindBackend)
	backend.InstanceID = in1.ID
	for _, c := range []*certgate.Certificate{client, unused, backend, newCert(scopeA, certgate.KindServer)} {
		mustCreate(t, p.a, c, 0)
	}
	var stages []*certgate.Stage
	var deps []*certgate.Deployment
	for _, x := range []struct {
		api  *certgate.RestAPI
		root *certgate.Resource
	}{{apiA, rootA}, {apiB, rootB}} {
		if err := p.a.CreateRestAPI(ctx, x.api, x.root, 0); err != nil {
			t.Fatal(err)
		}
		d := newDeployment(x.api, base)
		st := newStage(x.api, "prod")
		if err := p.b.CreateDeployment(ctx, d, st, 0); err != nil {
			t.Fatal(err)
		}
		deps, stages = append(deps, d), append(stages, st)
	}
	stages[0].ClientCertificateID = client.ID
	if err := p.a.UpdateStage(ctx, stages[0]); err != nil {
		t.Fatal(err)
	}

	wantGroups := []*certgate.APIGroup{g, fg}
	slices.SortFunc(wantGroups, func(x, y *certgate.APIGroup) int { return strings.Compare(x.ID, y.ID) })
	wantVersions := []*certgate.APIVersion{cur, dev, vTheirs[0]}
	slices.SortFunc(wantVersions, func(x, y *certgate.APIVersion) int { return strings.Compare(x.ID, y.ID) })
	wantCerts := []*certgate.Certificate{client, backend}
	slices.SortFunc(wantCerts, func(x, y *certgate.Certificate) int { return strings.Compare(x.ID, y.ID) })
	wantStages := []int{0, 1}
	if apiB.ID < apiA.ID {
		wantStages = []int{1, 0}
	}
	r := newRevision(t, p)
	for i, s := range p.both() {
		got, err := s.(store.ServingView).ServingRoutes(ctx)
		if err != nil {
			t.Fatalf("handle %d: ServingRoutes: %v", i, err)
		}
		if len(got.Groups) != len(wantGroups) || len(got.Environments) != 1 || len(got.Versions) != len(wantVersions) ||
			len(got.Stages) != 2 || len(got.Certificates) != len(wantCerts) {
			t.Fatalf("handle %d: ServingRoutes: %d groups, %d environments, %d versions, %d stages, %d certificates; want %d, 1, %d, 2, %d",
				i, len(got.Groups), len(got.Environments), len(got.Versions), len(got.Stages), len(got.Certificates),
				len(wantGroups), len(wantVersions), len(wantCerts))
		}
		for j := range wantGroups {
			checkFields(t, "ServingRoutes group", got.Groups[j], wantGroups[j])
		}
		checkFields(t, "ServingRoutes environment", got.Environments[0], env)
		for j, v := range got.Versions {
			if v.ID != wantVersions[j].ID || !v.Current || v.EnvID != wantVersions[j].EnvID {
				t.Errorf("handle %d: version %d is %s (env %s, current %v), want %s (env %s)", i, j, v.ID, v.EnvID, v.Current, wantVersions[j].ID, wantVersions[j].EnvID)
			}
			checkFields(t, "ServingRoutes version's API", &v.API, &wantVersions[j].API)
		}
		for j, k := range wantStages {
			st := got.Stages[j]
			checkFields(t, "ServingRoutes stage", st.Stage, stages[k])
			checkFields(t, "ServingRoutes deployment", st.Deployment, deps[k])
			if st.API == nil || st.API.ID != st.Stage.APIID || st.API.Scope != st.Stage.Scope {
				t.Errorf("handle %d: stage %s/%s has REST API %+v", i, st.Stage.APIID, st.Stage.Name, st.API)
			}
		}
		for j := range wantCerts {
			checkCert(t, got.Certificates[j], wantCerts[j]) // the sealed key included
		}
	}
	r.expect(0, "ServingRoutes")
}
