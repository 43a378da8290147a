package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/certgate/certgate/store"
)

// testNodes: a heartbeat through one handle is listed through the other,
// replaces the node's earlier row, is filtered by SeenAt, and goes away on
// DeleteNode (twice is harmless).
func testNodes(t *testing.T, p *pair) {
	ctx := testCtx(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 123456000, time.UTC)
	if got, err := p.a.ListNodes(ctx, time.Time{}); err != nil || len(got) != 0 {
		t.Fatalf("ListNodes on an empty database = %v, %v", got, err)
	}
	a := store.NodeInfo{ID: "node-a", Hostname: "host-a", Addr: "10.0.0.1:8080", KeyIDs: []string{"mk-2222222222222222", "mk-1111111111111111"}, SeenAt: t0}
	b := store.NodeInfo{ID: "node-b", Hostname: "host-b", Addr: "10.0.0.2:8080", KeyIDs: []string{"mk-1111111111111111"}, SeenAt: t0.Add(time.Second)}
	for _, n := range []store.NodeInfo{a, b} {
		if err := p.a.Heartbeat(ctx, n); err != nil {
			t.Fatalf("Heartbeat(%s): %v", n.ID, err)
		}
	}
	check := func(s store.Store, since time.Time, want ...store.NodeInfo) {
		t.Helper()
		got, err := s.ListNodes(ctx, since)
		if err != nil {
			t.Fatalf("ListNodes: %v", err)
		}
		if len(want) == 0 {
			want = nil
		}
		if len(got) == 0 {
			got = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ListNodes(since %v) = %+v, want %+v", since, got, want)
		}
	}
	check(p.b, time.Time{}, a, b)
	check(p.b, t0.Add(time.Second), b) // since is inclusive
	check(p.b, t0.Add(2*time.Second))

	// A later beat replaces the row, key set included.
	b.KeyIDs, b.SeenAt = []string{"mk-2222222222222222", "mk-1111111111111111"}, t0.Add(5*time.Second)
	if err := p.b.Heartbeat(ctx, b); err != nil {
		t.Fatal(err)
	}
	check(p.a, t0.Add(2*time.Second), b)

	// A node with no key ids (impossible for a server, but allowed).
	c := store.NodeInfo{ID: "node-c", SeenAt: t0}
	if err := p.a.Heartbeat(ctx, c); err != nil {
		t.Fatal(err)
	}
	check(p.b, time.Time{}, a, b, c)

	for i := 0; i < 2; i++ {
		if err := p.b.DeleteNode(ctx, "node-a"); err != nil {
			t.Fatalf("DeleteNode #%d: %v", i+1, err)
		}
	}
	check(p.a, time.Time{}, b, c)
}
