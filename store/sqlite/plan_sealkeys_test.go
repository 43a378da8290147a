package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/store/internal/sqlstore"
)

// The start-up's master-key check walks the seal_key_id indexes from one
// value to the next: its plan searches both indexes and scans neither
// table nor index whole (a SELECT DISTINCT did, 0.9 s at 1M certificates).
func TestSealKeyIDsPlan(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+sqlstore.SealKeyIDsSQL)
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
	text := strings.Join(plan, "\n")
	t.Logf("EXPLAIN QUERY PLAN (SealKeyIDs):\n%s", text)
	for _, want := range []string{"SEARCH certificates USING COVERING INDEX certificates_seal_key (seal_key_id>?)",
		"SEARCH access_keys USING COVERING INDEX access_keys_seal_key (seal_key_id>?)"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q", want)
		}
	}
	for _, p := range plan {
		if strings.HasPrefix(p, "SCAN certificates") || strings.HasPrefix(p, "SCAN access_keys") {
			t.Errorf("plan scans a table: %q", p)
		}
	}
}
