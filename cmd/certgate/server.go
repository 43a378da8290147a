package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/api"
	awsapi "github.com/certgate/certgate/api/aws"
	huaweiapi "github.com/certgate/certgate/api/huawei"
	"github.com/certgate/certgate/auth/hwsign"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// Main is a whole certgate server. Tests run it in-process on 127.0.0.1:0:
// set Config, call Open, then Serve in a goroutine, and Close at the end.
type Main struct {
	Config Config
	Logger *slog.Logger
	// SigV4Options and HWSignOptions tune the signature verifiers (tests
	// pin their clocks).
	SigV4Options  []sigv4.Option
	HWSignOptions []hwsign.Option

	Store    store.Store
	Sealer   *seal.Sealer
	Pool     *pki.KeyPool
	Certs    *certs.Service
	Accounts *accounts.Service

	// Bootstrap holds the account created on the first start, if any.
	Bootstrap *accounts.Created

	ln       net.Listener
	srv      *http.Server
	cancel   context.CancelFunc
	draining atomic.Bool

	// fresh holds connections that have not sent a request yet. Clients
	// (the AWS SDK among them) dial spare connections they may never use;
	// Shutdown would wait about five seconds for each before counting it
	// idle. Nothing was read on them, so closing them loses nothing.
	connMu sync.Mutex
	fresh  map[net.Conn]struct{}

	node node // heartbeat and master-key health (nodes.go)
}

func (m *Main) trackConn(c net.Conn, state http.ConnState) {
	if l, ok := m.ln.(*api.ConnLimiter); ok {
		l.ConnState(c, state)
	}
	m.connMu.Lock()
	defer m.connMu.Unlock()
	switch state {
	case http.StateNew:
		m.fresh[c] = struct{}{}
	default:
		delete(m.fresh, c)
	}
}

func (m *Main) closeFreshConns() {
	m.connMu.Lock()
	defer m.connMu.Unlock()
	for c := range m.fresh {
		_ = c.Close()
		delete(m.fresh, c)
	}
}

// Open builds every component, runs migrations, checks the master key and
// starts listening. Nothing is served until Serve.
func (m *Main) Open(ctx context.Context) (err error) {
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	log := m.Logger
	cfg := &m.Config
	cfg.resolveDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()

	// Bind first: a busy port must fail before anything (a database, a
	// master key, bootstrap credentials) is created on disk.
	if m.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	m.ln = api.LimitConnsPerClient(m.ln, cfg.MaxConnsPerClient)
	if err := checkFirstStart(cfg); err != nil {
		return err
	}
	if m.Store, err = openStore(ctx, cfg.Database, cfg.pool()); err != nil {
		return err
	}
	if m.Sealer, err = openSealer(ctx, cfg, m.Store, log); err != nil {
		return err
	}
	pkey, err := positionKey(ctx, m.Store)
	if err != nil {
		return err
	}
	kt, _ := pki.ParseKeyType(cfg.ClientKeyType)
	subject, _ := pki.ParseSubject(cfg.ClientCertSubject)
	m.Pool = pki.NewKeyPool(pki.PoolOptions{KeyType: kt, Size: cfg.KeyPoolSize, Workers: cfg.KeyPoolWorkers, Logger: log})
	poolCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.Pool.Start(poolCtx)

	m.Certs = certs.New(m.Store, m.Sealer, m.Pool, certs.NewPager(pkey), certs.Config{
		ClientQuota:    cfg.ClientCertificateQuota,
		ServerQuota:    cfg.ServerCertificateQuota,
		ClientTemplate: pki.ClientCertTemplate{Subject: subject, Validity: cfg.ClientCertValidity},
		ClientKeyType:  kt,
	}, certs.WithLogger(log))
	m.Accounts = accounts.New(m.Store, m.Sealer, accounts.WithCacheTTL(cfg.AccessKeyCacheTTL))

	if err := m.bootstrap(ctx); err != nil {
		return err
	}

	limiter := api.NewRateLimiter(cfg.RateLimit, cfg.RateBurst, nil)
	bodies := api.NewBodyLimiter(cfg.MaxBodiesInFlight, cfg.MaxBodyBytes, 0)
	regions, _ := cfg.regions() // checked by Validate
	awsHandler := awsapi.New(awsapi.Config{
		Certs: m.Certs, Accounts: m.Accounts, Limiter: limiter, Logger: log,
		Bodies: bodies, Regions: regions, VerifierOptions: m.SigV4Options,
	})
	huaweiHandler := huaweiapi.New(huaweiapi.Config{
		Certs: m.Certs, Accounts: m.Accounts, Limiter: limiter, Logger: log,
		Bodies: bodies, VerifierOptions: m.HWSignOptions,
	})
	// The root is a plain switch, not a ServeMux: a ServeMux would answer an
	// unclean path with a redirect that is neither JSON nor signed-for.
	// Huawei's API lives under /v2/; AWS's paths are at the root.
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			m.health(w, r)
		case strings.HasPrefix(r.URL.Path, huaweiapi.Prefix):
			huaweiHandler.ServeHTTP(w, r)
		default:
			awsHandler.ServeHTTP(w, r)
		}
	})

	m.srv = &http.Server{
		Handler:           api.Middleware(log, root),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState:         m.trackConn,
	}
	m.fresh = map[net.Conn]struct{}{}
	log.Info("certgate listening", slog.String("addr", m.ln.Addr().String()),
		slog.String("database", redactURL(cfg.Database)), slog.String("master_key_id", m.Sealer.CurrentKeyID()),
		slog.Int("key_pool_size", cfg.KeyPoolSize), slog.String("client_key_type", string(kt)))
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// URL is the server's base URL.
func (m *Main) URL() string { return "http://" + m.Addr() }

