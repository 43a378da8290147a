package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/sqlstore"
	"github.com/certgate/certgate/store/internal/sqltest"
	"github.com/certgate/certgate/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (a, b store.Store) {
		path := filepath.Join(t.TempDir(), "db.sqlite")
		return mustOpen(t, path), mustOpen(t, path)
	})
}

// mustOpen opens path; the caller (or storetest) closes the handle.
func mustOpen(t testing.TB, path string) *DB {
	t.Helper()
	return sqltest.MustOpen(t, func() (*DB, error) { return Open(context.Background(), path) })
}

func openT(t testing.TB, path string) *DB {
	t.Helper()
	return sqltest.OpenT(t, func() (*DB, error) { return Open(context.Background(), path) })
}

var testCert = sqltest.Cert

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, "db.sqlite")
	db := openT(t, path)
	if err := db.CreateCertificate(context.Background(), testCert("c1"), 0); err != nil {
		t.Fatal(err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	checkMode := func(p string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), got, want)
		}
	}
	checkMode(dir, 0o700)
	checkMode(filepath.Join(filepath.Dir(dir)), 0o700)
	checkMode(path, 0o600)
	checkMode(path+"-wal", 0o600)
	checkMode(path+"-shm", 0o600)

	// An existing file with a loose mode is tightened.
	loose := filepath.Join(t.TempDir(), "loose.sqlite")
	if err := os.WriteFile(loose, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	openT(t, loose)
	checkMode(loose, 0o600)
}

// TestOddPath checks that characters with a meaning in a SQLite URI are
// taken literally in the file name.
func TestOddPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("'?' is not allowed in Windows file names")
	}
	path := filepath.Join(t.TempDir(), "a b?c#d%20e&f=g", "db.sqlite")
	db := mustOpen(t, path)
	if err := db.CreateCertificate(context.Background(), testCert("c1"), 0); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
	db = openT(t, path)
	if _, err := db.GetCertificate(context.Background(), testCert("c1").Scope, certgate.KindClient, "c1"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

// TestPragmas checks the settings that durability and concurrency rest on,
// on both pools.
func TestPragmas(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "db.sqlite"))
	ctx := context.Background()
	check := func(pool string, q, want string) {
		t.Helper()
		p := db.w
		if pool == "r" {
			p = db.r
		}
		var got string
		if err := p.QueryRowContext(ctx, "PRAGMA "+q).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", q, err)
		}
		if !strings.EqualFold(got, want) {
			t.Errorf("%s pool: PRAGMA %s = %q, want %q", pool, q, got, want)
		}
	}
	check("w", "journal_mode", "wal")
	check("r", "journal_mode", "wal")
	check("w", "synchronous", "2") // FULL
	check("w", "foreign_keys", "1")
	check("w", "busy_timeout", strconv.Itoa(int(busyTimeout.Milliseconds())))
	check("r", "busy_timeout", strconv.Itoa(int(busyTimeout.Milliseconds())))
	check("r", "query_only", "1")
}

// TestMigrationsIdempotent reopens a database and checks that nothing is
// applied twice and the data is still there.
func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db := mustOpen(t, path)
	if err := db.CreateCertificate(ctx, testCert("c1"), 0); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for range 2 {
		db = mustOpen(t, path)
		if _, err := db.GetCertificate(ctx, testCert("c1").Scope, certgate.KindClient, "c1"); err != nil {
			t.Fatalf("after reopen: %v", err)
		}
		db.Close()
	}
	db = openT(t, path)
	ms, err := sqlstore.LoadMigrations(migrations)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
	}
}

// TestConcurrentOpen opens a fresh file from several goroutines at once, as
// two processes starting together would; the migration must run once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	const n = 6
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		dbs[i].Close()
	}
	db := openT(t, path)
	var rows int
	if err := db.r.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if ms, _ := sqlstore.LoadMigrations(migrations); rows != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", rows, len(ms))
	}
}

