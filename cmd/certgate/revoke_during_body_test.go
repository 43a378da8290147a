package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/internal/sign"
	"github.com/certgate/certgate/store/sqlite"
)

// TestKeyDeletedElsewhereDuringBody: a signed request whose headers
// arrived (the key looked up) before another process deleted the key, and
// whose body arrived after, is refused: the prelude forgets the key's
// resolution once the body is in (api.forgetResolved) precisely so that a
// key revoked while a body was being received is refused. The deletion is
// made through a second handle on the database file, as the CLI beside a
// running server makes it.
func TestKeyDeletedElsewhereDuringBody(t *testing.T) {
	s := startServer(t, nil)
	acct := s.newAccount()
	ctx := context.Background()

	body := []byte(`{"description":"after revocation"}`)
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", s.URL()+"/clientcertificates", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	if err := sign.SigV4(sigv4.CanonicalRequest, req, body, acct.AccessKeyID, acct.SecretAccessKey, "us-east-1", "apigateway", time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Body = pr // the signer may have replaced it
	type answer struct {
		status int
		body   []byte
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- answer{status: resp.StatusCode, body: b}
	}()
	// The server has the headers and has looked the key up; it now waits
	// for the body.
	time.Sleep(500 * time.Millisecond)

	cli, err := sqlite.Open(ctx, filepath.Join(s.dir, "certgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.DeleteAccessKey(ctx, acct.Account.ID, acct.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	cli.Close()

	if _, err := io.Copy(pw, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	a := <-got
	if a.err != nil {
		t.Fatal(a.err)
	}
	if a.status != http.StatusForbidden {
		t.Errorf("request whose body arrived after its key was deleted elsewhere: %d %s; want 403", a.status, a.body)
	}
	// And a request begun after the deletion is refused.
	resp, b := s.do(acct, "GET", "/clientcertificates", nil, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a request after the deletion: %d %s; want 403", resp.StatusCode, b)
	}
}