// Serve serves until ctx is done, then shuts down gracefully: the listener
// closes, in-flight requests finish (up to ShutdownTimeout), and every
// acknowledged write is already durable in the store.
func (m *Main) Serve(ctx context.Context) error {
	m.node.id = newNodeID()
	m.beat(ctx) // before serving, so that a rotation sees this node at once
	hbCtx, stopBeats := context.WithCancel(ctx)
	beats := make(chan struct{})
	go m.heartbeat(hbCtx, beats)
	defer func() { stopBeats(); <-beats }()
	errc := make(chan error, 1)
	go func() { errc <- m.srv.Serve(m.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	m.draining.Store(true)
	if d := m.Config.ShutdownDelay; d > 0 {
		// Keep serving while /healthz answers 503, so that a load balancer
		// stops sending new requests before the listener closes.
		m.Logger.Info("draining: /healthz answers 503 before shutdown", slog.Duration("delay", d))
		select {
		case <-time.After(d):
		case err := <-errc:
			return err
		}
	}
	m.Logger.Info("shutting down: finishing in-flight requests", slog.Duration("timeout", m.Config.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	m.srv.SetKeepAlivesEnabled(false)
	done := make(chan error, 1)
	go func() { done <- m.srv.Shutdown(sctx) }()
	m.closeFreshConns()
	if err := <-done; err != nil {
		_ = m.srv.Close()
		return fmt.Errorf("graceful shutdown: requests still running after %v were cut off: %w", m.Config.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	m.Logger.Info("shut down cleanly")
	return nil
}

// Close releases everything Open acquired. It is safe to call more than once.
func (m *Main) Close() error {
	if m.srv != nil {
		_ = m.srv.Close()
	} else if m.ln != nil {
		_ = m.ln.Close()
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.Pool != nil {
		m.Pool.Close()
	}
	var err error
	if m.Store != nil {
		err = m.Store.Close()
		m.Store = nil
	}
	return err
}

// health answers 200 once the server is serving and the database answers;
// 503 while draining, when the database is unreachable, or when it is
// damaged (the body names the cause).
func (m *Main) health(w http.ResponseWriter, r *http.Request) {
	status, body := http.StatusOK, map[string]string{"status": "ok"}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	pingErr := m.Store.Ping(ctx)
	switch {
	case m.draining.Load():
		status, body = http.StatusServiceUnavailable, map[string]string{"status": "draining"}
	case certgate.AsError(pingErr) != nil && certgate.AsError(pingErr).Reason == store.ReasonDamaged:
		status, body = http.StatusServiceUnavailable, map[string]string{"status": "database damaged", "cause": certgate.AsError(pingErr).Message}
	case pingErr != nil:
		status, body = http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"}
	case m.keyHealth() != "":
		status, body = http.StatusServiceUnavailable, map[string]string{"status": "master key missing", "missing_master_keys": m.keyHealth()}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// bootstrap creates the first account on an empty database and writes its
// credentials to a private file, so that a newcomer can call the API at once
// while nothing is ever anonymous. Only one node wins the race to do so.
func (m *Main) bootstrap(ctx context.Context) error {
	path := m.Config.BootstrapCredentialsFile
	if path == "" {
		return nil
	}
	n, err := m.Store.CountAccounts(ctx)
	if err != nil || n > 0 {
		return err
	}
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	mine := fmt.Sprintf("%x", nonce)
	if winner, err := m.Store.PutMetaIfAbsent(ctx, metaBootstrap, mine); err != nil || winner != mine {
		return err
	}
	created, err := m.Accounts.Create(ctx, accounts.CreateInput{Name: "bootstrap"})
	if err != nil {
		return fmt.Errorf("create bootstrap account: %w", err)
	}
	m.Bootstrap = created
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	content := fmt.Sprintf(`# certgate bootstrap credentials: account %s, project %s.
# Keep this file secret. Use it with:
#   AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=certgate
[certgate]
aws_access_key_id = %s
aws_secret_access_key = %s
`, created.Account.ID, created.Account.ProjectID, abs, created.AccessKeyID, created.SecretAccessKey)
	if err := writePrivateFile(path, []byte(content)); err != nil {
		return fmt.Errorf("write bootstrap credentials: %w", err)
	}
	m.Logger.Info("created the bootstrap account; its credentials are in a private file (profile certgate)",
		slog.String("path", abs), slog.String("account", created.Account.ID),
		slog.String("access_key_id", created.AccessKeyID))
	return nil
}
