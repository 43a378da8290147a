package rotation_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/rotation"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// TestRunRefusesWhileALiveNodeLacksTheKey: with a live node that has not
// announced the new key, Run (given CheckNodes) re-seals nothing, leaves
// the canary, and names the node; a node that stopped beating long ago, or
// one that holds the key, does not block it.
func TestRunRefusesWhileALiveNodeLacksTheKey(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	now := time.Now()
	beat := func(id string, seen time.Time, keys ...string) {
		if err := f.st.Heartbeat(ctx, store.NodeInfo{ID: id, Hostname: "h-" + id, Addr: "127.0.0.1:1", KeyIDs: keys, SeenAt: seen}); err != nil {
			t.Fatal(err)
		}
	}
	beat("node-new", now, f.b.ID(), f.a.ID())
	beat("node-gone", now.Add(-time.Hour), f.a.ID())
	beat("node-old", now, f.a.ID())
	sealer := seal.NewSealer(f.b, f.a)
	since := now.Add(-time.Minute)
	check := func(ctx context.Context) error { return rotation.CheckNodes(ctx, f.st, f.b.ID(), since, time.Now()) }
	stats, err := rotation.Run(ctx, f.st, sealer, rotation.Options{Check: check})
	t.Logf("refused: %v", err)
	if !errors.Is(err, rotation.ErrNodesLackKey) || !strings.Contains(err.Error(), "node-old") ||
		strings.Contains(err.Error(), "node-gone") || strings.Contains(err.Error(), "node-new") || !strings.Contains(err.Error(), f.b.ID()) {
		t.Fatalf("Run with a live node lacking %s: %v", f.b.ID(), err)
	}
	if stats.Resealed != 0 || stats.CanaryResealed {
		t.Errorf("refused run still re-sealed %d values (canary moved: %v)", stats.Resealed, stats.CanaryResealed)
	}
	if ids, _ := f.st.SealKeyIDs(ctx); len(ids) != 1 || ids[0] != f.a.ID() {
		t.Errorf("after a refused run, values are under %v", ids)
	}

	beat("node-old", time.Now(), f.b.ID(), f.a.ID()) // restarted with the new key
	if _, err := rotation.Run(ctx, f.st, sealer, rotation.Options{Check: check}); err != nil {
		t.Fatalf("once every live node holds the key: %v", err)
	}
}
