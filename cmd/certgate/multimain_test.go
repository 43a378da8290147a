package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/internal/pgtest"
)

// TestTwoMainsOneDatabase runs two nodes in one test process on one
// database: an account one node creates signs requests on the other, a
// certificate one issues the other reads, and both stop cleanly, each
// taking its row out of the nodes table. Run it under -race too.
func TestTwoMainsOneDatabase(t *testing.T) {
	for _, b := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "certgate.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			_, key := masterKeyEnv(t)
			db := b.url(t)
			var nodes [2]*Main
			var logs [2]*syncBuffer
			var stops [2]func() error
			for i := range nodes {
				cfg := testConfig(t.TempDir())
				cfg.Database, cfg.MasterKey, cfg.BootstrapCredentialsFile = db, key.Encode(), "none"
				cfg.ClientKeyType = "ecdsa-p256"
				logs[i] = &syncBuffer{}
				nodes[i] = &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(logs[i], nil))}
				stops[i] = serveMain(t, nodes[i])
			}
			if nodes[0].Addr() == nodes[1].Addr() {
				t.Fatalf("both nodes on %s", nodes[0].Addr())
			}
			ctx := context.Background()

			created, err := nodes[0].Accounts.Create(ctx, accounts.CreateInput{Name: "two-nodes"})
			if err != nil {
				t.Fatal(err)
			}
			k := accountKeys{AccountID: created.Account.ID, AccessKeyID: created.AccessKeyID, SecretAccessKey: created.SecretAccessKey}
			gen, err := awsClientFor(nodes[1].URL(), k).GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{
				Description: aws.String("issued on node 1"),
			})
			if err != nil {
				t.Fatalf("node 1, with an account node 0 created: %v", err)
			}
			got, err := awsClientFor(nodes[0].URL(), k).GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{
				ClientCertificateId: gen.ClientCertificateId,
			})
			if err != nil {
				t.Fatalf("node 0, a certificate node 1 issued: %v", err)
			}
			if aws.ToString(got.Description) != "issued on node 1" || aws.ToString(got.PemEncodedCertificate) != aws.ToString(gen.PemEncodedCertificate) {
				t.Errorf("node 0 reads %q %q", aws.ToString(got.Description), aws.ToString(got.PemEncodedCertificate))
			}

			// Each node has answered a request, so each has beaten: Serve
			// beats before it serves.
			live, err := nodes[0].Store.ListNodes(ctx, time.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var addrs []string
			for _, n := range live {
				addrs = append(addrs, n.Addr)
			}
			for _, m := range nodes {
				if !slices.Contains(addrs, m.Addr()) {
					t.Errorf("nodes table %v lacks %s", addrs, m.Addr())
				}
			}

			// Stop both at once: neither's shutdown may disturb the other's.
			var wg sync.WaitGroup
			var errs [2]error
			for i := range nodes {
				wg.Go(func() { errs[i] = stops[i]() })
			}
			wg.Wait()
			for i := range nodes {
				if errs[i] != nil || !strings.Contains(logs[i].String(), "shut down cleanly") {
					t.Errorf("node %d: serve: %v; log:\n%s", i, errs[i], logs[i])
				}
			}
			defaults := DefaultConfig()
			check, err := openStore(ctx, db, defaults.pool())
			if err != nil {
				t.Fatal(err)
			}
			defer check.Close()
			if left, err := check.ListNodes(ctx, time.Now().Add(-time.Hour)); err != nil || len(left) != 0 {
				t.Errorf("nodes table after both stopped: %v, %v", left, err)
			}
		})
	}
}

// probe is a component for the tests: it runs until Shutdown, or fails at
// once with failWith, and records what Main did to it.
type probe struct {
	m        *Main
	failWith error
	started  chan struct{}
	stop     chan struct{}

	mu            sync.Mutex
	shutdowns     int
	drainingAtEnd bool
	sinceCancel   time.Duration
	cancelledAt   time.Time
}

func newProbe(m *Main, failWith error) *probe {
	return &probe{m: m, failWith: failWith, started: make(chan struct{}), stop: make(chan struct{})}
}

func (p *probe) Run(ctx context.Context) error {
	close(p.started)
	if p.failWith != nil {
		return p.failWith
	}
	select {
	case <-p.stop:
		return nil
	case <-ctx.Done():
		return errors.New("probe: Run's context ended before Shutdown")
	}
}

func (p *probe) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shutdowns++
	p.drainingAtEnd = p.m.draining.Load()
	p.sinceCancel = time.Since(p.cancelledAt)
	if p.shutdowns == 1 {
		close(p.stop)
	}
	return nil
}

// TestMainComponentsShareDrain: a component beside the API server runs
// with it, sees the same drain (/healthz at 503 for --shutdown-delay, and
// only then Shutdown), and is shut down once.
func TestMainComponentsShareDrain(t *testing.T) {
	const delay = 300 * time.Millisecond
	cfg := testConfig(t.TempDir())
	cfg.ShutdownDelay = delay
	m := &Main{Config: cfg}
	p := newProbe(m, nil)
	m.Components = []Component{p}
	stop := serveMain(t, m)
	if len(m.Components) != 2 || m.Components[0] != m.api {
		t.Fatalf("components after Open: %v", m.Components)
	}
	<-p.started
	p.mu.Lock()
	p.cancelledAt = time.Now()
	p.mu.Unlock()
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shutdowns != 1 || !p.drainingAtEnd || p.sinceCancel < delay {
		t.Errorf("probe: %d shutdowns, draining %v, %v after the end of Serve's context (delay %v)",
			p.shutdowns, p.drainingAtEnd, p.sinceCancel, delay)
	}
	if _, err := net.Dial("tcp", m.Addr()); err == nil {
		t.Errorf("the API server still listens after Serve returned")
	}
}

// TestMainComponentFails: a component that fails ends the node at once:
// Serve returns its error and the API server is shut down.
func TestMainComponentFails(t *testing.T) {
	boom := errors.New("probe failed")
	cfg := testConfig(t.TempDir())
	cfg.ShutdownDelay = 10 * time.Minute // a failure must not wait for the drain
	m := &Main{Config: cfg}
	m.Components = []Component{newProbe(m, boom)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Serve(ctx); !errors.Is(err, boom) {
		t.Fatalf("Serve: %v, want %v", err, boom)
	}
	if c, err := net.Dial("tcp", m.Addr()); err == nil {
		c.Close()
		t.Errorf("the API server still listens after a component failed")
	}
}
