package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/internal/sign"
)

// testServer is a real certgate server running in-process on 127.0.0.1:0
// with a fresh SQLite database in a temporary directory.
type testServer struct {
	*Main
	t    *testing.T
	dir  string
	logs *syncBuffer
}

// syncBuffer collects log output from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig is the configuration tests start from: no rate limit, a small
// key pool, ECDSA keys for speed unless a test asks for RSA; and the
// gateway's listeners off, so that tests never collide on its default
// ports (startGateway turns them on, on free ports).
func testConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.GatewayHTTPSAddr, cfg.GatewayHTTPAddr = "off", "off"
	cfg.Database = "sqlite:" + filepath.Join(dir, "certgate.db")
	cfg.RateLimit = 0
	cfg.KeyPoolSize = 4
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

func startServer(t *testing.T, mutate func(*Config)) *testServer {
	t.Helper()
	dir := t.TempDir()
	cfg := testConfig(dir)
	if mutate != nil {
		mutate(&cfg)
	}
	logs := &syncBuffer{}
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	serveMain(t, m)
	return &testServer{Main: m, t: t, dir: dir, logs: logs}
}

// serveMain opens m and serves it in the background until the test ends,
// when it stops m gracefully and fails the test unless Serve returned nil.
// The returned stop does so at once and returns Serve's error, which the
// test then judges; later calls return the same.
func serveMain(t *testing.T, m *Main) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		cancel()
		t.Fatalf("open server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	var once sync.Once
	var err error
	halt := func() {
		cancel()
		err = <-done
		m.Close()
	}
	t.Cleanup(func() {
		ran := false
		once.Do(func() { ran = true; halt() })
		if ran && err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return func() error { once.Do(halt); return err }
}

// newAccount creates another tenant.
func (s *testServer) newAccount() *accounts.Created {
	s.t.Helper()
	c, err := s.Accounts.Create(context.Background(), accounts.CreateInput{})
	if err != nil {
		s.t.Fatalf("create account: %v", err)
	}
	return c
}

// client returns an aws-sdk-go-v2 API Gateway client for an account and
// region, with retries off so each call is one request.
func (s *testServer) client(acct *accounts.Created, region string) *apigateway.Client {
	return apigateway.NewFromConfig(aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(acct.AccessKeyID, acct.SecretAccessKey, ""),
		BaseEndpoint:     aws.String(s.URL()),
		RetryMaxAttempts: 1,
	})
}

// do sends a raw request signed by acct (unsigned when acct is nil) and
// returns the response with its body read.
func (s *testServer) do(acct *accounts.Created, method, path string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if len(body) == 0 {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if acct != nil {
		if err := sign.SigV4(sigv4.CanonicalRequest, req, body, acct.AccessKeyID, acct.SecretAccessKey, "us-east-1", "apigateway", time.Now()); err != nil {
			s.t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// assertNoSecrets fails if any secret or private key material shows in s.
func assertNoSecrets(t *testing.T, where, s string, secrets ...string) {
	t.Helper()
	if strings.Contains(s, "PRIVATE KEY") {
		t.Errorf("%s contains a PEM private key", where)
	}
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s contains a secret", where)
		}
	}
}

// rawDatabase returns the bytes of the SQLite files (database, WAL, shared
// memory), for tests that look for secrets at rest.
func (s *testServer) rawDatabase() []byte {
	s.t.Helper()
	var raw []byte
	files, _ := filepath.Glob(filepath.Join(s.dir, "certgate.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			s.t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if len(raw) < 4096 {
		s.t.Fatalf("read only %d bytes from %v", len(raw), files)
	}
	return raw
}
