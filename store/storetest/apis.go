package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

func newAPI(g *certgate.APIGroup, name, path string, created time.Time) *certgate.API {
	min := 1
	return &certgate.API{ID: newInstance("", base).ID, AccountID: g.AccountID, InstanceID: g.InstanceID, GroupID: g.ID,
		Name: name, Method: "GET", Path: path, Route: path, MatchMode: "NORMAL",
		Spec: certgate.APISpec{Type: 1, Protocol: "HTTPS", AuthType: "NONE", BackendType: "HTTP", Remark: "of " + name + " ✓",
			Tags: []string{"t1"},
			ReqParams: []certgate.APIParam{{ID: "p1", Name: "x", Type: "STRING", Location: "PATH", Required: 1, ValidEnable: 2,
				PassThrough: 1, MinSize: &min}},
			Backend: &certgate.HTTPBackend{ID: "b1", Address: "backend.example.com:8443", Protocol: "HTTPS", Method: "GET",
				Path: "/b", Timeout: 5000, RetryCount: -1, ClientTLS: true}},
		CreatedAt: created, UpdatedAt: created.Add(time.Second)}
}

func newEnv(in *certgate.Instance, name string, created time.Time) *certgate.Environment {
	return &certgate.Environment{ID: newInstance("", base).ID, AccountID: in.AccountID, InstanceID: in.ID, Name: name,
		Remark: "生产环境 " + name, CreatedAt: created}
}

// apiFixture makes the groupFixture's instances with a group in in1.
func apiFixture(t *testing.T, p *pair) (g *certgate.APIGroup, in1, in2, foreign *certgate.Instance) {
	t.Helper()
	in1, in2, foreign = groupFixture(t, p)
	g = newGroup(in1, "group_apis", base)
	if err := p.a.CreateGroup(testCtx(t), g); err != nil {
		t.Fatal(err)
	}
	return g, in1, in2, foreign
}

