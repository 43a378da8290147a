// Package pgtest gives tests a fresh, empty PostgreSQL database each.
//
// The first call to URL (or Server) in a test binary starts a private
// server: initdb into a temporary directory, then pg_ctl start on a free
// loopback port, with fsync on and the default synchronous_commit, so that
// crash tests see real durability. Every URL call then hands out a new
// database on it. Stop the server from TestMain:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pgtest.Stop()
//		os.Exit(code)
//	}
//
// A test binary that dies without calling Stop (kill -9, a panic, a test
// timeout) does not leave the server behind: a watchdog process started
// before initdb holds the read end of a pipe whose write end only the test
// binary has. The kernel closes it when the binary exits, however it exits;
// the watchdog then stops the server (pg_ctl -m immediate) and deletes the
// directory. It runs in its own process group, so a Ctrl-C that kills the
// test binary does not kill the watchdog first.
//
// With CERTGATE_TEST_DATABASE=postgres://... set, URL uses that server
// instead: it creates a database with a unique name per call (t_, the test
// name, a random suffix) and drops it at t.Cleanup; a binary killed
// mid-test can leave such databases behind there.
//
// initdb refuses to run as root; as root the server runs as the "postgres"
// system user, which owns the temporary directory. Without the server
// binaries (initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin),
// tests call testtool.Missing, which skips them, or fails them when
// CERTGATE_REQUIRE_TOOLS=1.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/certgate/certgate/internal/testtool"
)

// EnvDatabase names the variable that points the tests at an existing
// server: a URL whose user may create databases.
const EnvDatabase = "CERTGATE_TEST_DATABASE"

// superuser is the role initdb creates; trust authentication on loopback
// means no password.
const superuser = "certgate"

var (
	mu     sync.Mutex
	cur    *server
	curErr error // a failed start is reported to every later caller
)

// server is the shared server of this test binary.
type server struct {
	adminURL string
	binDir   string
	admin    *pgxpool.Pool
	external bool

	// Private server only.
	base     string // temporary directory: data/, the socket, postgres.log
	data     string
	port     int
	runAs    *account // nil: the current user
	watchdog *exec.Cmd
	watchW   *os.File // closing it (or exiting) fires the watchdog
}

// missingError means the tools to start a server are absent: tests skip.
type missingError struct{ what string }

func (e *missingError) Error() string { return e.what + " not found" }

// URL returns the URL of a fresh, empty database for this test, on the
// shared server of this test binary (started on first use), or on the
// server named by CERTGATE_TEST_DATABASE.
func URL(t testing.TB) string {
	t.Helper()
	s := get(t)
	name := dbName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// CREATE DATABASE takes 0.1-0.3 s: it copies the template through the
	// WAL. Creating databases ahead in the background does not help, as the
	// test's own commits then wait behind those WAL writes.
	if err := s.create(ctx, name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	if s.external {
		// A shared server outlives us: leave nothing on it. A private one
		// is deleted whole by Stop, so dropping each database would only
		// cost time.
		t.Cleanup(func() { s.drop(t, name) })
	}
	return s.dbURL(name)
}

// Server returns the shared server's admin URL (a superuser on the
// "postgres" database, or the CERTGATE_TEST_DATABASE URL) and the directory
// of the PostgreSQL binaries, for tests that need pg_dump and the like.
// binDir is "" when CERTGATE_TEST_DATABASE is set and no local binaries
// were found.
func Server(t testing.TB) (adminURL, binDir string) {
	t.Helper()
	s := get(t)
	return s.adminURL, s.binDir
}

// Stop stops the shared server (pg_ctl -m immediate: its data is thrown
// away) and has its directory deleted in the background. Call it from
// TestMain after m.Run(); it is harmless when no server was started, and a
// later URL call starts a new one.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	s := cur
	cur, curErr = nil, nil
	if s != nil {
		s.stop()
	}
}

