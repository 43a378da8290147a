package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// bench --create-account, beside a running server: the account it makes in
// the database is honoured by the server at once (zero errors), its secret
// is never printed, and at the end it is deleted with the certificate the
// run generated, unless --keep-account.
func TestBenchCreateAccount(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	db := s.Config.Database
	countAccounts := func() int64 {
		n, err := s.Store.CountAccounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	accountsBefore := countAccounts()
	created := regexp.MustCompile(`created account (\d{12}) `)
	for _, keep := range []bool{false, true} {
		args := []string{"aws-get", "--endpoint", s.URL(), "--create-account", "--database", db, "--requests", "50", "--concurrency", "2"}
		if keep {
			args = append(args, "--keep-account")
		}
		res, code, stderr := benchRun(t, args...)
		t.Logf("keep=%v: exit %d, %d requests, errors %v; stderr: %s", keep, code, res.Requests, res.ErrorsBy, stderr)
		if code != 0 || res.Requests != 50 || res.Errors != 0 {
			t.Fatalf("keep=%v: exit %d, %d requests, errors %v: %s", keep, code, res.Requests, res.ErrorsBy, stderr)
		}
		m := created.FindStringSubmatch(stderr)
		if m == nil {
			t.Fatalf("no account id in stderr: %s", stderr)
		}
		if strings.Contains(stderr, "secret") && !strings.Contains(stderr, "its secret is not shown") {
			t.Errorf("stderr talks about a secret: %s", stderr)
		}
		acct, err := s.Store.GetAccount(ctx, m[1])
		certsLeft, _ := s.Store.CountCertificates(ctx, store.ListQuery{
			Scope: certgate.Scope{AccountID: m[1], Region: "us-east-1"}, Kind: certgate.KindClient})
		if keep {
			if err != nil || acct == nil || certsLeft != 1 {
				t.Errorf("--keep-account: account %s: %v %v, %d certificates, want it with the 1 generated", m[1], acct, err, certsLeft)
			}
		} else {
			if e := certgate.AsError(err); e == nil || e.Code != certgate.ENotFound {
				t.Errorf("account %s after the run: %v %v, want not found", m[1], acct, err)
			}
			if certsLeft != 0 {
				t.Errorf("account %s's certificates after the run: %d, want 0", m[1], certsLeft)
			}
		}
	}
	if got := countAccounts(); got != accountsBefore+1 {
		t.Errorf("accounts: %d before, %d after, want one more (the kept one)", accountsBefore, got)
	}
	// Credentials and --create-account together is a usage error.
	if _, code, stderr := benchRun(t, "aws-get", "--create-account", "--database", db, "--access-key-id", "x", "--secret-access-key", "y"); code != 2 {
		t.Errorf("--create-account with credentials: exit %d: %s", code, stderr)
	}
}
