package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
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
	"github.com/certgate/certgate/gateway"
	"github.com/certgate/certgate/gwconfig"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/restapi"
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
	Gateway  *gwconfig.Service

	// Bootstrap holds the account created on the first start, if any.
	Bootstrap *accounts.Created

	// Components are what Serve runs: Open puts the API server first;
	// more may be added before Serve.
	Components []Component
	api        *apiServer     // nil with --addr off
	gw         *gatewayServer // nil with --gateway off, or both its listeners off
	// upstreamRoots verify the gateway's HTTPS backends: the system roots
	// plus --gateway-upstream-ca-file (nil without the setting).
	upstreamRoots *x509.CertPool
	// gatewayPoll overrides the gateway's revision poll (tests).
	gatewayPoll time.Duration
	cancel      context.CancelFunc
	draining    atomic.Bool

	node node // heartbeat and master-key health (nodes.go)
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

	if m.upstreamRoots, err = loadUpstreamRoots(cfg.GatewayUpstreamCAFile); err != nil {
		return err
	}
	// Bind first: a busy port must fail before anything (a database, a
	// master key, bootstrap credentials) is created on disk.
	if !cfg.apiOff() {
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		}
		m.api = &apiServer{ln: api.LimitConnsPerClient(ln, cfg.MaxConnsPerClient), timeout: cfg.ShutdownTimeout}
	}
	if m.gw, err = listenGateway(cfg); err != nil {
		return err
	}
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
	poolSize := cfg.KeyPoolSize
	if m.api == nil {
		poolSize = 0 // a gateway-only node generates no certificate
	}
	m.Pool = pki.NewKeyPool(pki.PoolOptions{KeyType: kt, Size: poolSize, Workers: cfg.KeyPoolWorkers, Logger: log})
	poolCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.Pool.Start(poolCtx)

	m.Certs = certs.New(m.Store, m.Sealer, m.Pool, certs.NewPager(pkey), certs.Config{
		ClientQuota:    cfg.ClientCertificateQuota,
		ServerQuota:    cfg.ServerCertificateQuota,
		ClientTemplate: pki.ClientCertTemplate{Subject: subject, Validity: cfg.ClientCertValidity},
	}, certs.WithLogger(log))
	m.Accounts = accounts.New(m.Store, m.Sealer, accounts.WithCacheTTL(cfg.AccessKeyCacheTTL))
	// The ingress ports: where this node listens, the ports it got (an
	// address may ask for :0); otherwise the ones the addresses name.
	httpPort := ingressPort(cfg.GatewayHTTPAddr, defaultGatewayHTTPPort) // checked by Validate
	httpsPort := ingressPort(cfg.GatewayHTTPSAddr, defaultGatewayHTTPSPort)
	if m.gw != nil {
		if p, _ := m.gw.ports(); p != 0 {
			httpPort = p
		}
		if _, p := m.gw.ports(); p != 0 {
			httpsPort = p
		}
	}
	m.Gateway = gwconfig.New(m.Store, gwconfig.WithDomainSuffix(cfg.GatewayDomainSuffix),
		gwconfig.WithListeners(httpPort, httpsPort))

	if m.api != nil { // the bootstrap account is for the API's users
		if err := m.bootstrap(ctx); err != nil {
			return err
		}
	}

	limiter := api.NewRateLimiter(cfg.RateLimit, cfg.RateBurst, nil)
	bodies := api.NewBodyLimiter(cfg.MaxBodiesInFlight, cfg.MaxBodyBytes, 0)
	regions, _ := cfg.regions() // checked by Validate
	restAPIs := restapi.New(m.Store, restapi.Config{RestAPIQuota: cfg.RestAPIQuota, ResourceQuota: cfg.ResourceQuota, StageQuota: cfg.StageQuota})
	awsHandler := awsapi.New(awsapi.Config{
		Certs: m.Certs, RestAPIs: restAPIs, Accounts: m.Accounts, Limiter: limiter, Logger: log,
		Bodies: bodies, Regions: regions, VerifierOptions: m.SigV4Options,
	})
	huaweiHandler := huaweiapi.New(huaweiapi.Config{
		Certs: m.Certs, Gateway: m.Gateway, Accounts: m.Accounts, Limiter: limiter, Logger: log,
		Bodies: bodies, VerifierOptions: m.HWSignOptions,
	})
	// The root is a plain switch, not a ServeMux: a ServeMux would answer an
	// unclean path with a redirect that is neither JSON nor signed-for.
	// Huawei's API lives under /v2/; AWS's paths are at the root.
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One check for commits per request, not per read (store/sqlite's
		// read cache); the request reads as of its first read or later.
		rctx := store.WithReadPoint(r.Context())
		// A request that waited for its body reads afresh after it: its
		// key may have been deleted elsewhere meanwhile.
		r = r.WithContext(api.WithAfterBody(rctx, store.ReadPointOf(rctx).Forget))
		switch {
		case r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			m.health(w, r)
		case strings.HasPrefix(r.URL.Path, huaweiapi.Prefix):
			huaweiHandler.ServeHTTP(w, r)
		default:
			awsHandler.ServeHTTP(w, r)
		}
	})

	apiSrv := &http.Server{
		Handler:           api.Middleware(log, root),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// "OPTIONS *" would otherwise get net/http's anonymous 200; the
		// dialects answer it like any other unauthenticated request.
		DisableGeneralOptionsHandler: true,
	}
	if m.api != nil {
		m.api.srv = apiSrv
		m.api.fresh.init()
		apiSrv.ConnState = connState(m.api.ln, &m.api.fresh)
		m.Components = append([]Component{m.api}, m.Components...)
	}
	if m.gw != nil {
		view, ok := m.Store.(store.ServingView)
		if !ok {
			return fmt.Errorf("the store %T has no serving view for the gateway", m.Store)
		}
		deny, _ := upstreamDeny(cfg.GatewayUpstreamDeny) // checked by Validate
		m.gw.start(gateway.New(gateway.Config{Source: gatewaySource{m.Store, view}, Opener: m.Sealer, Logger: log,
			DefaultDomain: cfg.GatewayDefaultDomain, DomainSuffix: cfg.GatewayDomainSuffix, UpstreamRoots: m.upstreamRoots, UpstreamDeny: deny}), log, httpsPort)
		m.gw.interval = m.gatewayPoll
		if w, ok := m.Store.(revisionWatcher); ok {
			m.gw.watch = w.WatchRevision
		}
		m.Components = append(m.Components, m.gw)
		httpAddr, httpsAddr := m.gw.addrs()
		log.Info("gateway listening", slog.String("https", httpsAddr), slog.String("http", httpAddr))
	} else {
		log.Info("gateway off on this node: no data plane here", slog.String("gateway", cfg.Gateway),
			slog.String("https", cfg.GatewayHTTPSAddr), slog.String("http", cfg.GatewayHTTPAddr))
	}
	log.Info("certgate listening", slog.String("addr", m.Addr()),
		slog.String("database", redactURL(cfg.Database)), slog.String("master_key_id", m.Sealer.CurrentKeyID()),
		slog.Int("key_pool_size", poolSize), slog.String("client_key_type", string(kt)))
	return nil
}

// Addr is the address the API listens on; "off" on a gateway-only node.
func (m *Main) Addr() string {
	if m.api == nil {
		return "off"
	}
	return m.api.ln.Addr().String()
}

// URL is the server's base URL.
func (m *Main) URL() string { return "http://" + m.Addr() }

// Close releases everything Open acquired. It is safe to call more than once.
func (m *Main) Close() error {
	if m.api != nil {
		m.api.close()
	}
	if m.gw != nil {
		m.gw.close()
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
	if m.gw != nil && m.gw.gw != nil {
		// The gateway serves its last snapshot while it cannot reload:
		// say which, and since when.
		rev, checked, err := m.gw.gw.Status()
		body["gateway_revision"] = strconv.FormatInt(rev, 10)
		if !checked.IsZero() {
			body["gateway_current_as_of"] = time.Since(checked).Round(time.Millisecond).String() + " ago"
		}
		if err != nil {
			body["gateway"] = "serving its last snapshot: it cannot reload"
		}
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
