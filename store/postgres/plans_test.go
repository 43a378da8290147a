package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/store/internal/sqlstore"
	"github.com/certgate/certgate/store/internal/sqltest"
)

// TestListPlans explains every list and count statement the store issues
// (sqlstore.Plans, the same builders the store runs, numbered as the
// dialect numbers them) and fails when one scans its table, sorts what an
// index should yield in order, or is not served by the index meant for its
// filter. With seq scans, bitmap scans and (for a page) sorts off, the planner takes an
// index that yields the rows in list order whenever one exists, so the test
// asks "is there such an index", not "does the planner prefer it on a few
// thousand rows" (with 357 matching rows a sort is cheaper; with 70,000 it
// is not).
func TestListPlans(t *testing.T) {
	db := openT(t, pgtest.URL(t))
	sqltest.SeedPlans(t, db)
	ctx := context.Background()
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, s := range []string{"ANALYZE", "SET enable_seqscan = off", "SET enable_bitmapscan = off"} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range sqlstore.Plans() {
		t.Run(p.Name, func(t *testing.T) {
			// Sorts off only where the order must come from the index: a
			// name's single row is best found by certificates_name and
			// sorted.
			if _, err := conn.Exec(ctx, "SET enable_sort = "+map[bool]string{true: "off", false: "on"}[p.Ordered]); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, "EXPLAIN "+sqlstore.Number(p.SQL), p.Args...)
			if err != nil {
				t.Fatalf("explain: %v\n%s", err, p.SQL)
			}
			var plan []string
			for rows.Next() {
				var l string
				if err := rows.Scan(&l); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, l)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if msg := checkPostgresPlan(p, plan); msg != "" {
				t.Errorf("%s\nSQL: %s\nplan:\n%s", msg, p.SQL, strings.Join(plan, "\n"))
			} else {
				t.Logf("plan:\n%s", strings.Join(plan, "\n"))
			}
		})
	}
}

// checkPostgresPlan returns what is wrong with plan for p, or "".
func checkPostgresPlan(p sqlstore.Plan, plan []string) string {
	if p.Exempt != "" {
		return ""
	}
	usesIndex := false
	for _, l := range plan {
		if strings.Contains(l, "Seq Scan on "+p.Table+" ") || strings.HasSuffix(l, "Seq Scan on "+p.Table) {
			return "scans " + p.Table
		}
		if p.Ordered && strings.Contains(l, "Sort  (") {
			return "sorts the match instead of reading an index in list order"
		}
		for _, node := range []string{"Index Scan using ", "Index Scan Backward using ", "Index Only Scan using ", "Index Only Scan Backward using ", "Bitmap Index Scan on "} {
			i := strings.Index(l, node)
			if i < 0 {
				continue
			}
			name, _, _ := strings.Cut(l[i+len(node):], " ")
			if p.Index == "" && (strings.HasPrefix(name, p.Table+"_") || strings.Contains(l, " on "+p.Table+" ")) || slices.Contains(strings.Fields(p.Index), name) {
				usesIndex = true
			}
		}
	}
	if !usesIndex {
		if p.Index == "" {
			return "no index of " + p.Table
		}
		return "not served by " + p.Index
	}
	return ""
}
