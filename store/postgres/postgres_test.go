package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/sqlstore"
	"github.com/certgate/certgate/store/internal/sqltest"
	"github.com/certgate/certgate/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (a, b store.Store) {
		url := pgtest.URL(t)
		return mustOpen(t, url), mustOpen(t, url)
	})
}

// mustOpen opens url; the caller (or storetest) closes the handle.
func mustOpen(t testing.TB, url string) *DB {
	t.Helper()
	return sqltest.MustOpen(t, func() (*DB, error) { return Open(context.Background(), url, Options{}) })
}

func openT(t testing.TB, url string) *DB {
	t.Helper()
	return sqltest.OpenT(t, func() (*DB, error) { return Open(context.Background(), url, Options{}) })
}

var testCert = sqltest.Cert

// TestConcurrentOpen opens a fresh database from 8 goroutines at once, as
// nodes starting together would: all succeed, each migration runs once,
// and no connection is left holding the migration lock.
func TestConcurrentOpen(t *testing.T) {
	url := pgtest.URL(t)
	const n = 8
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = Open(context.Background(), url, Options{})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	ctx := context.Background()
	ms, err := sqlstore.LoadMigrations(migrations)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := dbs[0].pool.Query(ctx, "SELECT version, COUNT(*) FROM schema_migrations GROUP BY version ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]int64, error) {
		var v [2]int64
		return v, r.Scan(&v[0], &v[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != len(ms) {
		t.Errorf("schema_migrations has %d versions, want %d", len(counts), len(ms))
	}
	for i, c := range counts {
		if i < len(ms) && c[0] != ms[i].Version || c[1] != 1 {
			t.Errorf("schema_migrations: version %d recorded %d times", c[0], c[1])
		}
	}
	var locks int
	if err := dbs[0].pool.QueryRow(ctx,
		"SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted").Scan(&locks); err != nil {
		t.Fatal(err)
	}
	if locks != 0 {
		t.Errorf("%d advisory locks still held after Open", locks)
	}
}

// TestMigrationsIdempotent reopens a database and checks that nothing is
// applied twice and the data is still there.
func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	db := mustOpen(t, url)
	c := testCert("c1")
	if err := db.CreateCertificate(ctx, c, 0); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openT(t, url)
	if _, err := db.GetCertificate(ctx, c.Scope, c.Kind, c.ID); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	ms, _ := sqlstore.LoadMigrations(migrations)
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
	}
}

// TestNewerSchemaRefused checks that an older program does not run on a
// database a newer one has migrated.
func TestNewerSchemaRefused(t *testing.T) {
	url := pgtest.URL(t)
	db := mustOpen(t, url)
	if _, err := db.pool.Exec(context.Background(), sqltest.FutureMigration); err != nil {
		t.Fatal(err)
	}
	db.Close()
	sqltest.CheckNewerRefused(t, func() (*DB, error) { return Open(context.Background(), url, Options{}) })
}

// TestErrorsHidePassword opens URLs with a password that cannot work (a
// closed port, a missing database) and checks that the password is in
// neither the error text nor anything reachable from it.
func TestErrorsHidePassword(t *testing.T) {
	const pw = "Sup3rS3cretPw"
	good := pgtest.URL(t)
	// good is postgres://user@host:port/db?...: put a password in, and name
	// a database that does not exist.
	rest := strings.TrimPrefix(good, "postgres://")
	user, hostEtc, _ := strings.Cut(rest, "@")
	hostPort, _, _ := strings.Cut(hostEtc, "/")
	urls := []string{
		"postgres://" + user + ":" + pw + "@127.0.0.1:1/db?sslmode=disable",
		"postgresql://" + user + ":" + pw + "@" + hostPort + "/no_such_db?sslmode=disable",
		"postgres://" + user + "@" + hostPort + "/no_such_db?sslmode=disable&password=" + pw,
		"postgres://" + user + ":" + pw + "@" + hostPort + "/db?sslmode=bogus",     // parse error
		"postgres://" + user + ":" + pw + "@" + hostPort + ":x/db?sslmode=disable", // bad port
	}
	for _, u := range urls {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		db, err := Open(ctx, u, Options{ConnectTimeout: 5 * time.Second})
		cancel()
		if err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded", strings.ReplaceAll(u, pw, "xxxxx"))
			continue
		}
		t.Logf("%v", err)
		for e := error(err); e != nil; e = errors.Unwrap(e) {
			if s := fmt.Sprintf("%v %+v %#v", e, e, e); strings.Contains(s, pw) {
				t.Errorf("error chain reveals the password: %T %s", e, strings.ReplaceAll(s, pw, "<PASSWORD>"))
			}
		}
	}
	// Unescaped '/' and '@' make an invalid URL, which must not be echoed.
	for _, odd := range []string{"pw/with/" + pw, "pw@with@" + pw} {
		u := "postgres://" + user + ":" + odd + "@" + hostPort + "/db?sslmode=disable"
		db, err := Open(context.Background(), u, Options{ConnectTimeout: 5 * time.Second})
		if err == nil {
			db.Close()
			t.Errorf("Open of a URL with an unescaped character in the password succeeded")
			continue
		}
		t.Logf("%v", err)
		if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), pw) {
			t.Errorf("error reveals a password with odd characters: %s", strings.ReplaceAll(err.Error(), pw, "<PASSWORD>"))
		}
	}
	_, err := Open(context.Background(), "host=x password="+pw, Options{})
	if certgate.ErrorCode(err) != certgate.EInvalid || strings.Contains(err.Error(), pw) {
		t.Errorf("keyword/value string: %v", err)
	}
}

