package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// listFixture creates n records in scopeH/server, three to a CreatedAt so
// that ties are broken by ID, in shuffled order across both handles so that
// insertion order is no help, and some noise in other scopes and kinds. It
// returns the records in list order.
func listFixture(t *testing.T, p *pair, n int, shape func(i int, c *certgate.Certificate)) []*certgate.Certificate {
	t.Helper()
	var cs []*certgate.Certificate
	for i := range n {
		c := newCert(scopeH, certgate.KindServer)
		c.CreatedAt = base.Add(time.Duration(i/3) * time.Second)
		if shape != nil {
			shape(i, c)
		}
		cs = append(cs, c)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = (i * 7) % n // a fixed permutation when gcd(7, n) == 1
	}
	if n%7 == 0 {
		for i := range order {
			order[i] = n - 1 - i
		}
	}
	for j, i := range order {
		mustCreate(t, p.both()[j%2], cs[i], 0)
	}
	for _, noise := range []struct {
		scope certgate.Scope
		kind  certgate.Kind
	}{{scopeH, certgate.KindClient}, {scopeA, certgate.KindServer}, {scopeB, certgate.KindServer}} {
		c := newCert(noise.scope, noise.kind)
		c.CreatedAt = base
		if shape != nil {
			shape(0, c)
		}
		if noise.scope.AccountID == scopeH.AccountID && noise.kind == certgate.KindServer && c.Name != "" {
			c.Name = "noise-" + c.Name // names are unique per account and kind
		}
		mustCreate(t, p.a, c, 0)
	}
	slices.SortFunc(cs, func(x, y *certgate.Certificate) int {
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), cmp.Compare(x.ID, y.ID))
	})
	for _, c := range cs {
		c.Version = 1
	}
	return cs
}

// testList checks order, Limit, Offset and the After cursor.
func testList(t *testing.T, p *pair) {
	const n = 25
	all := listFixture(t, p, n, nil)
	want := ids(all)
	q := store.ListQuery{Scope: scopeH, Kind: certgate.KindServer}

	for i, s := range p.both() {
		got := mustList(t, s, q)
		checkIDs(t, fmt.Sprintf("handle %d: list all", i), got, want)
		if len(got) == n {
			for j := range got {
				checkCert(t, got[j], all[j])
			}
		}
	}

	cases := []struct {
		name          string
		after         int // index of the cursor record, -1 for none
		offset, limit int
		from, to      int // expected window of all
	}{
		{"limit", -1, 0, 7, 0, 7},
		{"limit larger than all", -1, 0, 100, 0, n},
		{"negative limit", -1, 0, -1, 0, n},
		{"offset", -1, 5, 0, 5, n},
		{"offset and limit", -1, 5, 7, 5, 12},
		{"offset at last", -1, n - 1, 0, n - 1, n},
		{"offset at end", -1, n, 0, n, n},
		{"offset past end", -1, n + 10, 5, n, n},
		{"after first", 0, 0, 0, 1, n},
		{"after a tie", 3, 0, 0, 4, n}, // all[3..5] share a CreatedAt
		{"after and limit", 10, 0, 4, 11, 15},
		{"after, offset and limit", 3, 2, 3, 6, 9},
		{"after last", n - 1, 0, 0, n, n},
	}
	for _, tc := range cases {
		q := q
		q.Offset, q.Limit = tc.offset, tc.limit
		if tc.after >= 0 {
			q.After = &store.Cursor{CreatedAt: all[tc.after].CreatedAt, ID: all[tc.after].ID}
		}
		checkIDs(t, tc.name, mustList(t, p.b, q), want[tc.from:tc.to])
		if c := mustCount(t, p.a, q); c != n {
			t.Errorf("%s: count %d, want %d (After, Offset and Limit are ignored)", tc.name, c, n)
		}
	}

	// A cursor need not name a stored record: it is a position. An empty ID
	// at a CreatedAt sorts before every record of that CreatedAt.
	q2 := q
	q2.After = &store.Cursor{CreatedAt: all[6].CreatedAt, ID: ""}
	checkIDs(t, "cursor before a tie group", mustList(t, p.a, q2), want[6:])
	q2.After = &store.Cursor{CreatedAt: all[6].CreatedAt.Add(time.Millisecond), ID: ""}
	checkIDs(t, "cursor between CreatedAts", mustList(t, p.a, q2), want[9:])
	q2.After = &store.Cursor{CreatedAt: all[6].CreatedAt.In(time.UTC), ID: all[6].ID}
	checkIDs(t, "cursor in UTC", mustList(t, p.a, q2), want[7:])

	// Paging with the cursor visits every record exactly once.
	var paged []string
	var after *store.Cursor
	for page := 0; ; page++ {
		if page > n {
			t.Fatal("paging does not end")
		}
		q := q
		q.Limit, q.After = 7, after
		got := mustList(t, p.both()[page%2], q)
		if len(got) == 0 {
			break
		}
		if len(got) > 7 {
			t.Fatalf("page %d: %d records, limit 7", page, len(got))
		}
		paged = append(paged, ids(got)...)
		last := got[len(got)-1]
		after = &store.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paging by cursor: got\n  %v\nwant\n  %v", paged, want)
	}

	// An empty scope lists nothing.
	empty := store.ListQuery{Scope: certgate.Scope{AccountID: "999999999999"}, Kind: certgate.KindServer}
	if got := mustList(t, p.a, empty); len(got) != 0 {
		t.Errorf("list of an empty scope: %v", ids(got))
	}
}

