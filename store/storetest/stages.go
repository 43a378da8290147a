package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

func newStage(api *certgate.RestAPI, name string) *certgate.Stage {
	return &certgate.Stage{Scope: api.Scope, APIID: api.ID, Name: name, Description: "stage ✓",
		Variables: map[string]string{"backend": "b.example"}, MethodSettings: map[string]map[string]string{"*/*": {"metrics/enabled": "true"}},
		CreatedAt: base, UpdatedAt: base}
}

func newDeployment(api *certgate.RestAPI, created time.Time) *certgate.Deployment {
	return &certgate.Deployment{ID: newID("")[:10], Scope: api.Scope, APIID: api.ID, Description: "dep",
		Snapshot: `{"resources":[]}`, CreatedAt: created}
}

// testStages checks deployments and stages: the links to deployments and
// client certificates, the refusals that keep them valid, tenancy, the
// quota and the revision.
func testStages(t *testing.T, p *pair) {
	ctx := testCtx(t)
	api, root := newRestAPI(scopeA, "staged", base)
	if err := p.a.CreateRestAPI(ctx, api, root, 0); err != nil {
		t.Fatal(err)
	}
	r := newRevision(t, p)
	d1 := newDeployment(api, base)
	if err := p.a.CreateDeployment(ctx, d1, nil, 0); err != nil {
		t.Fatal(err)
	}
	d2 := newDeployment(api, base.Add(time.Second))
	prod := newStage(api, "prod")
	if err := p.b.CreateDeployment(ctx, d2, prod, 2); err != nil {
		t.Fatal(err)
	}
	r.expect(2, "two CreateDeployment")
	if prod.DeploymentID != d2.ID || prod.Version != 1 {
		t.Errorf("the stage made with the deployment: deployment %q version %d", prod.DeploymentID, prod.Version)
	}
	got, err := p.a.GetDeployment(ctx, scopeA, api.ID, d1.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "GetDeployment", got, d1)
	if list, err := p.b.ListDeployments(ctx, scopeA, api.ID); err != nil || len(list) != 2 || list[0].ID != d1.ID {
		t.Errorf("ListDeployments = %v, %v", list, err)
	}
	gs, err := p.a.GetStage(ctx, scopeA, api.ID, "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "GetStage", gs, prod)

	// Links are checked.
	dev := newStage(api, "dev")
	dev.DeploymentID = "nosuchdepl"
	checkErr(t, p.a.CreateStage(ctx, dev, 2), certgate.ENotFound, store.ReasonNoDeployment, "CreateStage on a missing deployment")
	dev.DeploymentID = d1.ID
	if err := p.a.CreateStage(ctx, dev, 2); err != nil {
		t.Fatal(err)
	}
	checkErr(t, p.a.CreateStage(ctx, newStage(api, "dev"), 0), certgate.ENotFound, store.ReasonNoDeployment, "CreateStage without a deployment")
	dup := newStage(api, "dev")
	dup.DeploymentID = d1.ID
	checkErr(t, p.b.CreateStage(ctx, dup, 0), certgate.EConflict, "duplicate_stage", "CreateStage twice")
	third := newStage(api, "third")
	third.DeploymentID = d1.ID
	checkErr(t, p.b.CreateStage(ctx, third, 2), certgate.ELimitExceeded, "stages", "CreateStage over the quota")
	checkErr(t, p.a.DeleteDeployment(ctx, scopeA, api.ID, d1.ID), certgate.EConflict, store.ReasonDeploymentInUse, "DeleteDeployment in use")
	r.expect(3, "CreateStage")

	// Client certificates: attach, refuse another scope's, refuse a delete
	// while attached, detach.
	cert := newCert(scopeA, certgate.KindClient)
	mustCreate(t, p.a, cert, 0)
	foreign := newCert(scopeA2, certgate.KindClient)
	mustCreate(t, p.a, foreign, 0)
	r = newRevision(t, p)
	upd := *gs
	upd.ClientCertificateID = foreign.ID
	checkErr(t, p.a.UpdateStage(ctx, &upd), certgate.ENotFound, store.ReasonNoCertificate, "UpdateStage with another region's certificate")
	upd.ClientCertificateID = "nosuchcert"
	checkErr(t, p.a.UpdateStage(ctx, &upd), certgate.ENotFound, store.ReasonNoCertificate, "UpdateStage with a missing certificate")
	upd.ClientCertificateID, upd.DeploymentID = cert.ID, d1.ID
	upd.TracingEnabled = true
	if err := p.b.UpdateStage(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	r.expect(1, "UpdateStage")
	checkErr(t, p.a.UpdateStage(ctx, gs), certgate.EConflict, "version", "UpdateStage of a stale version")
	err = p.a.DeleteCertificate(ctx, scopeA, certgate.KindClient, cert.ID)
	checkErr(t, err, certgate.EConflict, store.ReasonCertificateInUse, "DeleteCertificate of an attached certificate")
	if v := certgate.AsError(err).Value; v != "prod" {
		t.Errorf("the stage named is %q, want prod", v)
	}
	got2, err := p.a.GetStage(ctx, scopeA, api.ID, "prod")
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "GetStage after update", got2, &upd)
	// d2 is free now.
	if err := p.a.DeleteDeployment(ctx, scopeA, api.ID, d2.ID); err != nil {
		t.Fatalf("DeleteDeployment of a free deployment: %v", err)
	}
	got2.ClientCertificateID = ""
	if err := p.a.UpdateStage(ctx, got2); err != nil {
		t.Fatal(err)
	}
	if err := p.b.DeleteCertificate(ctx, scopeA, certgate.KindClient, cert.ID); err != nil {
		t.Fatalf("DeleteCertificate after detaching: %v", err)
	}

	// Tenancy.
	for what, scope := range map[string]certgate.Scope{"another region": scopeA2, "another account": scopeB} {
		_, err := p.b.GetStage(ctx, scope, api.ID, "prod")
		checkErr(t, err, certgate.ENotFound, "", "GetStage through "+what)
		_, err = p.b.GetDeployment(ctx, scope, api.ID, d1.ID)
		checkErr(t, err, certgate.ENotFound, "", "GetDeployment through "+what)
		checkErr(t, p.b.DeleteStage(ctx, scope, api.ID, "prod"), certgate.ENotFound, "", "DeleteStage through "+what)
		checkErr(t, p.b.DeleteDeployment(ctx, scope, api.ID, d1.ID), certgate.ENotFound, "", "DeleteDeployment through "+what)
		checkErr(t, p.b.UpdateDeployment(ctx, scope, api.ID, d1.ID, "x"), certgate.ENotFound, "", "UpdateDeployment through "+what)
		fs := *got2
		fs.Scope = scope
		checkErr(t, p.b.UpdateStage(ctx, &fs), certgate.ENotFound, "", "UpdateStage through "+what)
		fd := newDeployment(api, base)
		fd.Scope = scope
		checkErr(t, p.b.CreateDeployment(ctx, fd, nil, 0), certgate.ENotFound, store.ReasonNoRestAPI, "CreateDeployment through "+what)
		if l, err := p.b.ListStages(ctx, scope, api.ID); err != nil || len(l) != 0 {
			t.Errorf("ListStages through %s = %d, %v", what, len(l), err)
		}
	}

	// Deleting the API takes its stages (and moves the revision).
	r = newRevision(t, p)
	if err := p.a.DeleteRestAPI(ctx, scopeA, api.ID); err != nil {
		t.Fatal(err)
	}
	r.expect(1, "DeleteRestAPI with stages")
	if _, err := p.a.GetStage(ctx, scopeA, api.ID, "prod"); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("GetStage after DeleteRestAPI: %v", err)
	}
}