// get returns the running server, starting it on first use.
func get(t testing.TB) *server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if cur == nil && curErr == nil {
		cur, curErr = start()
	}
	var me *missingError
	switch {
	case errors.As(curErr, &me):
		testtool.Missing(t, me.what)
	case curErr != nil:
		t.Fatalf("pgtest: %v", curErr)
	}
	return cur
}

func start() (*server, error) {
	if u := os.Getenv(EnvDatabase); u != "" {
		return startExternal(u)
	}
	bin := findBin()
	if bin == "" {
		return nil, &missingError{"PostgreSQL server binaries (initdb, pg_ctl)"}
	}
	return startPrivate(bin)
}

func startExternal(u string) (*server, error) {
	if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return nil, fmt.Errorf("%s must be a postgres:// URL", EnvDatabase)
	}
	s := &server{adminURL: u, binDir: findBin(), external: true}
	if err := s.connectAdmin(); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDatabase, err)
	}
	return s, nil
}

// connectAdmin opens the small pool that creates and drops databases.
func (s *server) connectAdmin() error {
	cfg, err := pgxpool.ParseConfig(s.adminURL)
	if err != nil {
		return err
	}
	cfg.MaxConns = 4
	// CREATE DATABASE writes the whole template to the WAL; not waiting for
	// its flush makes it several times faster. Safe: the first durable
	// commit in the new database flushes the WAL up to it, creation
	// included.
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.admin, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return err
	}
	if err := s.admin.Ping(ctx); err != nil {
		s.admin.Close()
		s.admin = nil
		return err
	}
	return nil
}

// create makes an empty database. template0 is pristine by definition;
// template1 on a shared server may have been given objects.
func (s *server) create(ctx context.Context, name string) error {
	_, err := s.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0")
	return err
}

// dbURL is the URL of database name on this server.
func (s *server) dbURL(name string) string {
	if !s.external {
		return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, s.port, name)
	}
	u, err := url.Parse(s.adminURL)
	if err != nil {
		// Checked in startExternal by pgx, which is more lenient; fall
		// back to replacing the path by hand.
		base, query, _ := strings.Cut(s.adminURL, "?")
		if i := strings.LastIndex(base, "/"); i > len("postgres://") {
			base = base[:i]
		}
		if query != "" {
			query = "?" + query
		}
		return base + "/" + name + query
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// drop removes a database of the external server, even if a test left
// connections open (WITH (FORCE), PostgreSQL 13 and later).
func (s *server) drop(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize()
	if _, err := s.admin.Exec(ctx, q+" WITH (FORCE)"); err != nil {
		if _, err2 := s.admin.Exec(ctx, q); err2 != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	}
}

// dbName is a unique database name that tells which test made it.
func dbName(t testing.TB) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	rnd := make([]byte, 6)
	if _, err := rand.Read(rnd); err != nil {
		panic(err)
	}
	return b.String() + "_" + hex.EncodeToString(rnd)
}

// findBin returns the directory holding initdb, pg_ctl and postgres: the
// one of initdb on PATH, else the newest /usr/lib/postgresql/*/bin (the
// Debian layout, which does not put them on PATH); "" if there is none.
func findBin() string {
	complete := func(dir string) bool {
		for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				return false
			}
		}
		return true
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if dir := filepath.Dir(p); complete(dir) {
			return dir
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if complete(d) {
			return d
		}
	}
	return ""
}

