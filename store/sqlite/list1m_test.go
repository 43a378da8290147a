package sqlite

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/certgate/certgate/store/internal/sqlstore"
	"github.com/certgate/certgate/store/storetest"
)

// BenchmarkList1M: see storetest.BenchList1M. CERTGATE_BENCH_1M=1 runs it
// (N instead of 1 for N rows); CERTGATE_BENCH_1M_DB names a database file
// to keep between runs (seeded on the first), otherwise a temporary one is
// used and deleted.
//
//	CERTGATE_BENCH_1M=1 go test -run XXX -bench List1M -benchtime 20x ./store/sqlite
func BenchmarkList1M(b *testing.B) {
	n := storetest.Bench1MCount()
	if n == 0 {
		b.Skip("set CERTGATE_BENCH_1M=1 to run")
	}
	path := os.Getenv("CERTGATE_BENCH_1M_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "d.db")
	}
	db := mustOpen(b, path)
	defer db.Close()
	storetest.BenchList1M(b, db, n, nil)
}

// TestFill1M copies, in the database file CERTGATE_FILL_DB (left
// unmigrated, so a server of any version can open it), the first
// certificate of each kind and scope Bench1MCount times, as
// CopyCertificates does: for measuring a real server's lists on a million
// records (README, "Benchmarks"). Skipped unless both variables are set.
func TestFill1M(t *testing.T) {
	n, path := storetest.Bench1MCount(), os.Getenv("CERTGATE_FILL_DB")
	if n == 0 || path == "" {
		t.Skip("set CERTGATE_BENCH_1M and CERTGATE_FILL_DB to run")
	}
	raw, err := sql.Open("sqlite", fileURI(path)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	type tmpl struct{ id, account, region, kind string }
	var ts []tmpl
	rows, err := raw.Query(`SELECT id, account_id, region, kind FROM certificates c
		WHERE created_at = (SELECT MIN(created_at) FROM certificates d
			WHERE d.account_id = c.account_id AND d.region = c.region AND d.kind = c.kind)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var x tmpl
		if err := rows.Scan(&x.id, &x.account, &x.region, &x.kind); err != nil {
			t.Fatal(err)
		}
		ts = append(ts, x)
	}
	rows.Close()
	for _, x := range ts {
		tx, err := raw.Begin()
		if err != nil {
			t.Fatal(err)
		}
		res, err := tx.Exec(sqlstore.CopyCertificatesSQL, n, x.id, x.account, x.region, x.kind)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := res.RowsAffected()
		if _, err := tx.Exec(sqlstore.CopyCountSQL, m, x.account, x.region, x.kind); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s/%s/%s: %d copies of %s", x.account, x.region, x.kind, m, x.id)
	}
}