// testAPIs checks API definitions: scoping, uniqueness of names and routes
// per group, optimistic updates, and that no write moves the revision.
func testAPIs(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, in1, in2, foreign := apiFixture(t, p)
	g2 := newGroup(in1, "group_two", base)
	if err := p.a.CreateGroup(ctx, g2); err != nil {
		t.Fatal(err)
	}
	r := newRevision(t, p)

	a1 := newAPI(g, "api_one", "/a/{}", base)
	a1.Path = "/a/{x}"
	if err := p.a.CreateAPI(ctx, a1); err != nil {
		t.Fatal(err)
	}
	if a1.Version != 1 {
		t.Errorf("Version after CreateAPI = %d, want 1", a1.Version)
	}
	a2 := newAPI(g, "api_two", "/b", base.Add(time.Second))
	a2.Spec = certgate.APISpec{Type: 2, Protocol: "HTTP", AuthType: "IAM", BackendType: "MOCK",
		Mock: &certgate.MockBackend{ID: "m", ResultContent: "{\"ok\":true}"}}
	if err := p.b.CreateAPI(ctx, a2); err != nil {
		t.Fatal(err)
	}
	for i, s := range p.both() {
		got, err := s.GetAPI(ctx, in1.AccountID, in1.ID, a1.ID)
		if err != nil {
			t.Fatalf("handle %d: GetAPI: %v", i, err)
		}
		checkFields(t, "GetAPI", got, a1)
		list, err := s.ListAPIs(ctx, in1.AccountID, in1.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("ListAPIs: %d, %v; want 2", len(list), err)
		}
		checkFields(t, "ListAPIs[0]", list[0], a1)
		checkFields(t, "ListAPIs[1]", list[1], a2)
	}
	if n, err := p.b.CountGroupAPIs(ctx, in1.AccountID, in1.ID, g.ID); err != nil || n != 2 {
		t.Errorf("CountGroupAPIs = %d, %v; want 2", n, err)
	}

	// Another instance or account is ENotFound, like a missing id.
	_, missing := p.a.GetAPI(ctx, in1.AccountID, in1.ID, newInstance("", base).ID)
	checkErr(t, missing, certgate.ENotFound, store.ReasonNoAPI, "GetAPI of a missing id")
	for what, err := range map[string]error{
		"another instance": func() error { _, err := p.a.GetAPI(ctx, in1.AccountID, in2.ID, a1.ID); return err }(),
		"another account":  func() error { _, err := p.b.GetAPI(ctx, foreign.AccountID, in1.ID, a1.ID); return err }(),
		"another account's instance": func() error {
			_, err := p.b.GetAPI(ctx, in1.AccountID, foreign.ID, a1.ID)
			return err
		}(),
		"DeleteAPI by another account": p.b.DeleteAPI(ctx, foreign.AccountID, in1.ID, a1.ID),
	} {
		checkErr(t, err, certgate.ENotFound, store.ReasonNoAPI, "GetAPI through "+what)
		if certgate.ErrorMessage(err) != certgate.ErrorMessage(missing) {
			t.Errorf("%s says %q, a missing API %q", what, certgate.ErrorMessage(err), certgate.ErrorMessage(missing))
		}
	}
	if list, err := p.b.ListAPIs(ctx, foreign.AccountID, in1.ID); err != nil || len(list) != 0 {
		t.Errorf("ListAPIs of another account's instance = %d, %v; want none", len(list), err)
	}

	// Refused writes.
	checkErr(t, p.a.CreateAPI(ctx, newAPI(g, "api_one", "/c", base)), certgate.EConflict, "duplicate_name", "a taken name")
	checkErr(t, p.a.CreateAPI(ctx, newAPI(g, "api_three", "/a/{}", base)), certgate.EConflict, "duplicate_route", "a taken route")
	if err := p.a.CreateAPI(ctx, newAPI(g2, "api_one", "/a/{}", base)); err != nil {
		t.Errorf("the same name and route in another group: %v", err)
	}
	other := newAPI(g, "api_four", "/a/{}", base)
	other.Method = "ANY"
	if err := p.b.CreateAPI(ctx, other); err != nil {
		t.Errorf("the same route with another method: %v", err)
	}
	swa := newAPI(g, "api_five", "/a/{}", base)
	swa.MatchMode = "SWA"
	if err := p.b.CreateAPI(ctx, swa); err != nil {
		t.Errorf("the same route with another match mode: %v", err)
	}
	intruder := newAPI(g, "intruder", "/i", base)
	intruder.AccountID = foreign.AccountID
	checkErr(t, p.b.CreateAPI(ctx, intruder), certgate.ENotFound, store.ReasonNoGroup, "CreateAPI in another account's group")
	wrongInst := newAPI(g, "wrong", "/w", base)
	wrongInst.InstanceID = in2.ID
	checkErr(t, p.a.CreateAPI(ctx, wrongInst), certgate.ENotFound, store.ReasonNoGroup, "CreateAPI through another instance")
	dup := newAPI(g, "api_dup", "/dup", base)
	dup.ID = a1.ID
	checkErr(t, p.a.CreateAPI(ctx, dup), certgate.EConflict, "duplicate_id", "a taken id")
	nul := newAPI(g, "api_nul", "/nul", base)
	nul.Spec.Remark = "a\x00b"
	checkErr(t, p.a.CreateAPI(ctx, nul), certgate.EInvalid, store.ReasonBadText, "a NUL in the definition")

	// Update: a full replace, version-checked, into another group too.
	upd := *a1
	upd.Name, upd.Path, upd.Route, upd.GroupID, upd.UpdatedAt = "api_moved", "/moved", "/moved", g2.ID, base.Add(time.Hour)
	upd.Spec.Backend = &certgate.HTTPBackend{ID: "b2", Address: "other:80", Protocol: "HTTP", Method: "POST", Path: "/", Timeout: 1, RetryCount: 3}
	if err := p.b.UpdateAPI(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	if upd.Version != 2 {
		t.Errorf("Version after UpdateAPI = %d, want 2", upd.Version)
	}
	got, err := p.a.GetAPI(ctx, in1.AccountID, in1.ID, a1.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "GetAPI after UpdateAPI", got, &upd)
	stale := *a1
	checkErr(t, p.a.UpdateAPI(ctx, &stale), certgate.EConflict, "version", "UpdateAPI of a stale version")
	clash := upd
	clash.Name = "api_one" // the other group's API of that name
	checkErr(t, p.a.UpdateAPI(ctx, &clash), certgate.EConflict, "duplicate_name", "UpdateAPI to a taken name")
	away := upd
	away.GroupID = newGroup(foreign, "x", base).ID
	checkErr(t, p.a.UpdateAPI(ctx, &away), certgate.ENotFound, store.ReasonNoGroup, "UpdateAPI into a missing group")
	theirs := upd
	theirs.AccountID = foreign.AccountID
	checkErr(t, p.b.UpdateAPI(ctx, &theirs), certgate.ENotFound, store.ReasonNoAPI, "UpdateAPI by another account")

	// A group with APIs cannot be deleted.
	err = p.a.DeleteGroup(ctx, in1.AccountID, in1.ID, g.ID)
	checkErr(t, err, certgate.EConflict, store.ReasonGroupHasAPIs, "DeleteGroup of a group with APIs")
	if e := certgate.AsError(err); e.Got != 3 {
		t.Errorf("DeleteGroup: Got %d, want 3 APIs", e.Got)
	}
	r.expect(0, "API writes")

	if err := p.a.DeleteAPI(ctx, in1.AccountID, in1.ID, a2.ID); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.b.DeleteAPI(ctx, in1.AccountID, in1.ID, a2.ID), certgate.ENotFound, store.ReasonNoAPI, "DeleteAPI twice")
	r.expect(0, "DeleteAPI")

	// The account takes its APIs with it.
	if err := p.b.DeleteAccount(ctx, in1.AccountID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.a.GetAPI(ctx, in1.AccountID, in1.ID, a1.ID); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("an API of a deleted account: %v", err)
	}
}

