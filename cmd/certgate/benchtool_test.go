package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/certgate/certgate/accounts"
)

// benchRun runs certgate bench in process and decodes its --json output.
func benchRun(t *testing.T, args ...string) (benchResult, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"bench"}, append(args, "--json")...), &stdout, &stderr, func(string) string { return "" })
	var res benchResult
	if code == 0 {
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("bench %v: output is not JSON: %v\n%s", args, err, stdout.String())
		}
	}
	return res, code, stderr.String()
}

func acctFlags(s *testServer, acct *accounts.Created) []string {
	return []string{"--endpoint", s.URL(), "--access-key-id", acct.AccessKeyID, "--secret-access-key", acct.SecretAccessKey,
		"--project-id", acct.Account.ProjectID}
}

// The load tool against a real server, for about a second per scenario:
// every request is signed by the tool and accepted by the server's
// verifiers (SigV4 for aws-*, SDK-HMAC-SHA256 for hw-*), so errors are
// zero.
func TestBenchScenarios(t *testing.T) {
	s := startServer(t, nil)
	for _, sc := range []string{"aws-get", "aws-list", "hw-list"} {
		t.Run(sc, func(t *testing.T) {
			res, code, stderr := benchRun(t, append([]string{sc, "--duration", "1s", "--concurrency", "4"}, acctFlags(s, s.Bootstrap)...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if res.Errors != 0 || len(res.ErrorsBy) != 0 {
				t.Errorf("errors: %d %v", res.Errors, res.ErrorsBy)
			}
			if res.Requests < 20 || res.Elapsed < 1 || res.Throughput <= 0 || res.Latency.P50 <= 0 ||
				res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
				t.Errorf("implausible result: %+v", res)
			}
		})
	}
}

// With a wrong secret, every request fails, and the failures are counted
// by the dialect's own error type.
func TestBenchWrongSecretCountsAuthErrors(t *testing.T) {
	s := startServer(t, nil)
	for _, c := range []struct{ scenario, want string }{
		{"aws-list", "HTTP 403 InvalidSignatureException"},
		{"hw-list", "HTTP 401 APIGW.0301"},
	} {
		flags := acctFlags(s, s.Bootstrap)
		flags[5] = "wrong-secret-wrong-secret-wrong-secret"
		res, code, stderr := benchRun(t, append([]string{c.scenario, "--requests", "50", "--concurrency", "2"}, flags...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.scenario, code, stderr)
		}
		if res.Requests != 50 || res.Errors != 50 || res.ErrorsBy[c.want] != 50 || len(res.ErrorsBy) != 1 {
			t.Errorf("%s: want 50 × %q, got %d requests, errors %v", c.scenario, c.want, res.Requests, res.ErrorsBy)
		}
	}
	// aws-get cannot even make its certificate: a clear failure, not a
	// table of errors.
	flags := acctFlags(s, s.Bootstrap)
	flags[5] = "wrong-secret-wrong-secret-wrong-secret"
	_, code, stderr := benchRun(t, append([]string{"aws-get", "--requests", "5"}, flags...)...)
	if code != 1 || !strings.Contains(stderr, "InvalidSignatureException") || strings.Contains(stderr, "wrong-secret") {
		t.Errorf("aws-get with a wrong secret: exit %d, %q", code, stderr)
	}
}

// The bootstrap credentials file gives the keys and, from its comment, the
// Huawei project id.
func TestBenchCredentialsFile(t *testing.T) {
	s := startServer(t, nil)
	file := filepath.Join(s.dir, "credentials")
	res, code, stderr := benchRun(t, "hw-list", "--endpoint", s.URL(), "--credentials-file", file, "--requests", "20")
	if code != 0 || res.Requests != 20 || res.Errors != 0 {
		t.Fatalf("exit %d, %+v, %s", code, res, stderr)
	}
	_, code, stderr = benchRun(t, "hw-list", "--endpoint", s.URL(), "--credentials-file", file, "--profile", "nosuch", "--requests", "1")
	if code != 2 || !strings.Contains(stderr, "no profile [nosuch]") {
		t.Errorf("missing profile: exit %d, %q", code, stderr)
	}
}

// hw-upload uploads leaves it made beforehand, each under a new name; the
// server stores every one.
func TestBenchHuaweiUpload(t *testing.T) {
	s := startServer(t, nil)
	acct := s.newAccount()
	res, code, stderr := benchRun(t, append([]string{"hw-upload", "--requests", "6", "--leaves", "2", "--concurrency", "2"}, acctFlags(s, acct)...)...)
	if code != 0 || res.Requests != 6 || res.Errors != 0 {
		t.Fatalf("exit %d, %+v, %s", code, res, stderr)
	}
	resp, body := s.hwDo(acct, "GET", "/apigw/certificates", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"total":6`) {
		t.Errorf("list after upload: %d %s", resp.StatusCode, body)
	}
}

// gw-handshake completes one full TLS handshake per request (a new
// connection each time, no resumption); gw-proxy reuses connections.
// Without --insecure the test server's certificate is not trusted, which
// is counted by type.
func TestBenchGateway(t *testing.T) {
	var conns, resumed atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	// TLS 1.2, where a client with a session cache resumes at once (a TLS
	// 1.3 ticket arrives after the handshake, which gw-handshake never reads).
	srv.TLS = &tls.Config{MaxVersion: tls.VersionTLS12, VerifyConnection: func(cs tls.ConnectionState) error {
		if cs.DidResume {
			resumed.Add(1)
		}
		return nil
	}}
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case's handshake failures
	srv.StartTLS()
	defer srv.Close()

	res, code, stderr := benchRun(t, "gw-handshake", "--gateway-url", srv.URL, "--sni", "example.com", "--insecure", "--requests", "30", "--concurrency", "2")
	if code != 0 || res.Requests != 30 || res.Errors != 0 {
		t.Fatalf("gw-handshake: exit %d, %+v, %s", code, res, stderr)
	}
	if conns.Load() != 30 || resumed.Load() != 0 {
		t.Errorf("30 handshakes made %d connections, %d resumed", conns.Load(), resumed.Load())
	}

	conns.Store(0)
	res, code, stderr = benchRun(t, "gw-proxy", "--gateway-url", srv.URL+"/x", "--insecure", "--requests", "40", "--concurrency", "2")
	if code != 0 || res.Requests != 40 || res.Errors != 0 {
		t.Fatalf("gw-proxy: exit %d, %+v, %s", code, res, stderr)
	}
	// Without keep-alive it would be 40; the transport may dial a few
	// spare connections when requests race for one.
	if n := conns.Load(); n >= 20 {
		t.Errorf("40 GETs on 2 workers opened %d connections: keep-alive is off", n)
	}

	res, code, _ = benchRun(t, "gw-handshake", "--gateway-url", srv.URL, "--requests", "5")
	if code != 0 || res.ErrorsBy["tls: certificate not verified"] != 5 {
		t.Errorf("untrusted gateway: exit %d, %v", code, res.ErrorsBy)
	}
}

// mixed splits requests by weight and names failures by scenario.
func TestBenchMixed(t *testing.T) {
	s := startServer(t, nil)
	res, code, stderr := benchRun(t, append([]string{"mixed", "--weights", "aws-get=3,hw-list=1", "--requests", "200", "--concurrency", "4"}, acctFlags(s, s.Bootstrap)...)...)
	if code != 0 || res.Requests != 200 || res.Errors != 0 {
		t.Fatalf("exit %d, %+v, %s", code, res, stderr)
	}
	for _, w := range []string{"", "aws-get", "aws-get=0", "aws-get=x", "nosuch=1", "mixed=1"} {
		_, code, stderr := benchRun(t, append([]string{"mixed", "--weights", w, "--requests", "1"}, acctFlags(s, s.Bootstrap)...)...)
		if code == 0 || stderr == "" {
			t.Errorf("--weights %q accepted", w)
		}
	}
}

// Usage errors are refused before any request.
func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nosuch", "--access-key-id", "a", "--secret-access-key", "b", "--requests", "1"},
		{"aws-list", "--requests", "1"}, // no credentials
		{"aws-list", "--access-key-id", "a", "--secret-access-key", "b", "--concurrency", "0"},
		{"aws-list", "--access-key-id", "a", "--secret-access-key", "b", "--endpoint", "ftp://x", "--requests", "1"},
		{"hw-list", "--access-key-id", "a", "--secret-access-key", "b", "--requests", "1"}, // no project
		{"gw-proxy", "--requests", "1"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append([]string{"bench"}, args...), &stdout, &stderr, func(string) string { return "" }); code == 0 || stderr.Len() == 0 {
			t.Errorf("bench %v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// The table form: the header and the errors by type.
func TestBenchTable(t *testing.T) {
	s := startServer(t, nil)
	var stdout, stderr bytes.Buffer
	args := append([]string{"bench", "aws-list", "--requests", "10", "--secret-access-key", "nope-nope-nope"}, acctFlags(s, s.Bootstrap)[:4]...)
	if code := run(context.Background(), args, &stdout, &stderr, func(string) string { return "" }); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"aws-list: 10 requests", "requests/s", "p50", "p99", "max", "errors by type:", "10  HTTP 403 InvalidSignatureException"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\r") {
		t.Errorf("progress line written to a non-terminal:\n%q", out)
	}
}

func FuzzParseProfile(f *testing.F) {
	f.Add("# certgate bootstrap credentials: account 1, project 0123456789abcdef0123456789abcdef.\n[certgate]\naws_access_key_id = A\naws_secret_access_key = S\n")
	f.Add("[profile certgate]\naws_access_key_id=A\naws_secret_access_key=S\nproject_id=p\n")
	f.Add("[certgate\n=\n[]\n")
	f.Fuzz(func(t *testing.T, text string) {
		akid, secret, _, err := parseProfile(strings.NewReader(text), "certgate")
		if err == nil && (akid == "" || secret == "") {
			t.Fatalf("accepted without keys: %q", text)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("error quotes the file: %v", err)
		}
	})
}
