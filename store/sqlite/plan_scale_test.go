package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/store/internal/sqlstore"
)

// queryPlan returns the detail lines of EXPLAIN QUERY PLAN for query, on a
// new database with every migration.
func queryPlan(t *testing.T, query string, args ...any) []string {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("EXPLAIN QUERY PLAN:\n%s", strings.Join(plan, "\n"))
	return plan
}

// checkPlan fails unless plan has every line of want and scans none of
// the tables in noScan.
func checkPlan(t *testing.T, plan []string, want []string, noScan ...string) {
	t.Helper()
	text := strings.Join(plan, "\n")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("plan lacks %q", w)
		}
	}
	for _, p := range plan {
		for _, table := range noScan {
			if strings.HasPrefix(p, "SCAN "+table) {
				t.Errorf("plan scans %s: %q", table, p)
			}
		}
	}
}

// The start-up's master-key check walks the seal_key_id indexes from one
// value to the next: its plan searches both indexes and scans neither
// table nor index whole (a SELECT DISTINCT did: 0.9 s at 1M certificates).
func TestSealKeyIDsPlan(t *testing.T) {
	checkPlan(t, queryPlan(t, sqlstore.SealKeyIDsSQL), []string{
		"SEARCH certificates USING COVERING INDEX certificates_seal_key (seal_key_id>?)",
		"SEARCH access_keys USING COVERING INDEX access_keys_seal_key (seal_key_id>?)",
	}, "certificates", "access_keys")
}

// The gateway's snapshot reads the certificates routes need by kind across
// tenants: index searches, never a scan of every certificate (18 s at 1M).
func TestServedCertificatesPlan(t *testing.T) {
	checkPlan(t, queryPlan(t, sqlstore.ServedCertificatesSQL, "backend", "client"), []string{
		"SEARCH certificates USING INDEX certificates_kind (kind=?)",
		"SEARCH certificates USING INDEX certificates_kind (kind=? AND id=?)",
	}, "certificates")
}