// testEnvironments checks environments: scoping, names, the quota, and
// that a rename moves the revision.
func testEnvironments(t *testing.T, p *pair) {
	ctx := testCtx(t)
	in1, in2, foreign := groupFixture(t, p)
	r := newRevision(t, p)
	e1 := newEnv(in1, "DEV", base)
	if err := p.a.CreateEnvironment(ctx, e1, 3); err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(in1, "TEST", base.Add(time.Second))
	if err := p.b.CreateEnvironment(ctx, e2, 3); err != nil {
		t.Fatal(err)
	}
	if err := p.b.CreateEnvironment(ctx, newEnv(in2, "DEV", base), 3); err != nil {
		t.Errorf("the same name in another instance: %v", err)
	}
	r.expect(0, "CreateEnvironment")
	for _, s := range p.both() {
		got, err := s.GetEnvironment(ctx, in1.AccountID, in1.ID, e1.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkFields(t, "GetEnvironment", got, e1)
		list, err := s.ListEnvironments(ctx, in1.AccountID, in1.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("ListEnvironments: %d, %v; want 2 (RELEASE has no record)", len(list), err)
		}
		checkFields(t, "ListEnvironments[1]", list[1], e2)
	}
	_, missing := p.a.GetEnvironment(ctx, in1.AccountID, in1.ID, newInstance("", base).ID)
	checkErr(t, missing, certgate.ENotFound, store.ReasonNoEnvironment, "a missing environment")
	_, err := p.b.GetEnvironment(ctx, foreign.AccountID, in1.ID, e1.ID)
	checkErr(t, err, certgate.ENotFound, store.ReasonNoEnvironment, "another account's environment")
	_, err = p.a.GetEnvironment(ctx, in1.AccountID, in2.ID, e1.ID)
	checkErr(t, err, certgate.ENotFound, store.ReasonNoEnvironment, "another instance's environment")
	checkErr(t, p.b.DeleteEnvironment(ctx, foreign.AccountID, in1.ID, e1.ID), certgate.ENotFound, store.ReasonNoEnvironment, "DeleteEnvironment by another account")

	checkErr(t, p.a.CreateEnvironment(ctx, newEnv(in1, "DEV", base), 0), certgate.EConflict, "duplicate_name", "a taken name")
	if err := p.a.CreateEnvironment(ctx, newEnv(in1, "THIRD", base), 3); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.a.CreateEnvironment(ctx, newEnv(in1, "FOURTH", base), 3), certgate.ELimitExceeded, "environments", "over the quota")
	intruder := newEnv(foreign, "X_ENV", base)
	intruder.AccountID = in1.AccountID
	checkErr(t, p.a.CreateEnvironment(ctx, intruder, 0), certgate.ENotFound, store.ReasonNoInstance, "in another account's instance")

	upd := *e1
	upd.Name, upd.Remark = "DEV2", ""
	if err := p.b.UpdateEnvironment(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	r.expect(1, "UpdateEnvironment")
	if upd.Version != 2 {
		t.Errorf("Version after UpdateEnvironment = %d", upd.Version)
	}
	checkErr(t, p.a.UpdateEnvironment(ctx, e1), certgate.EConflict, "version", "a stale version")
	clash := upd
	clash.Name = "TEST"
	checkErr(t, p.a.UpdateEnvironment(ctx, &clash), certgate.EConflict, "duplicate_name", "renaming to a taken name")
	r.expect(1, "refused updates")
	if err := p.a.DeleteEnvironment(ctx, in1.AccountID, in1.ID, e2.ID); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.a.DeleteEnvironment(ctx, in1.AccountID, in1.ID, e2.ID), certgate.ENotFound, store.ReasonNoEnvironment, "DeleteEnvironment twice")
	r.expect(1, "DeleteEnvironment")
}