// TestErrorsHideKeys checks that error text never carries sealed key
// bytes, even from a failure whose server detail holds the whole row.
func TestErrorsHideKeys(t *testing.T) {
	db := openT(t, pgtest.URL(t))
	ctx := context.Background()
	c, err := sqltest.DuplicateWithSecret(t, db)
	// A NOT NULL violation's detail is "Failing row contains (...)", with
	// key_sealed in hex.
	_, err2 := db.Reseal(ctx, store.SealedItem{Type: store.SealedCertificateKey, ID: c.ID, KeyID: c.SealKeyID, Envelope: c.KeySealed}, nil, "")
	if err2 == nil {
		t.Fatal("Reseal with a nil envelope succeeded")
	}
	for _, err := range []error{err, err2} {
		for e := err; e != nil; e = errors.Unwrap(e) {
			s := fmt.Sprintf("%v %+v %#v", e, e, e)
			if strings.Contains(s, "SECRET") || strings.Contains(s, "5345435245542d") { // hex of SECRET-
				t.Errorf("error reveals the sealed key: %T %s", e, s)
			}
		}
	}
}

// TestInvalidText checks that text PostgreSQL cannot store is EInvalid,
// not an internal error.
func TestInvalidText(t *testing.T) {
	db := openT(t, pgtest.URL(t))
	c := testCert("c1")
	c.Description = "nul\x00byte"
	if err := db.CreateCertificate(context.Background(), c, 0); certgate.ErrorCode(err) != certgate.EInvalid {
		t.Errorf("NUL in a text field: %v, want %s", err, certgate.EInvalid)
	}
	c = testCert("c2")
	c.Name = "bad\xffutf8"
	if err := db.CreateCertificate(context.Background(), c, 0); certgate.ErrorCode(err) != certgate.EInvalid {
		t.Errorf("invalid UTF-8 in a text field: %v, want %s", err, certgate.EInvalid)
	}
}