// TestNewerSchemaRefused checks that an older program does not run on a
// database a newer one has migrated.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db := mustOpen(t, path)
	if _, err := db.w.Exec(sqltest.FutureMigration); err != nil {
		t.Fatal(err)
	}
	db.Close()
	sqltest.CheckNewerRefused(t, func() (*DB, error) { return Open(context.Background(), path) })
}

// TestNoBusyErrors hammers one file from several handles with writes and
// reads: busy_timeout, BEGIN IMMEDIATE and the retry must keep every
// SQLITE_BUSY from reaching the caller.
func TestNoBusyErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	const handles, workers, writes = 3, 4, 12
	var dbs []*DB
	for range handles {
		dbs = append(dbs, openT(t, path))
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, handles*workers*writes*3)
	for h, db := range dbs {
		for w := range workers {
			wg.Go(func() {
				for i := range writes {
					c := testCert(fmt.Sprintf("h%d-w%d-%d", h, w, i))
					if err := db.CreateCertificate(ctx, c, 0); err != nil {
						errc <- fmt.Errorf("create: %w", err)
						continue
					}
					c.Description = "updated"
					if err := db.UpdateCertificate(ctx, c); err != nil {
						errc <- fmt.Errorf("update: %w", err)
					}
					if _, err := db.CountCertificates(ctx, store.ListQuery{Scope: c.Scope, Kind: c.Kind}); err != nil {
						errc <- fmt.Errorf("count: %w", err)
					}
				}
			})
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	n, err := dbs[0].CountCertificates(ctx, store.ListQuery{Scope: testCert("").Scope, Kind: certgate.KindClient})
	if err != nil || n != handles*workers*writes {
		t.Errorf("count = %d, %v; want %d", n, err, handles*workers*writes)
	}
}

// TestWaitsForLock holds the write lock from a foreign connection, as
// another process would: a write waits for it rather than failing, and a
// write whose context ends while waiting returns promptly.
func TestWaitsForLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db := openT(t, path)
	ctx := context.Background()

	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hold := func() {
		t.Helper()
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
	}

	hold()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	start := time.Now()
	_, err = db.PutMetaIfAbsent(short, "k", "v")
	cancel()
	if err == nil {
		t.Fatal("write succeeded while another connection held the write lock")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("write with a 200ms deadline returned after %v", d)
	}

	go func() {
		time.Sleep(300 * time.Millisecond)
		conn.ExecContext(ctx, "ROLLBACK")
	}()
	if _, err := db.PutMetaIfAbsent(ctx, "k", "v"); err != nil {
		t.Fatalf("write after waiting for the lock: %v", err)
	}
}

// TestErrorsHideKeys checks that error text never carries sealed key bytes.
func TestErrorsHideKeys(t *testing.T) {
	db := openT(t, filepath.Join(t.TempDir(), "db.sqlite"))
	_, err := sqltest.DuplicateWithSecret(t, db)
	var ce *certgate.Error
	if !errors.As(err, &ce) {
		t.Fatal("not a *certgate.Error")
	}
	for _, s := range []string{err.Error(), ce.Message} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("error text reveals the sealed key: %q", s)
		}
	}
}

// The kill -9 test re-executes the test binary as a child that creates
// records and prints each id once CreateCertificate has returned. The
// parent kills it mid-stream and checks that every printed id survived.
const (
	helperEnv   = "CERTGATE_SQLITE_HELPER_DB"
	helperNonce = "CERTGATE_SQLITE_HELPER_NONCE"
)

// durableCert is the record number i of a helper run, rebuilt identically
// by the parent to check the fields.
func durableCert(nonce string, i int) *certgate.Certificate {
	c := testCert(fmt.Sprintf("%s-%04d", nonce, i))
	at := time.Date(2025, 1, 1, 0, 0, i, 1000*i, time.UTC)
	c.NotBefore, c.NotAfter, c.CreatedAt, c.UpdatedAt = at, at.AddDate(1, 0, 0), at, at
	c.KeySealed = bytes.Repeat([]byte{byte(i), 0, 0xff}, 20)
	return c
}