func newVersion(a *certgate.API, envID string, at time.Time) *certgate.APIVersion {
	return &certgate.APIVersion{ID: newInstance("", base).ID, PublishID: newInstance("", base).ID, AccountID: a.AccountID,
		InstanceID: a.InstanceID, APIID: a.ID, EnvID: envID, Remark: "published ✓", PublishedAt: at}
}

// testPublish checks publications: a version is a copy of the definition
// when published, later edits do not change it, the history is capped,
// unpublishing keeps it, and what a publication blocks.
func testPublish(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, in1, in2, foreign := apiFixture(t, p)
	a := newAPI(g, "api_pub", "/p", base)
	if err := p.a.CreateAPI(ctx, a); err != nil {
		t.Fatal(err)
	}
	env := newEnv(in1, "DEV", base)
	if err := p.a.CreateEnvironment(ctx, env, 0); err != nil {
		t.Fatal(err)
	}
	r := newRevision(t, p)

	v1 := newVersion(a, certgate.ReleaseEnvironmentID, base)
	if err := p.b.Publish(ctx, v1, 3); err != nil {
		t.Fatal(err)
	}
	r.expect(1, "Publish")
	if !v1.Current {
		t.Error("Publish: Current is false")
	}
	checkFields(t, "the published definition", &v1.API, a)

	// An edit after publishing leaves the version as it was.
	edited := *a
	edited.Name, edited.UpdatedAt = "api_edited", base.Add(time.Hour)
	edited.Spec.Remark = "edited"
	if err := p.a.UpdateAPI(ctx, &edited); err != nil {
		t.Fatal(err)
	}
	vDev := newVersion(a, env.ID, base.Add(time.Minute))
	if err := p.a.Publish(ctx, vDev, 3); err != nil {
		t.Fatal(err)
	}
	checkFields(t, "the second environment's definition", &vDev.API, &edited)
	r.expect(2, "Publish to a second environment")
	vs, err := p.b.ListAPIVersions(ctx, in1.AccountID, in1.ID, a.ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("ListAPIVersions: %d, %v; want 2", len(vs), err)
	}
	if vs[0].ID != vDev.ID || vs[1].ID != v1.ID || !vs[0].Current || !vs[1].Current {
		t.Errorf("ListAPIVersions: %s(%v) %s(%v); want %s and %s, both current", vs[0].ID, vs[0].Current, vs[1].ID, vs[1].Current, vDev.ID, v1.ID)
	}
	checkFields(t, "the listed first version", &vs[1].API, a)
	if vs[1].PublishID != v1.PublishID || vs[1].Remark != v1.Remark || vs[1].EnvID != certgate.ReleaseEnvironmentID ||
		!vs[1].PublishedAt.Equal(v1.PublishedAt.Truncate(time.Microsecond)) {
		t.Errorf("ListAPIVersions[1] = %+v", vs[1])
	}

	// Republishing to RELEASE: a new current version, the older kept but
	// not current, at most keep of them.
	var release []*certgate.APIVersion
	for i := range 4 {
		v := newVersion(a, certgate.ReleaseEnvironmentID, base.Add(time.Duration(i+2)*time.Minute))
		if err := p.both()[i%2].Publish(ctx, v, 3); err != nil {
			t.Fatal(err)
		}
		release = append(release, v)
	}
	r.expect(6, "four more publishes")
	vs, err = p.a.ListAPIVersions(ctx, in1.AccountID, in1.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var inRelease []string
	current := 0
	for _, v := range vs {
		if v.EnvID == certgate.ReleaseEnvironmentID {
			inRelease = append(inRelease, v.ID)
			if v.Current {
				current++
			}
		}
	}
	want := []string{release[3].ID, release[2].ID, release[1].ID}
	if fmt.Sprint(inRelease) != fmt.Sprint(want) || current != 1 || !vs[0].Current {
		t.Errorf("RELEASE versions %v (%d current); want the newest three %v, the first current", inRelease, current, want)
	}
	pubs, err := p.b.ListPublications(ctx, in1.AccountID, in1.ID)
	if err != nil || len(pubs) != 2 {
		t.Fatalf("ListPublications: %d, %v; want 2", len(pubs), err)
	}
	if pubs[0].EnvID != env.ID || pubs[0].VersionID != vDev.ID || pubs[1].VersionID != release[3].ID ||
		pubs[1].PublishID != release[3].PublishID || pubs[1].APIID != a.ID {
		t.Errorf("ListPublications = %+v, %+v", pubs[0], pubs[1])
	}

	// Scoping, and what a publication blocks.
	checkErr(t, p.b.Publish(ctx, newVersion(&certgate.API{ID: a.ID, AccountID: foreign.AccountID, InstanceID: in1.ID},
		certgate.ReleaseEnvironmentID, base), 0), certgate.ENotFound, store.ReasonNoAPI, "Publish by another account")
	theirEnv := newEnv(foreign, "THEIRS", base)
	if err := p.b.CreateEnvironment(ctx, theirEnv, 0); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.a.Publish(ctx, newVersion(a, theirEnv.ID, base), 0), certgate.ENotFound, store.ReasonNoEnvironment, "Publish to another account's environment")
	otherInst := newEnv(in2, "OTHER", base)
	if err := p.a.CreateEnvironment(ctx, otherInst, 0); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.a.Publish(ctx, newVersion(a, otherInst.ID, base), 0), certgate.ENotFound, store.ReasonNoEnvironment, "Publish to another instance's environment")
	_, err = p.b.ListAPIVersions(ctx, foreign.AccountID, in1.ID, a.ID)
	checkErr(t, err, certgate.ENotFound, store.ReasonNoAPI, "ListAPIVersions by another account")
	if l, err := p.b.ListPublications(ctx, foreign.AccountID, foreign.ID); err != nil || len(l) != 0 {
		t.Errorf("another account's publications: %d, %v", len(l), err)
	}
	_, err = p.b.Unpublish(ctx, foreign.AccountID, in1.ID, a.ID, env.ID)
	checkErr(t, err, certgate.ENotFound, store.ReasonNoAPI, "Unpublish by another account")
	err = p.a.DeleteAPI(ctx, in1.AccountID, in1.ID, a.ID)
	checkErr(t, err, certgate.EConflict, store.ReasonAPIPublished, "DeleteAPI of a published API")
	if e := certgate.AsError(err); e.Got != 2 {
		t.Errorf("DeleteAPI: Got %d environments, want 2", e.Got)
	}
	checkErr(t, p.a.DeleteEnvironment(ctx, in1.AccountID, in1.ID, env.ID), certgate.EConflict, store.ReasonEnvironmentInUse, "DeleteEnvironment with a publication")
	r.expect(6, "refused writes")

	// Unpublish: the version stays, no longer current.
	off, err := p.b.Unpublish(ctx, in1.AccountID, in1.ID, a.ID, env.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.expect(7, "Unpublish")
	if off.ID != vDev.ID || off.Current || off.PublishID != vDev.PublishID {
		t.Errorf("Unpublish returned %s (current %v), want %s, not current", off.ID, off.Current, vDev.ID)
	}
	_, err = p.a.Unpublish(ctx, in1.AccountID, in1.ID, a.ID, env.ID)
	checkErr(t, err, certgate.ENotFound, store.ReasonNoPublication, "Unpublish twice")
	vs, _ = p.a.ListAPIVersions(ctx, in1.AccountID, in1.ID, a.ID)
	for _, v := range vs {
		if v.ID == vDev.ID && v.Current {
			t.Error("an unpublished version is still current")
		}
	}
	if len(vs) != 4 {
		t.Errorf("versions after Unpublish: %d, want 4 (kept)", len(vs))
	}
	if err := p.a.DeleteEnvironment(ctx, in1.AccountID, in1.ID, env.ID); err != nil {
		t.Errorf("DeleteEnvironment once unpublished: %v", err)
	}
	if _, err := p.a.Unpublish(ctx, in1.AccountID, in1.ID, a.ID, certgate.ReleaseEnvironmentID); err != nil {
		t.Fatal(err)
	}
	if err := p.a.DeleteAPI(ctx, in1.AccountID, in1.ID, a.ID); err != nil {
		t.Fatalf("DeleteAPI once unpublished: %v", err)
	}
	_, err = p.a.ListAPIVersions(ctx, in1.AccountID, in1.ID, a.ID)
	checkErr(t, err, certgate.ENotFound, store.ReasonNoAPI, "ListAPIVersions of a deleted API")
}