// TestByteOrderUnderICU runs on a database whose default collation is an
// ICU locale, where "B" < "a" does not hold: list and ListSealed order must
// still be byte order, because the id columns are COLLATE "C".
func TestByteOrderUnderICU(t *testing.T) {
	if os.Getenv(pgtest.EnvDatabase) != "" {
		t.Skip("creates a database with its own options")
	}
	admin, _ := pgtest.Server(t)
	ctx := context.Background()
	ac, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close(ctx)
	name := fmt.Sprintf("icu_%d", time.Now().UnixNano())
	if _, err := ac.Exec(ctx, "CREATE DATABASE "+name+
		" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"); err != nil {
		t.Skipf("no ICU databases on this server: %v", err)
	}
	url := strings.Replace(admin, "/postgres?", "/"+name+"?", 1)
	db := openT(t, url)
	var lt bool
	if err := db.pool.QueryRow(ctx, "SELECT 'a' < 'B'").Scan(&lt); err != nil || !lt {
		t.Fatalf("the database collation is not linguistic ('a' < 'B' = %v, %v)", lt, err)
	}
	ids := []string{"a1", "B1", "_1", "Z1", "b1"} // byte order: B1 Z1 _1 a1 b1
	for _, id := range ids {
		c := testCert(id)
		c.CreatedAt = time.Unix(1e9, 0) // ties: order by id alone
		if err := db.CreateCertificate(ctx, c, 0); err != nil {
			t.Fatal(err)
		}
	}
	want := "B1 Z1 _1 a1 b1"
	l, err := db.ListCertificates(ctx, store.ListQuery{Scope: testCert("").Scope, Kind: certgate.KindClient})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range l {
		got = append(got, c.ID)
	}
	if strings.Join(got, " ") != want {
		t.Errorf("list order %v, want %s", got, want)
	}
	items, err := db.ListSealed(ctx, "none", store.SealedCursor{Type: store.SealedCertificateKey, ID: "Z1"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, it := range items {
		got = append(got, it.ID)
	}
	if strings.Join(got, " ") != "_1 a1 b1" {
		t.Errorf("ListSealed after Z1: %v, want [_1 a1 b1]", got)
	}
}

// TestSynchronousCommitForced checks that a session that would commit
// without flushing (synchronous_commit = off for the role) is switched on.
func TestSynchronousCommitForced(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	db := mustOpen(t, url)
	var dbname string
	if err := db.pool.QueryRow(ctx, "SELECT current_database()").Scan(&dbname); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{dbname}.Sanitize()+" SET synchronous_commit = off"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openT(t, url)
	var v string
	if err := db.pool.QueryRow(ctx, "SHOW synchronous_commit").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "on" {
		t.Errorf("synchronous_commit = %s on a store connection, want on", v)
	}
}

// TestNoDeadlockDeleteCreate races deletes against creates of the same id
// in one scope, the pattern that deadlocks when the two take the counter
// and row locks in opposite orders.
func TestNoDeadlockDeleteCreate(t *testing.T) {
	url := pgtest.URL(t)
	a, b := openT(t, url), openT(t, url)
	ctx := context.Background()
	const rounds = 30
	start := time.Now()
	for i := range rounds {
		c := testCert(fmt.Sprintf("d%02d", i))
		if err := a.CreateCertificate(ctx, c, 1000); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var derr, cerr error
		wg.Go(func() { derr = a.DeleteCertificate(ctx, c.Scope, c.Kind, c.ID) })
		wg.Go(func() { cerr = b.CreateCertificate(ctx, testCert(c.ID), 1000) })
		wg.Wait()
		if derr != nil {
			t.Fatalf("delete: %v", derr)
		}
		if cerr != nil && certgate.ErrorCode(cerr) != certgate.EConflict {
			t.Fatalf("create: %v", cerr)
		}
	}
	// A deadlock costs deadlock_timeout (1s) before the retry.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("%d delete/create races took %v", rounds, d)
	}
	n, err := a.CountCertificates(ctx, store.ListQuery{Scope: testCert("").Scope, Kind: certgate.KindClient})
	if err != nil {
		t.Fatal(err)
	}
	var counter int64
	if err := a.pool.QueryRow(ctx, "SELECT n FROM cert_counts").Scan(&counter); err != nil {
		t.Fatal(err)
	}
	if counter != n {
		t.Errorf("quota counter %d, %d records", counter, n)
	}
}

func BenchmarkGetCertificate(b *testing.B) {
	db := openT(b, pgtest.URL(b))
	sqltest.BenchmarkGetCertificate(b, db, func() {
		// What autovacuum does soon after a table fills: without statistics
		// the planner may probe certificates_scope instead of the primary key.
		if _, err := db.pool.Exec(context.Background(), "ANALYZE certificates"); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkCreateCertificate(b *testing.B) {
	sqltest.BenchmarkCreateCertificate(b, openT(b, pgtest.URL(b)))
}

func BenchmarkCreateCertificateParallel(b *testing.B) {
	sqltest.BenchmarkCreateCertificateParallel(b, openT(b, pgtest.URL(b)))
}
