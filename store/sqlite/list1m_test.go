package sqlite

import (
	"os"
	"path/filepath"
	"testing"

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
	storetest.BenchList1M(b, db, n)
}