// testPublishRace has both handles publish one API to RELEASE at once, and
// DeleteAPI race with them: every publish either wins with a version of
// its own or (after the delete) finds no API; the publication names one
// version that exists; and the revision moved once per publish.
func testPublishRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, in1, _, _ := apiFixture(t, p)
	a := newAPI(g, "api_race", "/race", base)
	if err := p.a.CreateAPI(ctx, a); err != nil {
		t.Fatal(err)
	}
	r := newRevision(t, p)
	const n = 16
	errs := make([]error, n)
	vs := make([]*certgate.APIVersion, n)
	var mu sync.Mutex
	runConcurrently(n, func(i int) {
		v := newVersion(a, certgate.ReleaseEnvironmentID, base.Add(time.Duration(i)*time.Second))
		err := p.both()[i%2].Publish(ctx, v, 0)
		mu.Lock()
		errs[i], vs[i] = err, v
		mu.Unlock()
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("publish %d: %v", i, err)
		}
	}
	r.expect(n, "racing publishes")
	list, err := p.a.ListAPIVersions(ctx, in1.AccountID, in1.ID, a.ID)
	if err != nil || len(list) != n {
		t.Fatalf("ListAPIVersions: %d, %v; want %d", len(list), err, n)
	}
	current := 0
	for _, v := range list {
		if v.Current {
			current++
		}
	}
	pubs, err := p.b.ListPublications(ctx, in1.AccountID, in1.ID)
	if err != nil || len(pubs) != 1 || current != 1 {
		t.Fatalf("after the race: %d publications (%v), %d current versions; want 1 and 1", len(pubs), err, current)
	}

	// Unpublish racing DeleteAPI: the delete fails while published, or
	// wins after the unpublish; never an API deleted with a publication.
	var delErr, unpubErr error
	runConcurrently(2, func(i int) {
		if i == 0 {
			_, unpubErr = p.a.Unpublish(ctx, in1.AccountID, in1.ID, a.ID, certgate.ReleaseEnvironmentID)
		} else {
			delErr = p.b.DeleteAPI(ctx, in1.AccountID, in1.ID, a.ID)
		}
	})
	if unpubErr != nil {
		t.Fatalf("Unpublish: %v", unpubErr)
	}
	if delErr != nil {
		checkErr(t, delErr, certgate.EConflict, store.ReasonAPIPublished, "DeleteAPI racing Unpublish")
	}
	if pubs, _ := p.a.ListPublications(ctx, in1.AccountID, in1.ID); len(pubs) != 0 {
		t.Errorf("publications left: %d", len(pubs))
	}
}