// testListFilters checks each exact-match filter, alone and combined, with
// List and Count.
func testListFilters(t *testing.T, p *pair) {
	const n = 24
	all := listFixture(t, p, n, func(i int, c *certgate.Certificate) {
		c.Name = fmt.Sprintf("n-%d", i)
		if i%2 == 0 {
			c.CommonName = "shared.example.com"
		}
		if i%3 == 0 {
			c.SignatureAlgorithm, c.KeyAlgorithm = "ECDSA-SHA256", "ECC"
		}
		c.InstanceID = ""
		if i%4 == 0 {
			c.InstanceID = "inst-1"
		}
	})
	// The noise records in other scopes carry the values of record 0, so a
	// filter that leaked across scopes would show.
	type filter struct {
		name string
		q    store.ListQuery
		keep func(c *certgate.Certificate) bool
	}
	q := func(f func(q *store.ListQuery)) store.ListQuery {
		q := store.ListQuery{Scope: scopeH, Kind: certgate.KindServer}
		f(&q)
		return q
	}
	filters := []filter{
		{"name", q(func(q *store.ListQuery) { q.Name = "n-1" }),
			func(c *certgate.Certificate) bool { return c.Name == "n-1" }},
		{"name is exact", q(func(q *store.ListQuery) { q.Name = "n-" }),
			func(c *certgate.Certificate) bool { return false }},
		{"common name", q(func(q *store.ListQuery) { q.CommonName = "shared.example.com" }),
			func(c *certgate.Certificate) bool { return c.CommonName == "shared.example.com" }},
		{"common name is case-sensitive", q(func(q *store.ListQuery) { q.CommonName = "SHARED.example.com" }),
			func(c *certgate.Certificate) bool { return false }},
		{"signature algorithm", q(func(q *store.ListQuery) { q.SignatureAlgorithm = "ECDSA-SHA256" }),
			func(c *certgate.Certificate) bool { return c.SignatureAlgorithm == "ECDSA-SHA256" }},
		{"key algorithm", q(func(q *store.ListQuery) { q.KeyAlgorithm = "RSA" }),
			func(c *certgate.Certificate) bool { return c.KeyAlgorithm == "RSA" }},
		{"instance id", q(func(q *store.ListQuery) { q.InstanceID = "inst-1" }),
			func(c *certgate.Certificate) bool { return c.InstanceID == "inst-1" }},
		{"common name and key algorithm", q(func(q *store.ListQuery) {
			q.CommonName, q.KeyAlgorithm = "shared.example.com", "ECC"
		}), func(c *certgate.Certificate) bool {
			return c.CommonName == "shared.example.com" && c.KeyAlgorithm == "ECC"
		}},
		{"all filters", q(func(q *store.ListQuery) {
			q.Name, q.CommonName, q.SignatureAlgorithm, q.KeyAlgorithm, q.InstanceID =
				"n-12", "shared.example.com", "ECDSA-SHA256", "ECC", "inst-1"
		}), func(c *certgate.Certificate) bool { return c.Name == "n-12" }},
		{"no match", q(func(q *store.ListQuery) { q.InstanceID = "inst-none" }),
			func(c *certgate.Certificate) bool { return false }},
	}
	for _, f := range filters {
		var want []string
		for _, c := range all {
			if f.keep(c) {
				want = append(want, c.ID)
			}
		}
		checkIDs(t, f.name, mustList(t, p.a, f.q), want)
		if c := mustCount(t, p.b, f.q); c != int64(len(want)) {
			t.Errorf("%s: count %d, want %d", f.name, c, len(want))
		}
		// Filters combine with paging: the second page of two.
		if len(want) > 3 {
			q := f.q
			q.Limit, q.Offset = 2, 2
			checkIDs(t, f.name+", offset 2 limit 2", mustList(t, p.b, q), want[2:4])
			q.Offset = 0
			q.After = &store.Cursor{CreatedAt: base.Add(-time.Hour)}
			checkIDs(t, f.name+", cursor before all, limit 2", mustList(t, p.b, q), want[:2])
			if c := mustCount(t, p.a, q); c != int64(len(want)) {
				t.Errorf("%s with paging: count %d, want %d", f.name, c, len(want))
			}
		}
	}
}
