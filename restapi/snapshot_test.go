package restapi_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/restapi"
	"github.com/certgate/certgate/store/sqlite"
)

// hookStore runs hook once, just before the at-th ListMethods: a write
// landing between the reads CreateDeployment's snapshot is made of.
type hookStore struct {
	*sqlite.DB
	hook  func()
	at, n int
}

func (h *hookStore) ListMethods(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Method, error) {
	h.n++
	if f := h.hook; f != nil && h.n == h.at {
		h.hook = nil
		f()
	}
	return h.DB.ListMethods(ctx, scope, apiID)
}

// TestSnapshotIsOneState: a resource and its method written while a
// deployment reads the API never leave the snapshot with a method whose
// resource it lacks (found by review: the tree and the methods were two
// separate reads).
func TestSnapshotIsOneState(t *testing.T) {
	for _, at := range []int{1, 2, 3} {
		testSnapshotIsOneState(t, at)
	}
}

func testSnapshotIsOneState(t *testing.T, at int) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hs := &hookStore{DB: db, at: at}
	s := restapi.New(hs, restapi.Config{})
	a, err := s.CreateRestAPI(ctx, scope, &certgate.RestAPI{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutMethod(ctx, scope, a.ID, a.RootResourceID, "GET", &certgate.Method{AuthorizationType: "NONE"}); err != nil {
		t.Fatal(err)
	}
	hs.hook = func() {
		r, err := s.CreateResource(ctx, scope, a.ID, a.RootResourceID, "late")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutMethod(ctx, scope, a.ID, r.ID, "GET", &certgate.Method{AuthorizationType: "NONE"}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.CreateDeployment(ctx, scope, a.ID, "", restapi.StageInput{})
	if err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Resources []struct{ ID string } `json:"resources"`
		Methods   []struct {
			ResourceID string `json:"resourceId"`
		} `json:"methods"`
	}
	if err := json.Unmarshal([]byte(d.Snapshot), &snap); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range snap.Resources {
		have[r.ID] = true
	}
	for _, m := range snap.Methods {
		if !have[m.ResourceID] {
			t.Errorf("write before ListMethods call %d: the snapshot holds a method of resource %s, which is not in its resource tree: %s", at, m.ResourceID, d.Snapshot)
		}
	}
}
