package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/certgate/certgate"
)

// testDeleteAccountRestRace races DeleteAccount(force) against
// CreateStage, CreateDeployment (with a stage), CreateResource and
// CreateMethod of the account's REST API on the other handle: afterwards
// nothing of the account may survive.
func testDeleteAccountRestRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	for round := range 8 {
		a, k := newAccount()
		if err := p.a.CreateAccount(ctx, a, k, nil); err != nil {
			t.Fatal(err)
		}
		scope := certgate.Scope{AccountID: a.ID, Region: "eu-west-1"}
		api, root := newRestAPI(scope, "doomed", base)
		if err := p.a.CreateRestAPI(ctx, api, root, 0); err != nil {
			t.Fatal(err)
		}
		d0 := newDeployment(api, base)
		if err := p.a.CreateDeployment(ctx, d0, nil, 0); err != nil {
			t.Fatal(err)
		}
		res := newResource(root, "r", base)
		rs, v := mustTree(t, p.a, scope, api.ID)
		_ = rs
		if err := p.a.CreateResource(ctx, res, v, 0); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				switch i % 3 {
				case 0:
					st := newStage(api, fmt.Sprintf("s%d", i))
					st.DeploymentID = d0.ID
					err = p.b.CreateStage(ctx, st, 0)
				case 1:
					err = p.b.CreateDeployment(ctx, newDeployment(api, base), newStage(api, fmt.Sprintf("d%d", i)), 0)
				case 2:
					err = p.b.CreateMethod(ctx, &certgate.Method{Scope: scope, APIID: api.ID, ResourceID: res.ID,
						HTTPMethod: []string{"GET", "PUT", "POST", "DELETE"}[i/3], AuthorizationType: "NONE"})
				}
				if err != nil && certgate.ErrorCode(err) != certgate.ENotFound {
					t.Errorf("round %d: writer %d: %v", round, i, err)
				}
			}()
		}
		if err := p.a.DeleteAccount(ctx, a.ID, true); err != nil {
			t.Fatalf("round %d: DeleteAccount: %v", round, err)
		}
		wg.Wait()
		sts, _ := p.a.ListStages(ctx, scope, api.ID)
		ds, _ := p.a.ListDeployments(ctx, scope, api.ID)
		ms, _ := p.a.ListMethods(ctx, scope, api.ID)
		if len(sts)+len(ds)+len(ms) > 0 {
			var names []string
			for _, s := range sts {
				names = append(names, s.Name+"->"+s.DeploymentID)
			}
			t.Errorf("round %d: after DeleteAccount the deleted account still has %d stage(s) %v, %d deployment(s), %d method(s) of the deleted REST API",
				round, len(sts), names, len(ds), len(ms))
		}
	}
}
