package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

func newRestAPI(scope certgate.Scope, name string, created time.Time) (*certgate.RestAPI, *certgate.Resource) {
	size := 1024
	api := &certgate.RestAPI{ID: newID("")[:10], Scope: scope, Name: name, Description: "desc – ✓",
		APIKeySource: "HEADER", EndpointTypes: []string{"REGIONAL"}, IPAddressType: "ipv4",
		BinaryMediaTypes: []string{"image/png"}, Policy: `{"Version":"2012-10-17"}`,
		MinimumCompressionSize: &size, Tags: map[string]string{"env": "test"}, CreatedAt: created}
	return api, &certgate.Resource{ID: newID("")[:10], Scope: scope, APIID: api.ID, CreatedAt: created}
}

func newResource(parent *certgate.Resource, part string, created time.Time) *certgate.Resource {
	return &certgate.Resource{ID: newID("")[:10], Scope: parent.Scope, APIID: parent.APIID, ParentID: parent.ID,
		PathPart: part, CreatedAt: created}
}

func mustTree(t *testing.T, s store.Store, scope certgate.Scope, apiID string) ([]*certgate.Resource, int64) {
	t.Helper()
	rs, v, err := s.ListResources(testCtx(t), scope, apiID)
	if err != nil {
		t.Fatalf("ListResources: %v", err)
	}
	return rs, v
}

