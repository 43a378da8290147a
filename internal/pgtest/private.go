package pgtest

import (
	"context"
	"testing"
	"time"
)

// Private is a PostgreSQL server of one test's own, which the test may stop
// and start again: outage tests cannot stop the shared server under the
// other tests. It costs an initdb (a second or two). It is stopped and
// deleted when the test ends, and, like the shared server, by the watchdog
// if the test binary dies.
type Private struct {
	s *server
}

// NewPrivate starts a private server for t. It needs the server binaries
// even when CERTGATE_TEST_DATABASE is set (an outside server cannot be
// stopped by a test); without them the test is skipped, or failed under
// CERTGATE_REQUIRE_TOOLS=1.
func NewPrivate(t testing.TB) *Private {
	t.Helper()
	bin := findBin()
	if bin == "" {
		get(t) // reports the missing binaries the usual way
		t.Skip("PostgreSQL server binaries not found")
	}
	s, err := startPrivate(bin)
	if err != nil {
		t.Fatalf("pgtest: private server: %v", err)
	}
	t.Cleanup(s.stop)
	return &Private{s: s}
}

// URL returns the URL of a fresh, empty database on the private server.
func (p *Private) URL(t testing.TB) string {
	t.Helper()
	name := dbName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := p.s.create(ctx, name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return p.s.dbURL(name)
}

// Stop stops the server with pg_ctl's mode: "immediate" (like a crash:
// connections drop at once) or "fast" (sessions are ended with 57P01
// admin_shutdown, then a checkpoint).
func (p *Private) Stop(t testing.TB, mode string) {
	t.Helper()
	p.s.admin.Close()
	p.s.admin = nil
	if out, err := p.s.run(90*time.Second, "pg_ctl", "-D", p.s.data, "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		t.Fatalf("pgtest: pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}

// Start starts a stopped server again, on the same port, with its data.
func (p *Private) Start(t testing.TB) {
	t.Helper()
	if err := p.s.pgStart(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := p.s.connectAdmin(); err != nil {
		t.Fatalf("pgtest: connect after restart: %v", err)
	}
}