// TestHelperProcess is the child of the kill -9 tests: it writes
// durableCert records and prints each id once its write is acknowledged,
// from one writer, or from groupWriters at once (whose writes share
// commits) when helperWriters is set.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper for TestKill9Durability and TestKill9DurabilityGroup")
	}
	writers, records, deadline := 1, 200, time.Now().Add(2*time.Second)
	if os.Getenv(helperWriters) != "" {
		writers, records, deadline = groupWriters, 2000, time.Now().Add(3*time.Second)
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	nonce := os.Getenv(helperNonce)
	var next atomic.Int64
	var mu sync.Mutex // one line at a time on stdout
	for range writers {
		go func() {
			for time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= records {
					return
				}
				if err := db.CreateCertificate(ctx, durableCert(nonce, i), 0); err != nil {
					fmt.Fprintln(os.Stderr, "create:", err)
					os.Exit(3)
				}
				// os.Stdout is unbuffered: the line leaves the process now.
				mu.Lock()
				fmt.Printf("ID %d\n", i)
				mu.Unlock()
			}
		}()
	}
	// Never close cleanly: a checkpoint on close could hide a lost write.
	time.Sleep(time.Minute)
	os.Exit(4)
}

func TestKill9Durability(t *testing.T) {
	// The child may have committed one record it did not get to print.
	kill9Check(t, "TestHelperProcess", nil, 25, 1)
}

// kill9Check runs the helper test helper in a child process writing
// durableCert records to a new database (with extraEnv), kills it with
// SIGKILL once killAt records are acknowledged, and checks the database:
// intact, every acknowledged record there whole, and at most inFlight
// records more than were acknowledged (written, not yet reported).
func kill9Check(t *testing.T, helper string, extraEnv []string, killAt, inFlight int) {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "db.sqlite")
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36)
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1", "-test.v=false")
	cmd.Env = append(append(os.Environ(), helperEnv+"="+path, helperNonce+"="+nonce), extraEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	acked := map[int]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "ID ") {
			continue // test framework noise
		}
		i, err := strconv.Atoi(strings.TrimPrefix(line, "ID "))
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		acked[i] = true
		if len(acked) == killAt && !killed {
			// Kill mid-stream; lines already in the pipe are still read.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	werr := cmd.Wait()
	if !killed {
		t.Fatalf("child ended before it was killed (%v), %d records; stderr:\n%s", werr, len(acked), stderr.String())
	}

	db := openT(t, path)
	ctx := context.Background()
	var check string
	if err := db.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	for i := range acked {
		want := durableCert(nonce, i)
		got, err := db.GetCertificate(ctx, want.Scope, want.Kind, want.ID)
		if err != nil {
			t.Errorf("acknowledged record %d lost: %v", i, err)
			continue
		}
		if got.CertificatePEM != want.CertificatePEM || !bytes.Equal(got.KeySealed, want.KeySealed) ||
			!got.CreatedAt.Equal(want.CreatedAt) || got.Tags["k"] != want.ID || got.Version != 1 {
			t.Errorf("record %d damaged: %+v", i, got)
		}
	}
	n, err := db.CountCertificates(ctx, store.ListQuery{Scope: durableCert(nonce, 0).Scope, Kind: certgate.KindClient})
	if err != nil {
		t.Fatal(err)
	}
	if n < int64(len(acked)) || n > int64(len(acked)+inFlight) {
		t.Errorf("%d records after the kill, %d acknowledged, at most %d in flight", n, len(acked), inFlight)
	}
	t.Logf("%d acknowledged records, %d present after kill -9", len(acked), n)
}

func BenchmarkGetCertificate(b *testing.B) {
	sqltest.BenchmarkGetCertificate(b, openT(b, filepath.Join(b.TempDir(), "db.sqlite")), nil)
}

func BenchmarkCreateCertificate(b *testing.B) {
	sqltest.BenchmarkCreateCertificate(b, openT(b, filepath.Join(b.TempDir(), "db.sqlite")))
}

func BenchmarkCreateCertificateParallel(b *testing.B) {
	sqltest.BenchmarkCreateCertificateParallel(b, openT(b, filepath.Join(b.TempDir(), "db.sqlite")))
}