// testStageRace checks two handles updating one stage from the same
// version: exactly one wins, and the loser's write is not applied.
func testStageRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	api, root := newRestAPI(scopeA, "race", base)
	if err := p.a.CreateRestAPI(ctx, api, root, 0); err != nil {
		t.Fatal(err)
	}
	st := newStage(api, "prod")
	if err := p.a.CreateDeployment(ctx, newDeployment(api, base), st, 0); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	winners := []string{}
	within(t, raceTimeout, "racing UpdateStage", func() {
		runConcurrently(8, func(i int) {
			u := *st
			u.Description = "writer " + string(rune('a'+i))
			err := p.both()[i%2].UpdateStage(ctx, &u)
			if err == nil {
				mu.Lock()
				winners = append(winners, u.Description)
				mu.Unlock()
			} else if certgate.ErrorCode(err) != certgate.EConflict {
				t.Errorf("racing UpdateStage: %v", err)
			}
		})
	})
	if len(winners) != 1 {
		t.Fatalf("%d racing UpdateStage succeeded, want 1", len(winners))
	}
	got, err := p.b.GetStage(ctx, scopeA, api.ID, "prod")
	if err != nil || got.Description != winners[0] || got.Version != 2 {
		t.Errorf("after the race: %+v, %v; the winner wrote %q", got, err, winners[0])
	}
}

// testStageCertificateRace races attaching a client certificate to a stage
// against deleting it, on two handles: afterwards the stage never carries
// a certificate that is gone.
func testStageCertificateRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	api, root := newRestAPI(scopeA, "certrace", base)
	if err := p.a.CreateRestAPI(ctx, api, root, 0); err != nil {
		t.Fatal(err)
	}
	st := newStage(api, "prod")
	if err := p.a.CreateDeployment(ctx, newDeployment(api, base), st, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		cur, err := p.a.GetStage(ctx, scopeA, api.ID, "prod")
		if err != nil {
			t.Fatal(err)
		}
		cert := newCert(scopeA, certgate.KindClient)
		mustCreate(t, p.a, cert, 0)
		within(t, raceTimeout, "attach racing delete", func() {
			runConcurrently(2, func(j int) {
				if j == 0 {
					u := *cur
					u.ClientCertificateID = cert.ID
					if err := p.a.UpdateStage(ctx, &u); err != nil && certgate.ErrorCode(err) != certgate.ENotFound {
						t.Errorf("round %d: UpdateStage: %v", i, err)
					}
					return
				}
				if err := p.b.DeleteCertificate(ctx, scopeA, certgate.KindClient, cert.ID); err != nil && certgate.ErrorCode(err) != certgate.EConflict {
					t.Errorf("round %d: DeleteCertificate: %v", i, err)
				}
			})
		})
		got, err := p.b.GetStage(ctx, scopeA, api.ID, "prod")
		if err != nil {
			t.Fatal(err)
		}
		if got.ClientCertificateID != "" {
			if _, err := p.b.GetCertificate(ctx, scopeA, certgate.KindClient, got.ClientCertificateID); err != nil {
				t.Fatalf("round %d: the stage carries %s, which is gone: %v", i, got.ClientCertificateID, err)
			}
			got.ClientCertificateID = ""
			if err := p.a.UpdateStage(ctx, got); err != nil {
				t.Fatal(err)
			}
		}
	}
}