// testRestAPIs checks REST APIs: scoping by account and region, the quota,
// optimistic updates, deletes with their trees, and that the revision does
// not move.
func testRestAPIs(t *testing.T, p *pair) {
	ctx := testCtx(t)
	r := newRevision(t, p)
	api, root := newRestAPI(scopeA, "one", base)
	if err := p.a.CreateRestAPI(ctx, api, root, 2); err != nil {
		t.Fatal(err)
	}
	if api.Version != 1 || api.RootResourceID != root.ID {
		t.Errorf("after create: Version %d, RootResourceID %q; want 1, %q", api.Version, api.RootResourceID, root.ID)
	}
	for i, s := range p.both() {
		got, err := s.GetRestAPI(ctx, scopeA, api.ID)
		if err != nil {
			t.Fatalf("handle %d: GetRestAPI: %v", i, err)
		}
		checkFields(t, "GetRestAPI", got, api)
	}
	api2, root2 := newRestAPI(scopeA, "two", base.Add(time.Second))
	api2.MinimumCompressionSize, api2.Tags, api2.BinaryMediaTypes = nil, nil, nil
	if err := p.b.CreateRestAPI(ctx, api2, root2, 2); err != nil {
		t.Fatal(err)
	}
	dupAPI, dupRoot := newRestAPI(scopeB, "dup", base)
	dupAPI.ID = api.ID
	checkErr(t, p.a.CreateRestAPI(ctx, dupAPI, dupRoot, 0), certgate.EConflict, "duplicate_id", "CreateRestAPI with a taken id")
	api3, root3 := newRestAPI(scopeA, "three", base)
	checkErr(t, p.a.CreateRestAPI(ctx, api3, root3, 2), certgate.ELimitExceeded, "rest_apis", "CreateRestAPI over the quota")
	// Another region has a quota of its own.
	other, otherRoot := newRestAPI(scopeA2, "one", base)
	if err := p.a.CreateRestAPI(ctx, other, otherRoot, 2); err != nil {
		t.Fatalf("CreateRestAPI in another region: %v", err)
	}
	list, err := p.b.ListRestAPIs(ctx, scopeA)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListRestAPIs = %d, %v; want 2", len(list), err)
	}
	checkFields(t, "ListRestAPIs[0]", list[0], api)
	checkFields(t, "ListRestAPIs[1]", list[1], api2)

	// Tenancy: another region or account is ENotFound like a missing id.
	_, missing := p.a.GetRestAPI(ctx, scopeA, "zzzzzzzzzz")
	checkErr(t, missing, certgate.ENotFound, "", "GetRestAPI of a missing id")
	for what, scope := range map[string]certgate.Scope{"another region": scopeA2, "another account": scopeB} {
		_, err := p.b.GetRestAPI(ctx, scope, api.ID)
		checkErr(t, err, certgate.ENotFound, "", "GetRestAPI through "+what)
		if certgate.ErrorMessage(err) != certgate.ErrorMessage(missing) {
			t.Errorf("GetRestAPI through %s says %q, a missing one %q", what, certgate.ErrorMessage(err), certgate.ErrorMessage(missing))
		}
		_, _, err = p.b.ListResources(ctx, scope, api.ID)
		checkErr(t, err, certgate.ENotFound, "", "ListResources through "+what)
		checkErr(t, p.b.DeleteRestAPI(ctx, scope, api.ID), certgate.ENotFound, "", "DeleteRestAPI through "+what)
		foreign := *api
		foreign.Scope = scope
		checkErr(t, p.b.UpdateRestAPI(ctx, &foreign), certgate.ENotFound, "", "UpdateRestAPI through "+what)
		if ms, err := p.b.ListMethods(ctx, scope, api.ID); err != nil || len(ms) != 0 {
			t.Errorf("ListMethods through %s = %d, %v", what, len(ms), err)
		}
	}

	// Updates are optimistic.
	upd := *api
	upd.Name, upd.Description, upd.EndpointTypes = "renamed", "", []string{"EDGE"}
	if err := p.a.UpdateRestAPI(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	if upd.Version != 2 {
		t.Errorf("Version after UpdateRestAPI = %d, want 2", upd.Version)
	}
	got, err := p.b.GetRestAPI(ctx, scopeA, api.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "GetRestAPI after update", got, &upd)
	checkErr(t, p.b.UpdateRestAPI(ctx, api), certgate.EConflict, "version", "UpdateRestAPI of a stale version")
	bad := upd
	bad.Description = "bad\x00text"
	checkErr(t, p.a.UpdateRestAPI(ctx, &bad), certgate.EInvalid, store.ReasonBadText, "UpdateRestAPI with a NUL byte")
	bad.Description, bad.Tags = "", map[string]string{"k": "\xff"}
	checkErr(t, p.a.UpdateRestAPI(ctx, &bad), certgate.EInvalid, store.ReasonBadText, "UpdateRestAPI with invalid UTF-8 in a tag")

	// Deleting frees the quota slot.
	if err := p.b.DeleteRestAPI(ctx, scopeA, api2.ID); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.a.DeleteRestAPI(ctx, scopeA, api2.ID), certgate.ENotFound, "", "DeleteRestAPI twice")
	if _, _, err := p.a.ListResources(ctx, scopeA, api2.ID); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("ListResources of a deleted API: %v", err)
	}
	if err := p.a.CreateRestAPI(ctx, api3, root3, 2); err != nil {
		t.Fatalf("CreateRestAPI after a delete freed a slot: %v", err)
	}
	r.expect(0, "REST API writes")
}

