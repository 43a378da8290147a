package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/seal"
)

// runServe runs `certgate serve` in-process and reports a panic as a test
// failure with its value, instead of killing the test binary. It is for
// starts that must fail: a serve that starts anyway is stopped after 20 s
// (exit 0), so the test fails instead of hanging.
func runServe(t *testing.T, env map[string]string, args ...string) (code int, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("certgate serve panicked: %v\nstderr so far:\n%s", p, errb.String())
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// The gateway on free ports (args may say otherwise): never the
		// default ones, which other servers may hold.
		args = append([]string{"serve", "--gateway-https-addr", "127.0.0.1:0", "--gateway-http-addr", "127.0.0.1:0"}, args...)
		code = run(ctx, args, &out, &errb, func(k string) string { return env[k] })
	}()
	return code, errb.String()
}

// TestServeReportsPostgresOpenErrors starts serve against PostgreSQL URLs
// that cannot work: nothing listening, an unknown role, a missing database.
// Each must exit 1 with the connection error, the password masked, and no
// panic (openStore used to return a typed-nil *postgres.DB, which Close
// then called).
func TestServeReportsPostgresOpenErrors(t *testing.T) {
	admin, _ := pgtest.Server(t)
	au, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unused := ln.Addr().String()
	ln.Close()
	key, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CERTGATE_MASTER_KEY": key.Encode()}

	// with builds a URL on host for user and database, carrying the
	// password in the userinfo or as ?password=.
	with := func(host, user, pw, db string, inQuery bool) string {
		u := url.URL{Scheme: "postgres", Host: host, Path: "/" + db, RawQuery: "sslmode=disable&connect_timeout=5"}
		if inQuery {
			u.User = url.User(user)
			u.RawQuery += "&password=" + url.QueryEscape(pw)
		} else {
			u.User = url.UserPassword(user, pw)
		}
		return u.String()
	}
	adminUser := au.User.Username()
	adminPW, hasPW := au.User.Password()
	cases := []struct {
		name, host, user, db, want string
	}{
		{"unreachable", unused, "certgate", "certgate", "connect"},
		{"unknown role", au.Host, "no_such_role", "postgres", `role "no_such_role" does not exist`},
		{"missing database", au.Host, adminUser, "no_such_database", `database "no_such_database" does not exist`},
	}
	for _, c := range cases {
		for _, inQuery := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/password_in_query=%v", c.name, inQuery), func(t *testing.T) {
				pw := "hunter2-" + strings.ReplaceAll(c.name, " ", "-")
				if c.user == adminUser && hasPW {
					pw = adminPW // a server that checks passwords must get the real one
				}
				dbURL := with(c.host, c.user, pw, c.db, inQuery)
				code, stderr := runServe(t, env, "--addr", "127.0.0.1:0", "--database", dbURL,
					"--bootstrap-credentials-file", "none", "--db-connect-timeout", "5s")
				t.Logf("exit %d, stderr:\n%s", code, stderr)
				if code != 1 {
					t.Errorf("exit code %d, want 1", code)
				}
				if !strings.Contains(stderr, "certgate serve: postgres: open") || !strings.Contains(stderr, c.want) {
					t.Errorf("stderr does not report the connection error (want %q)", c.want)
				}
				if strings.Contains(stderr, pw) || strings.Contains(stderr, url.QueryEscape(pw)) {
					t.Errorf("stderr shows the password")
				}
				if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
					t.Errorf("stderr shows a panic")
				}
			})
		}
	}
}

// TestOpenStoreErrorIsNilInterface: on error openStore returns a nil
// store.Store, never an interface holding a nil pointer (which is != nil
// and panics when used).
func TestOpenStoreErrorIsNilInterface(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unused := ln.Addr().String()
	ln.Close()
	cfg := DefaultConfig()
	for _, u := range []string{
		"postgres://certgate@" + unused + "/certgate?sslmode=disable&connect_timeout=5",
		"sqlite:" + t.TempDir(), // a directory, not a file
		"mysql://x",
	} {
		st, err := openStore(context.Background(), u, cfg.pool())
		if err == nil {
			st.Close()
			t.Errorf("openStore(%s) succeeded", u)
			continue
		}
		if st != nil {
			t.Errorf("openStore(%s) returned a non-nil store.Store (%T) with error %v", u, st, err)
		}
	}
}