// startPrivate creates and starts this binary's server.
func startPrivate(bin string) (s *server, err error) {
	s = &server{binDir: bin}
	if s.runAs, err = serverAccount(); err != nil {
		return nil, err
	}
	if s.base, err = makeBase(s.runAs); err != nil {
		return nil, err
	}
	s.data = filepath.Join(s.base, "data")
	// The watchdog goes first, so that from here on nothing outlives us.
	if err := s.startWatchdog(); err != nil {
		os.RemoveAll(s.base)
		return nil, err
	}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()

	// --locale=C: the machine's locale may not be installed, which makes
	// initdb fail; and the store must not depend on the database's
	// collation anyway.
	if out, err := s.run(2*time.Minute, "initdb", "-D", s.data, "-A", "trust", "-U", superuser,
		"--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	logFile := filepath.Join(s.base, "postgres.log")
	for attempt := 0; ; attempt++ {
		if s.port, err = testtool.FreePort(); err != nil {
			return nil, err
		}
		err := s.pgStart()
		if err == nil {
			break
		}
		// Another process may take the port between our probe and the
		// server's bind; try another one.
		if attempt < 4 && strings.Contains(logTail(logFile), "could not bind") {
			continue
		}
		return nil, err
	}
	s.adminURL = fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", superuser, s.port)
	if err := s.connectAdmin(); err != nil {
		return nil, fmt.Errorf("connect: %v\nlog:\n%s", err, logTail(logFile))
	}
	return s, nil
}

// pgStart starts the server on s.port (again, after pgStop).
func (s *server) pgStart() error {
	logFile := filepath.Join(s.base, "postgres.log")
	opts := fmt.Sprintf("-k '%s' -c listen_addresses=127.0.0.1 -p %d -c fsync=on -c max_connections=200",
		s.base, s.port)
	out, err := s.run(90*time.Second, "pg_ctl", "-w", "-t", "60", "-D", s.data, "-l", logFile, "-o", opts, "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s\nlog %s:\n%s", err, out, logFile, logTail(logFile))
	}
	return nil
}

// stop shuts the server down; its directory is deleted in the background.
func (s *server) stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.external {
		return
	}
	if s.port != 0 {
		// Immediate, not fast: the cluster is deleted next, and a fast
		// shutdown's checkpoint would first write and fsync every page of
		// every test database (seconds, for dozens of them) for nothing.
		_, _ = s.run(90*time.Second, "pg_ctl", "-D", s.data, "-m", "immediate", "-w", "-t", "60", "stop")
	}
	// The watchdog finds the server stopped and deletes the directory. It
	// is not waited for: removing thousands of files takes seconds, and
	// the watchdog finishes the job even if this process exits first.
	s.watchW.Close()
	go func() { _ = s.watchdog.Wait() }()
}

// startWatchdog starts the process that stops the server and deletes its
// directory once the test binary is gone (see the package comment).
func (s *server) startWatchdog() error {
	r, w, err := os.Pipe() // close-on-exec: no other child inherits w
	if err != nil {
		return err
	}
	const script = `read -r line; "$0" -D "$1" -m immediate -w -t 60 stop >/dev/null 2>&1; rm -rf "$2"`
	cmd := exec.Command("/bin/sh", "-c", script, filepath.Join(s.binDir, "pg_ctl"), s.data, s.base)
	cmd.Stdin = r
	cmd.Dir = s.base
	cmd.Env = cleanEnv()
	setProcAttr(cmd, s.runAs)
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return fmt.Errorf("start watchdog: %w", err)
	}
	r.Close()
	s.watchdog, s.watchW = cmd, w
	return nil
}

// run runs one of the server binaries as the server's user.
func (s *server) run(timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.binDir, name), args...)
	cmd.Dir = s.base
	cmd.Env = cleanEnv()
	setProcAttr(cmd, s.runAs)
	return cmd.CombinedOutput()
}

// cleanEnv is the environment without PG* variables, which would point
// the tools elsewhere (PGDATA, PGPORT, PGHOST, ...).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// logTail returns the end of the server log, for error messages.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 4 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// makeBase creates the server's private directory. Its path must be short
// (a Unix socket path holds about 107 bytes) and, when the server runs as
// another user, reachable by that user; when TMPDIR is neither, /tmp is.
func makeBase(runAs *account) (string, error) {
	parent := os.TempDir()
	const socketName = "/.s.PGSQL.65535.lock"
	if len(parent)+len("/certgate-pg-0123456789")+len(socketName) > 100 || !reachable(parent, runAs) {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "certgate-pg-")
	if err != nil {
		return "", err
	}
	if err := own(dir, runAs); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}