// testResources checks the tree: versions, the quota, subtree deletes,
// methods, and tenancy at every level.
func testResources(t *testing.T, p *pair) {
	ctx := testCtx(t)
	api, root := newRestAPI(scopeA, "tree", base)
	if err := p.a.CreateRestAPI(ctx, api, root, 0); err != nil {
		t.Fatal(err)
	}
	rs, v := mustTree(t, p.b, scopeA, api.ID)
	if len(rs) != 1 {
		t.Fatalf("a new API has %d resources, want 1 (the root)", len(rs))
	}
	checkFields(t, "root", rs[0], &certgate.Resource{ID: root.ID, Scope: scopeA, APIID: api.ID, CreatedAt: base})

	pets := newResource(root, "pets", base.Add(time.Second))
	if err := p.a.CreateResource(ctx, pets, v, 3); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.b.CreateResource(ctx, newResource(root, "late", base), v, 3), certgate.EConflict, "version", "CreateResource at a stale tree version")
	rs, v = mustTree(t, p.b, scopeA, api.ID)
	proxy := newResource(pets, "{proxy+}", base.Add(2*time.Second))
	if err := p.b.CreateResource(ctx, proxy, v, 3); err != nil {
		t.Fatal(err)
	}
	_, v = mustTree(t, p.a, scopeA, api.ID)
	checkErr(t, p.a.CreateResource(ctx, newResource(root, "full", base), v, 3), certgate.ELimitExceeded, "resources", "CreateResource over the quota")
	orphan := newResource(root, "orphan", base)
	orphan.ParentID = "nosuchpare"
	checkErr(t, p.a.CreateResource(ctx, orphan, v, 0), certgate.ENotFound, store.ReasonNoParent, "CreateResource under a missing parent")
	foreign := newResource(root, "x", base)
	foreign.Scope = scopeB
	checkErr(t, p.a.CreateResource(ctx, foreign, v, 0), certgate.ENotFound, store.ReasonNoRestAPI, "CreateResource in another account's API")

	// Methods hang on resources.
	m := &certgate.Method{Scope: scopeA, APIID: api.ID, ResourceID: proxy.ID, HTTPMethod: "ANY", AuthorizationType: "NONE",
		RequestParameters: map[string]bool{"method.request.path.proxy": true},
		Responses:         map[string]*certgate.MethodResponse{"200": {StatusCode: "200", ResponseModels: map[string]string{"application/json": "Empty"}}},
		Integration: &certgate.Integration{Type: "HTTP_PROXY", HTTPMethod: "ANY", URI: "https://b.example/{proxy}",
			ConnectionType: "INTERNET", PassthroughBehavior: "WHEN_NO_MATCH", CacheNamespace: proxy.ID, TimeoutInMillis: 29000,
			TLSConfig: &certgate.TLSConfig{}, RequestParameters: map[string]string{"integration.request.path.proxy": "method.request.path.proxy"}}}
	if err := p.a.CreateMethod(ctx, m); err != nil {
		t.Fatal(err)
	}
	dup := *m
	checkErr(t, p.b.CreateMethod(ctx, &dup), certgate.EConflict, "duplicate_method", "CreateMethod twice")
	got, err := p.b.GetMethod(ctx, scopeA, api.ID, proxy.ID, "ANY")
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "GetMethod", got, m)
	for what, scope := range map[string]certgate.Scope{"another region": scopeA2, "another account": scopeB} {
		_, err := p.b.GetMethod(ctx, scope, api.ID, proxy.ID, "ANY")
		checkErr(t, err, certgate.ENotFound, "", "GetMethod through "+what)
		fm := *m
		fm.Scope = scope
		checkErr(t, p.b.CreateMethod(ctx, &fm), certgate.ENotFound, store.ReasonNoResource, "CreateMethod through "+what)
		checkErr(t, p.b.UpdateMethod(ctx, &fm), certgate.ENotFound, "", "UpdateMethod through "+what)
		checkErr(t, p.b.DeleteMethod(ctx, scope, api.ID, proxy.ID, "ANY"), certgate.ENotFound, "", "DeleteMethod through "+what)
		checkErr(t, p.b.DeleteResource(ctx, scope, api.ID, proxy.ID, v), certgate.ENotFound, "", "DeleteResource through "+what)
	}
	upd := *got
	upd.Integration.TimeoutInMillis = 1000
	if err := p.a.UpdateMethod(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.b.UpdateMethod(ctx, got), certgate.EConflict, "version", "UpdateMethod of a stale version")
	got, err = p.b.GetMethod(ctx, scopeA, api.ID, proxy.ID, "ANY")
	if err != nil || got.Integration.TimeoutInMillis != 1000 || got.Version != 2 {
		t.Fatalf("GetMethod after update = %+v, %v", got, err)
	}

	// Moving a resource.
	_, v = mustTree(t, p.a, scopeA, api.ID)
	mv := *pets
	mv.PathPart = "animals"
	if err := p.a.UpdateResource(ctx, &mv, v); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.a.UpdateResource(ctx, &mv, v), certgate.EConflict, "version", "UpdateResource at a stale version")
	rs, v = mustTree(t, p.b, scopeA, api.ID)
	if rs[1].PathPart != "animals" {
		t.Errorf("after UpdateResource the path part is %q", rs[1].PathPart)
	}

	// Deleting a resource takes its subtree and their methods.
	if err := p.b.DeleteResource(ctx, scopeA, api.ID, pets.ID, v); err != nil {
		t.Fatal(err)
	}
	rs, v = mustTree(t, p.a, scopeA, api.ID)
	if len(rs) != 1 {
		t.Errorf("after deleting /pets the tree has %d resources, want 1", len(rs))
	}
	if _, err := p.a.GetMethod(ctx, scopeA, api.ID, proxy.ID, "ANY"); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("GetMethod of a deleted subtree: %v", err)
	}
	// The freed slots can be used again.
	for i := range 2 {
		if err := p.a.CreateResource(ctx, newResource(root, "r"+string(rune('a'+i)), base), v, 3); err != nil {
			t.Fatalf("CreateResource after a subtree delete: %v", err)
		}
		_, v = mustTree(t, p.a, scopeA, api.ID)
	}

	// Deleting the account takes its APIs.
	a, k := newAccount()
	acc := certgate.Scope{AccountID: a.ID, Region: "eu-west-1"}
	if err := p.a.CreateAccount(ctx, a, k, nil); err != nil {
		t.Fatal(err)
	}
	gone, goneRoot := newRestAPI(acc, "gone", base)
	if err := p.a.CreateRestAPI(ctx, gone, goneRoot, 0); err != nil {
		t.Fatal(err)
	}
	// A REST API makes the account not empty; with force it goes.
	err = p.b.DeleteAccount(ctx, a.ID, false)
	checkErr(t, err, certgate.EConflict, "not_empty", "deleting an account that holds a REST API")
	if e := certgate.AsError(err); e != nil && !strings.Contains(e.Message, "1 REST API") {
		t.Errorf("refusal %q does not name the REST API", e.Message)
	}
	if err := p.b.DeleteAccount(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.a.GetRestAPI(ctx, acc, gone.ID); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("GetRestAPI after DeleteAccount: %v", err)
	}
	again, againRoot := newRestAPI(acc, "again", base)
	checkErr(t, p.a.CreateRestAPI(ctx, again, againRoot, 0), certgate.ENotFound, store.ReasonDeletedAccount, "CreateRestAPI in a deleted account")
}

// testResourceRace checks that two handles creating resources at the same
// tree version never both succeed: the path rules the core checks against
// one version cannot be broken by a racing writer.
func testResourceRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	api, root := newRestAPI(scopeA, "race", base)
	if err := p.a.CreateRestAPI(ctx, api, root, 0); err != nil {
		t.Fatal(err)
	}
	_, v := mustTree(t, p.a, scopeA, api.ID)
	var mu sync.Mutex
	wins := 0
	within(t, raceTimeout, "racing CreateResource", func() {
		runConcurrently(8, func(i int) {
			s := p.both()[i%2]
			err := s.CreateResource(ctx, newResource(root, "{var"+string(rune('a'+i))+"}", base), v, 0)
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if certgate.ErrorCode(err) != certgate.EConflict {
				t.Errorf("racing CreateResource: %v", err)
			}
		})
	})
	if wins != 1 {
		t.Errorf("%d racing CreateResource at one tree version succeeded, want 1", wins)
	}
	if rs, _ := mustTree(t, p.b, scopeA, api.ID); len(rs) != 2 {
		t.Errorf("the tree has %d resources after the race, want 2", len(rs))
	}
}