// testGroupDeleteAPIRace has CreateAPI race DeleteGroup on the two
// handles: either the API lands and the group stays (refused with
// group_has_apis), or the group goes and the create fails with
// no_group; never an API left in a deleted group.
func testGroupDeleteAPIRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	in1, _, _ := groupFixture(t, p)
	for round := range 12 {
		g := newGroup(in1, fmt.Sprintf("group_race_%d", round), base)
		if err := p.a.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		a := newAPI(g, "api_race", "/race", base)
		var createErr, deleteErr error
		runConcurrently(2, func(i int) {
			if i == 0 {
				createErr = p.a.CreateAPI(ctx, a)
			} else {
				deleteErr = p.b.DeleteGroup(ctx, in1.AccountID, in1.ID, g.ID)
			}
		})
		switch {
		case createErr == nil && deleteErr == nil:
			t.Fatalf("round %d: both CreateAPI and DeleteGroup succeeded: the API is orphaned", round)
		case createErr == nil:
			checkErr(t, deleteErr, certgate.EConflict, store.ReasonGroupHasAPIs, "DeleteGroup losing to CreateAPI")
		case deleteErr == nil:
			checkErr(t, createErr, certgate.ENotFound, store.ReasonNoGroup, "CreateAPI losing to DeleteGroup")
		default:
			t.Fatalf("round %d: both failed: %v / %v", round, createErr, deleteErr)
		}
		if list, _ := p.a.ListAPIs(ctx, in1.AccountID, in1.ID); len(list) > 0 {
			if _, err := p.b.GetGroup(ctx, in1.AccountID, in1.ID, list[0].GroupID); err != nil {
				t.Fatalf("round %d: an API in a missing group: %v", round, err)
			}
			if err := p.a.DeleteAPI(ctx, in1.AccountID, in1.ID, list[0].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// testPublishDeleteEnvRace has Publish race DeleteEnvironment: either the
// publication lands and the environment stays (environment_in_use), or
// the environment goes and the publish fails with no_environment; never a
// publication in a deleted environment.
func testPublishDeleteEnvRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, in1, _, _ := apiFixture(t, p)
	a := newAPI(g, "api_env_race", "/env-race", base)
	if err := p.a.CreateAPI(ctx, a); err != nil {
		t.Fatal(err)
	}
	for round := range 12 {
		e := newEnv(in1, fmt.Sprintf("ENV_%d", round), base)
		if err := p.a.CreateEnvironment(ctx, e, 0); err != nil {
			t.Fatal(err)
		}
		var pubErr, delErr error
		runConcurrently(2, func(i int) {
			if i == 0 {
				pubErr = p.a.Publish(ctx, newVersion(a, e.ID, base), 0)
			} else {
				delErr = p.b.DeleteEnvironment(ctx, in1.AccountID, in1.ID, e.ID)
			}
		})
		switch {
		case pubErr == nil && delErr == nil:
			t.Fatalf("round %d: both Publish and DeleteEnvironment succeeded", round)
		case pubErr == nil:
			checkErr(t, delErr, certgate.EConflict, store.ReasonEnvironmentInUse, "DeleteEnvironment losing to Publish")
			if _, err := p.a.Unpublish(ctx, in1.AccountID, in1.ID, a.ID, e.ID); err != nil {
				t.Fatal(err)
			}
		case delErr == nil:
			checkErr(t, pubErr, certgate.ENotFound, store.ReasonNoEnvironment, "Publish losing to DeleteEnvironment")
		default:
			t.Fatalf("round %d: both failed: %v / %v", round, pubErr, delErr)
		}
	}
	pubs, err := p.b.ListPublications(ctx, in1.AccountID, in1.ID)
	if err != nil || len(pubs) != 0 {
		t.Errorf("publications left: %d, %v", len(pubs), err)
	}
}

// testPublishDeleteAPIRace has Publish race DeleteAPI: either the API is
// published and stays (api_published), or it is gone and the publish
// fails with no_api; never a publication of a deleted API.
func testPublishDeleteAPIRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, in1, _, _ := apiFixture(t, p)
	for round := range 12 {
		a := newAPI(g, fmt.Sprintf("api_del_race_%d", round), fmt.Sprintf("/del-race/%d", round), base)
		if err := p.a.CreateAPI(ctx, a); err != nil {
			t.Fatal(err)
		}
		var pubErr, delErr error
		runConcurrently(2, func(i int) {
			if i == 0 {
				pubErr = p.a.Publish(ctx, newVersion(a, certgate.ReleaseEnvironmentID, base), 0)
			} else {
				delErr = p.b.DeleteAPI(ctx, in1.AccountID, in1.ID, a.ID)
			}
		})
		switch {
		case pubErr == nil && delErr == nil:
			t.Fatalf("round %d: both Publish and DeleteAPI succeeded", round)
		case pubErr == nil:
			checkErr(t, delErr, certgate.EConflict, store.ReasonAPIPublished, "DeleteAPI losing to Publish")
		case delErr == nil:
			checkErr(t, pubErr, certgate.ENotFound, store.ReasonNoAPI, "Publish losing to DeleteAPI")
		default:
			t.Fatalf("round %d: both failed: %v / %v", round, pubErr, delErr)
		}
	}
	pubs, err := p.b.ListPublications(ctx, in1.AccountID, in1.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, pub := range pubs {
		if _, err := p.a.GetAPI(ctx, in1.AccountID, in1.ID, pub.APIID); err != nil {
			t.Errorf("a publication of a missing API %s: %v", pub.APIID, err)
		}
	}
}
