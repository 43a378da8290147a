package storetest

import (
	"fmt"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

func testCreateGet(t *testing.T, p *pair) {
	for _, kind := range []certgate.Kind{certgate.KindClient, certgate.KindServer} {
		c := newCert(scopeA, kind)
		c.Name = "name-" + c.ID
		c.Version = 42 // ignored: a new record starts at 1
		want := c.Clone()
		mustCreate(t, p.a, c, 0)
		want.Version = 1
		for i, s := range p.both() {
			got := mustGet(t, s, scopeA, kind, c.ID)
			t.Logf("handle %d", i)
			checkCert(t, got, want)
		}
	}
}

// testCreateGetEmptyFields stores a record whose optional fields are all
// empty or zero, including zero times.
func testCreateGetEmptyFields(t *testing.T, p *pair) {
	for _, tags := range []map[string]string{nil, {}} {
		c := &certgate.Certificate{ID: newID("e"), Scope: scopeH, Kind: certgate.KindServer, Tags: tags}
		want := c.Clone()
		mustCreate(t, p.a, c, 0)
		want.Version = 1
		got := mustGet(t, p.b, scopeH, certgate.KindServer, c.ID)
		checkCert(t, got, want)
	}
}

// testReturnsCopies checks that neither the caller's input nor a returned
// record aliases what the store keeps.
func testReturnsCopies(t *testing.T, p *pair) {
	c := newCert(scopeA, certgate.KindClient)
	want := c.Clone()
	want.Version = 1
	mustCreate(t, p.a, c, 0)
	c.Tags["env"] = "changed"
	c.SANs[0] = "changed"
	c.KeySealed[0] ^= 0xff

	got := mustGet(t, p.a, scopeA, certgate.KindClient, c.ID)
	checkCert(t, got, want)
	got.Tags["env"] = "changed"
	got.SANs[0] = "changed"
	got.KeySealed[0] ^= 0xff
	checkCert(t, mustGet(t, p.a, scopeA, certgate.KindClient, c.ID), want)

	l := mustList(t, p.a, store.ListQuery{Scope: scopeA, Kind: certgate.KindClient})
	if len(l) != 1 {
		t.Fatalf("list: %d records, want 1", len(l))
	}
	l[0].Tags["env"] = "changed"
	l[0].SANs[0] = "changed"
	l[0].KeySealed[0] ^= 0xff
	checkCert(t, mustList(t, p.a, store.ListQuery{Scope: scopeA, Kind: certgate.KindClient})[0], want)
}

// testScopeIsolation checks that a record is invisible, and untouchable,
// through any other account, region or kind.
func testScopeIsolation(t *testing.T, p *pair) {
	ctx := testCtx(t)
	c := newCert(scopeA, certgate.KindClient)
	c.Name = "isolated"
	want := c.Clone()
	want.Version = 1
	mustCreate(t, p.a, c, 0)

	others := []struct {
		scope certgate.Scope
		kind  certgate.Kind
	}{
		{scopeB, certgate.KindClient},  // other account
		{scopeA2, certgate.KindClient}, // other region
		{scopeH, certgate.KindClient},  // empty region
		{scopeA, certgate.KindServer},  // other kind
	}
	for _, o := range others {
		what := fmt.Sprintf("via %v/%s", o.scope, o.kind)
		for _, s := range p.both() {
			_, err := s.GetCertificate(ctx, o.scope, o.kind, c.ID)
			checkErr(t, err, certgate.ENotFound, "", "GetCertificate "+what)

			u := c.Clone()
			u.Scope, u.Kind, u.Description = o.scope, o.kind, "hijacked"
			checkErr(t, s.UpdateCertificate(ctx, u), certgate.ENotFound, "", "UpdateCertificate "+what)

			checkErr(t, s.DeleteCertificate(ctx, o.scope, o.kind, c.ID), certgate.ENotFound, "", "DeleteCertificate "+what)

			q := store.ListQuery{Scope: o.scope, Kind: o.kind}
			if l := mustList(t, s, q); len(l) != 0 {
				t.Errorf("ListCertificates %s: got %v, want none", what, ids(l))
			}
			if n := mustCount(t, s, q); n != 0 {
				t.Errorf("CountCertificates %s: %d, want 0", what, n)
			}
			q.Name = c.Name
			if n := mustCount(t, s, q); n != 0 {
				t.Errorf("CountCertificates %s by name: %d, want 0", what, n)
			}
		}
	}
	// The record itself is untouched by all of the above.
	checkCert(t, mustGet(t, p.b, scopeA, certgate.KindClient, c.ID), want)
	if n := mustCount(t, p.b, store.ListQuery{Scope: scopeA, Kind: certgate.KindClient}); n != 1 {
		t.Errorf("CountCertificates in own scope: %d, want 1", n)
	}

	_, err := p.a.GetCertificate(ctx, scopeA, certgate.KindClient, "no-such-id")
	checkErr(t, err, certgate.ENotFound, "", "GetCertificate of a missing id")
}

func testDuplicateID(t *testing.T, p *pair) {
	ctx := testCtx(t)
	c := newCert(scopeA, certgate.KindClient)
	want := c.Clone()
	want.Version = 1
	mustCreate(t, p.a, c, 0)

	// Ids are global: the same id is taken in any scope and kind.
	for _, o := range []struct {
		scope certgate.Scope
		kind  certgate.Kind
	}{{scopeA, certgate.KindClient}, {scopeB, certgate.KindClient}, {scopeA, certgate.KindServer}} {
		for _, s := range p.both() {
			d := newCert(o.scope, o.kind)
			d.ID = c.ID
			err := s.CreateCertificate(ctx, d, 0)
			checkErr(t, err, certgate.EConflict, "duplicate_id", fmt.Sprintf("create duplicate id in %v/%s", o.scope, o.kind))
		}
		if o.scope != scopeA || o.kind != certgate.KindClient {
			_, err := p.b.GetCertificate(ctx, o.scope, o.kind, c.ID)
			checkErr(t, err, certgate.ENotFound, "", "get after a rejected duplicate")
		}
	}
	checkCert(t, mustGet(t, p.b, scopeA, certgate.KindClient, c.ID), want)
}

// testDuplicateName checks name uniqueness within an account and kind, on
// create and on update. The contract names account and kind, not region,
// so the same name in another region of the account is a conflict too.
func testDuplicateName(t *testing.T, p *pair) {
	ctx := testCtx(t)
	k := certgate.KindServer
	first := mustCreateNamed(t, p.a, scopeH, k, "web")

	for i, s := range p.both() {
		d := newCert(scopeH, k)
		d.Name = "web"
		checkErr(t, s.CreateCertificate(ctx, d, 0), certgate.EConflict, "duplicate_name",
			fmt.Sprintf("handle %d: create duplicate name", i))
		_, err := p.a.GetCertificate(ctx, scopeH, k, d.ID)
		checkErr(t, err, certgate.ENotFound, "", "get after a rejected duplicate name")
	}
	d := newCert(scopeA, k) // same account and kind, another region
	d.Name = "web"
	checkErr(t, p.b.CreateCertificate(ctx, d, 0), certgate.EConflict, "duplicate_name",
		"create duplicate name in another region of the account")

	// The same name is free in another account and in another kind.
	other := newCert(scopeB, k)
	other.Name = "web"
	mustCreate(t, p.b, other, 0)
	client := newCert(scopeH, certgate.KindClient)
	client.Name = "web"
	mustCreate(t, p.b, client, 0)

	// Empty names never conflict.
	var unnamed []*certgate.Certificate
	for range 3 {
		c := newCert(scopeH, k)
		mustCreate(t, p.a, c, 0)
		unnamed = append(unnamed, c)
	}
	u := mustGet(t, p.b, scopeH, k, unnamed[0].ID)
	u.Description = "still unnamed"
	if err := p.b.UpdateCertificate(ctx, u); err != nil {
		t.Fatalf("update of an unnamed record: %v", err)
	}

	// Update into a taken name fails and changes nothing.
	api := mustCreateNamed(t, p.a, scopeH, k, "api")
	want := api.Clone()
	u = api.Clone()
	u.Name = "web"
	u.Description = "renamed"
	checkErr(t, p.b.UpdateCertificate(ctx, u), certgate.EConflict, "duplicate_name", "rename into a taken name")
	checkCert(t, mustGet(t, p.a, scopeH, k, api.ID), want)

	// Keeping one's own name is not a conflict.
	u = mustGet(t, p.a, scopeH, k, api.ID)
	u.Description = "same name"
	if err := p.a.UpdateCertificate(ctx, u); err != nil {
		t.Fatalf("update keeping the name: %v", err)
	}

	// Once the holder is deleted, or renamed, the name is free again.
	if err := p.a.DeleteCertificate(ctx, scopeH, k, first.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	u = mustGet(t, p.b, scopeH, k, api.ID)
	u.Name = "web"
	if err := p.b.UpdateCertificate(ctx, u); err != nil {
		t.Fatalf("rename into a freed name: %v", err)
	}
	mustCreateNamed(t, p.a, scopeH, k, "api")
}

func testQuota(t *testing.T, p *pair) {
	ctx := testCtx(t)
	const quota = 3
	k := certgate.KindClient
	var made []*certgate.Certificate
	for i := range quota {
		c := newCert(scopeA, k)
		mustCreate(t, p.both()[i%2], c, quota)
		made = append(made, c)
	}
	for _, s := range p.both() {
		c := newCert(scopeA, k)
		checkErr(t, s.CreateCertificate(ctx, c, quota), certgate.ELimitExceeded, "", "create over quota")
		_, err := p.a.GetCertificate(ctx, scopeA, k, c.ID)
		checkErr(t, err, certgate.ENotFound, "", "get after a rejected create")
	}
	if n := mustCount(t, p.a, store.ListQuery{Scope: scopeA, Kind: k}); n != quota {
		t.Fatalf("count: %d, want %d", n, quota)
	}

	// Deleting frees exactly one slot.
	if err := p.b.DeleteCertificate(ctx, scopeA, k, made[0].ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	mustCreate(t, p.a, newCert(scopeA, k), quota)
	checkErr(t, p.b.CreateCertificate(ctx, newCert(scopeA, k), quota), certgate.ELimitExceeded, "",
		"create over quota after a delete and a create")

	// The quota is a parameter of each call: a larger one admits more.
	mustCreate(t, p.b, newCert(scopeA, k), quota+1)
	checkErr(t, p.a.CreateCertificate(ctx, newCert(scopeA, k), quota+1), certgate.ELimitExceeded, "",
		"create over the raised quota")
}

// testQuotaPerScope checks that the quota counts (account, region, kind)
// separately.
func testQuotaPerScope(t *testing.T, p *pair) {
	ctx := testCtx(t)
	const quota = 2
	type sk struct {
		scope certgate.Scope
		kind  certgate.Kind
	}
	all := []sk{
		{scopeA, certgate.KindClient}, {scopeA2, certgate.KindClient}, {scopeB, certgate.KindClient},
		{scopeH, certgate.KindClient}, {scopeA, certgate.KindServer},
	}
	for _, x := range all {
		for range quota {
			mustCreate(t, p.a, newCert(x.scope, x.kind), quota)
		}
	}
	for _, x := range all {
		checkErr(t, p.b.CreateCertificate(ctx, newCert(x.scope, x.kind), quota), certgate.ELimitExceeded, "",
			fmt.Sprintf("create over quota in %v/%s", x.scope, x.kind))
	}
}

// testQuotaUnlimited checks that quota <= 0 means no limit, and that records
// created without a limit still count against a later one.
func testQuotaUnlimited(t *testing.T, p *pair) {
	ctx := testCtx(t)
	k := certgate.KindServer
	for i := range 4 {
		mustCreate(t, p.both()[i%2], newCert(scopeH, k), 0)
	}
	mustCreate(t, p.a, newCert(scopeH, k), -1)
	checkErr(t, p.a.CreateCertificate(ctx, newCert(scopeH, k), 5), certgate.ELimitExceeded, "",
		"create with quota 5 over 5 records made without a quota")
	mustCreate(t, p.b, newCert(scopeH, k), 6)
}

// testQuotaFailedCreate checks that a create rejected for another reason
// (a conflict, a cancelled context) does not use up a slot.
func testQuotaFailedCreate(t *testing.T, p *pair) {
	ctx := testCtx(t)
	k := certgate.KindServer
	const quota = 2
	c := newCert(scopeH, k)
	c.Name = "taken"
	mustCreate(t, p.a, c, quota)
	for range 3 {
		d := newCert(scopeH, k)
		d.ID = c.ID
		checkErr(t, p.b.CreateCertificate(ctx, d, quota), certgate.EConflict, "duplicate_id", "duplicate id")
		d = newCert(scopeH, k)
		d.Name = "taken"
		checkErr(t, p.b.CreateCertificate(ctx, d, quota), certgate.EConflict, "duplicate_name", "duplicate name")
		if err := p.a.CreateCertificate(cancelled(), newCert(scopeH, k), quota); err == nil {
			t.Fatal("create with a cancelled context succeeded")
		}
	}
	mustCreate(t, p.b, newCert(scopeH, k), quota)
	checkErr(t, p.a.CreateCertificate(ctx, newCert(scopeH, k), quota), certgate.ELimitExceeded, "", "create over quota")
}
