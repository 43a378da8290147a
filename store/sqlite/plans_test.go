package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/store/internal/sqlstore"
	"github.com/certgate/certgate/store/internal/sqltest"
)

// TestListPlans explains every list and count statement the store issues
// (sqlstore.Plans, the same builders the store runs) and fails when one
// scans its table, sorts what an index should yield in order, or is not
// served by the index meant for its filter. SQLite plans without
// statistics here, as it does in production (the store never runs ANALYZE).
func TestListPlans(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "db.sqlite"))
	sqltest.SeedPlans(t, db)
	for _, p := range sqlstore.Plans() {
		t.Run(p.Name, func(t *testing.T) {
			plan := explainSQLite(t, db, p.SQL, p.Args...)
			if msg := checkSQLitePlan(p, plan); msg != "" {
				t.Errorf("%s\nSQL: %s\nplan:\n%s", msg, p.SQL, strings.Join(plan, "\n"))
			} else {
				t.Logf("plan:\n%s", strings.Join(plan, "\n"))
			}
		})
	}
}

func explainSQLite(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, query)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkSQLitePlan returns what is wrong with plan for p, or "".
func checkSQLitePlan(p sqlstore.Plan, plan []string) string {
	if p.Exempt != "" {
		return ""
	}
	usesIndex := false
	table := p.Table
	if p.Alias != "" {
		table = p.Alias // SQLite names the alias
	}
	for _, l := range plan {
		// "SCAN t" and "SCAN t USING [COVERING] INDEX i" both read all of t.
		if l == "SCAN "+table || strings.HasPrefix(l, "SCAN "+table+" ") {
			return "scans " + p.Table
		}
		if p.Ordered && strings.Contains(l, "TEMP B-TREE") {
			return "sorts the match instead of reading an index in list order"
		}
		if strings.HasPrefix(l, "SEARCH "+table+" ") {
			if p.Index == "" {
				usesIndex = true
			}
			for _, ix := range strings.Fields(p.Index) {
				usesIndex = usesIndex || strings.Contains(l, " INDEX "+ix+" (")
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
