package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeletedDatabaseIsNoticed deletes the SQLite file under a running
// server. Writes must be refused with 503 in both dialects (never
// acknowledged into the unlinked file), /healthz must answer 503 naming the
// cause, and a second serve on the same directory must refuse to take the
// missing database for a first start, leaving the credentials file as it
// was.
func TestDeletedDatabaseIsNoticed(t *testing.T) {
	s := startServer(t, nil)
	db := filepath.Join(s.dir, "certgate.db")
	if resp, _ := s.do(s.Bootstrap, "POST", "/clientcertificates", []byte(`{}`), map[string]string{"Content-Type": "application/json"}); resp.StatusCode != 201 {
		t.Fatalf("generate before: %d", resp.StatusCode)
	}
	creds, err := os.ReadFile(filepath.Join(s.dir, "credentials"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}

	resp, body := s.do(s.Bootstrap, "POST", "/clientcertificates", []byte(`{"description":"lost"}`), map[string]string{"Content-Type": "application/json"})
	t.Logf("AWS generate after delete: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body)
	if resp.StatusCode != 503 || !strings.HasPrefix(resp.Header.Get("X-Amzn-Errortype"), "ServiceUnavailable") {
		t.Errorf("AWS generate after delete: %d %s, want 503 ServiceUnavailable", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	}
	ch := newChain(t, "ecdsa")
	hwBody, _ := json.Marshal(form("lost", ch.chainPEM(), ch.leaf.keyPEM(t)))
	resp, body = s.hwDo(s.Bootstrap, "POST", "/apigw/certificates", hwBody)
	t.Logf("Huawei create after delete: %d %s", resp.StatusCode, body)
	if resp.StatusCode != 503 || !bytes.Contains(body, []byte(`"error_code"`)) {
		t.Errorf("Huawei create after delete: %d %s, want 503 with a Huawei error body", resp.StatusCode, body)
	}
	resp, body = s.do(nil, "GET", "/healthz", nil, nil)
	t.Logf("/healthz after delete: %d %s", resp.StatusCode, body)
	if resp.StatusCode != 503 || !bytes.Contains(body, []byte("was deleted")) {
		t.Errorf("/healthz after delete: %d %s, want 503 naming the cause", resp.StatusCode, body)
	}

	cfg := testConfig(s.dir)
	code, stderr := runServe(t, nil, "--addr", "127.0.0.1:0", "--database", cfg.Database)
	t.Logf("second serve: exit %d: %s", code, stderr)
	if code != 1 || !strings.Contains(stderr, "does not exist") || !strings.Contains(stderr, "master.key") ||
		!strings.Contains(stderr, "credentials") || !strings.Contains(stderr, "not a first start") {
		t.Errorf("second serve: exit %d, want 1 naming the missing database and the files found", code)
	}
	if after, err := os.ReadFile(filepath.Join(s.dir, "credentials")); err != nil || !bytes.Equal(after, creds) {
		t.Errorf("the bootstrap credentials file was changed or removed (%v)", err)
	}
}

// TestAccountCreateOnTruncatedDatabase truncates the SQLite file under a
// running server and runs account create on it: it must fail at once with
// a clear message (it used to wait 91 s on the server's locks) and leave the
// server's write-ahead log in place; the server refuses writes.
func TestAccountCreateOnTruncatedDatabase(t *testing.T) {
	s := startServer(t, nil)
	db := filepath.Join(s.dir, "certgate.db")
	s.newAccount()
	walBefore, err := os.Stat(db + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(db, 0); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"account", "create", "--database", "sqlite:" + db}, &out, &errb, func(string) string { return "" })
	t.Logf("account create: exit %d: %s", code, errb.String())
	if code != 1 || !strings.Contains(errb.String(), "the database file is empty but") {
		t.Errorf("account create on a truncated database: exit %d, want 1 with a clear message", code)
	}
	if walAfter, err := os.Stat(db + "-wal"); err != nil || !os.SameFile(walBefore, walAfter) {
		t.Errorf("the live server's write-ahead log was removed or replaced (%v)", err)
	}
	resp, body := s.do(s.Bootstrap, "POST", "/clientcertificates", []byte(`{}`), map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != 503 {
		t.Errorf("generate after truncation: %d %s, want 503", resp.StatusCode, body)
	}
	resp, body = s.do(nil, "GET", "/healthz", nil, nil)
	t.Logf("/healthz after truncation: %d %s", resp.StatusCode, body)
	if resp.StatusCode != 503 || !bytes.Contains(body, []byte("truncated")) {
		t.Errorf("/healthz after truncation: %d %s, want 503 naming the cause", resp.StatusCode, body)
	}
}
