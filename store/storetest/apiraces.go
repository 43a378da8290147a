package storetest

import (
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// apiAccount makes a fresh account with an instance, a group and an API.
func apiAccount(t *testing.T, p *pair) (*certgate.Instance, *certgate.APIGroup, *certgate.API) {
	t.Helper()
	ctx := testCtx(t)
	acc, k := newAccount()
	in := newInstance(acc.ID, base)
	if err := p.a.CreateAccount(ctx, acc, k, in); err != nil {
		t.Fatal(err)
	}
	g := newGroup(in, "group_race", base)
	if err := p.a.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	a := newAPI(g, "api_race", "/rev", base)
	if err := p.a.CreateAPI(ctx, a); err != nil {
		t.Fatal(err)
	}
	return in, g, a
}

// testPublishDeleteAccountRace: Publish racing DeleteAccount(force) never
// leaves a publication of the deleted account (it did on PostgreSQL, 4 of
// 20 rounds, before DeleteAccount locked the account's APIs first).
func testPublishDeleteAccountRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	for round := range 20 {
		in, _, a := apiAccount(t, p)
		var pubErr, delErr error
		runConcurrently(2, func(i int) {
			if i == 0 {
				pubErr = p.a.Publish(ctx, newVersion(a, certgate.ReleaseEnvironmentID, base), 0)
			} else {
				delErr = p.b.DeleteAccount(ctx, in.AccountID, true)
			}
		})
		if delErr != nil {
			t.Fatalf("round %d: DeleteAccount: %v", round, delErr)
		}
		pubs, err := p.b.ListPublications(ctx, in.AccountID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pubs) > 0 {
			_, gerr := p.a.GetAPI(ctx, in.AccountID, in.ID, a.ID)
			t.Errorf("round %d: Publish=%v; DeleteAccount=nil; %d publication(s) left for the deleted account (api %s, GetAPI: %v)",
				round, pubErr, len(pubs), pubs[0].APIID, gerr)
		}
	}
}

// testDeleteGroupServingMovedAPI: an API moved to another group while
// published is still served from its old group (the current version says
// so), so that group cannot be deleted until the API is published again
// or taken offline.
func testDeleteGroupServingMovedAPI(t *testing.T, p *pair) {
	ctx := testCtx(t)
	in, g1, a := apiAccount(t, p)
	g2 := newGroup(in, "group_rev2", base)
	if err := p.a.CreateGroup(ctx, g2); err != nil {
		t.Fatal(err)
	}
	if err := p.a.Publish(ctx, newVersion(a, certgate.ReleaseEnvironmentID, base), 0); err != nil {
		t.Fatal(err)
	}
	u := *a
	u.GroupID = g2.ID
	if err := p.a.UpdateAPI(ctx, &u); err != nil {
		t.Fatalf("UpdateAPI moving a published API: %v", err)
	}
	checkErr(t, p.b.DeleteGroup(ctx, in.AccountID, in.ID, g1.ID), certgate.EConflict, store.ReasonGroupHasAPIs,
		"deleting the group a published version is still served from")
	if err := p.a.Publish(ctx, newVersion(&u, certgate.ReleaseEnvironmentID, base.Add(time.Second)), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.b.DeleteGroup(ctx, in.AccountID, in.ID, g1.ID); err != nil {
		t.Errorf("deleting the old group once the API is published from its new one: %v", err)
	}
	vs, err := p.a.ListAPIVersions(ctx, in.AccountID, in.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if !v.Current {
			continue
		}
		if _, err := p.a.GetGroup(ctx, in.AccountID, in.ID, v.API.GroupID); err != nil {
			t.Errorf("the current version %s of api %s is in group %s, which is gone (%v)", v.ID, a.ID, v.API.GroupID, err)
		}
	}
}
