package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/store/storetest"
)

// BenchmarkList1M: see storetest.BenchList1M. CERTGATE_BENCH_1M=1 runs it
// (N instead of 1 for N rows); CERTGATE_BENCH_1M_PGURL names a database to
// keep between runs (seeded on the first), otherwise a fresh pgtest
// database is used.
//
//	CERTGATE_BENCH_1M=1 go test -run XXX -bench List1M -benchtime 20x ./store/postgres
func BenchmarkList1M(b *testing.B) {
	n := storetest.Bench1MCount()
	if n == 0 {
		b.Skip("set CERTGATE_BENCH_1M=1 to run")
	}
	url := os.Getenv("CERTGATE_BENCH_1M_PGURL")
	if url == "" {
		url = pgtest.URL(b)
	}
	db := mustOpen(b, url)
	defer db.Close()
	storetest.BenchList1M(b, db, n, func() {
		if _, err := db.pool.Exec(context.Background(), "VACUUM ANALYZE"); err != nil {
			b.Fatal(err)
		}
	})
}
