package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/gateway"
	"github.com/certgate/certgate/store"
)

// gatewayServer is the data plane's component: its HTTPS and HTTP
// listeners (either may be off: nil, with its server), and the loop that
// reloads its snapshot when the configuration revision moves.
type gatewayServer struct {
	https, http net.Listener
	gw          *gateway.Gateway
	tlsSrv      *http.Server
	plainSrv    *http.Server
	stopReload  context.CancelFunc
	reloadDone  chan struct{}
	timeout     time.Duration // for the message of a shutdown that timed out
	fresh       freshConns
	// watch, when the store offers it (PostgreSQL), delivers revision
	// moves as they commit.
	watch    func(ctx context.Context) <-chan struct{}
	interval time.Duration
}

// reloadInterval is how often the gateway reads the revision: one cheap
// query, well inside the second a change may take to be served. On
// PostgreSQL notifications bring changes sooner, and the poll is the
// fallback.
const reloadInterval = 250 * time.Millisecond

// revisionWatcher is a store that pushes revision moves (postgres.DB).
type revisionWatcher interface {
	WatchRevision(ctx context.Context) <-chan struct{}
}

// listenGateway binds the gateway's listeners that are not off (before
// anything is created on disk, like the API's). It returns nil when this
// node runs no gateway: --gateway off, or both listeners off.
func listenGateway(cfg *Config) (*gatewayServer, error) {
	listenHTTPS, listenHTTP := cfg.gatewayListens(cfg.GatewayHTTPSAddr), cfg.gatewayListens(cfg.GatewayHTTPAddr)
	if !listenHTTPS && !listenHTTP {
		return nil, nil
	}
	s := &gatewayServer{timeout: cfg.ShutdownTimeout}
	var err error
	if listenHTTPS {
		if s.https, err = net.Listen("tcp", cfg.GatewayHTTPSAddr); err != nil {
			return nil, fmt.Errorf("listen on %s (--gateway-https-addr): %w", cfg.GatewayHTTPSAddr, err)
		}
		// --max-conns-per-client holds on the gateway's listeners too.
		s.https = api.LimitConnsPerClient(s.https, cfg.MaxConnsPerClient)
	}
	if listenHTTP {
		if s.http, err = net.Listen("tcp", cfg.GatewayHTTPAddr); err != nil {
			s.close()
			return nil, fmt.Errorf("listen on %s (--gateway-http-addr): %w", cfg.GatewayHTTPAddr, err)
		}
		s.http = api.LimitConnsPerClient(s.http, cfg.MaxConnsPerClient)
	}
	return s, nil
}

// connState tells ln's connection limiter which connections are idle (it
// makes room by closing those), seeing through TLS, and tracks the fresh
// ones that Shutdown closes at once.
func connState(ln net.Listener, fresh *freshConns) func(net.Conn, http.ConnState) {
	l, _ := ln.(*api.ConnLimiter)
	return func(c net.Conn, st http.ConnState) {
		fresh.track(c, st)
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		if l != nil {
			l.ConnState(c, st)
		}
	}
}

// ports are the ports of this node's listeners; 0 for one that is off.
func (s *gatewayServer) ports() (httpPort, httpsPort int) {
	port := func(ln net.Listener) int {
		if ln == nil {
			return 0
		}
		return ln.Addr().(*net.TCPAddr).Port
	}
	return port(s.http), port(s.https)
}

// addrs are the listeners' addresses for the log, "off" for one that is.
func (s *gatewayServer) addrs() (httpAddr, httpsAddr string) {
	addr := func(ln net.Listener) string {
		if ln == nil {
			return "off"
		}
		return ln.Addr().String()
	}
	return addr(s.http), addr(s.https)
}

// start builds the servers over gw, for the listeners that are on;
// httpsPort is where plain-HTTP requests are redirected (this node's HTTPS
// port, or the one --gateway-https-addr off:PORT names). The limits: a
// client has 10 s to send its headers (which holds the TLS handshake too,
// since it runs on the first read), 64 KiB of them at most, and an idle
// keep-alive connection is closed after 120 s. Handshake failures are the
// clients' doing (unknown names, missing client certificates): logged at
// debug, not as warnings.
func (s *gatewayServer) start(gw *gateway.Gateway, log *slog.Logger, httpsPort int) {
	s.gw = gw
	s.fresh.init()
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	if s.https != nil {
		s.tlsSrv = &http.Server{Handler: gw.HTTPS(nil), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
			MaxHeaderBytes: 64 << 10, ErrorLog: errLog, TLSConfig: gw.TLSConfig(), ConnState: connState(s.https, &s.fresh)}
	}
	if s.http != nil {
		s.plainSrv = &http.Server{Handler: gw.HTTP(nil, httpsPort), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
			MaxHeaderBytes: 64 << 10, ErrorLog: errLog, ConnState: connState(s.http, &s.fresh)}
	}
}

// servers are the servers of the listeners that are on.
func (s *gatewayServer) servers() []*http.Server {
	var srvs []*http.Server
	for _, srv := range []*http.Server{s.tlsSrv, s.plainSrv} {
		if srv != nil {
			srvs = append(srvs, srv)
		}
	}
	return srvs
}

// Run loads the configuration, then serves both listeners until Shutdown.
func (s *gatewayServer) Run(ctx context.Context) error {
	rctx, cancel := context.WithCancel(ctx)
	s.stopReload, s.reloadDone = cancel, make(chan struct{})
	var watch <-chan struct{}
	if s.watch != nil {
		watch = s.watch(rctx)
	}
	interval := s.interval
	if interval == 0 {
		interval = reloadInterval
	}
	go func() { defer close(s.reloadDone); s.gw.Run(rctx, interval, watch) }()
	errs := make(chan error, 2)
	if s.tlsSrv != nil {
		go func() { errs <- s.tlsSrv.Serve(tls.NewListener(s.https, s.tlsSrv.TLSConfig)) }()
	}
	if s.plainSrv != nil {
		go func() { errs <- s.plainSrv.Serve(s.http) }()
	}
	// A listener that fails ends the component: the other one is closed,
	// so that Main sees the failure and stops the node.
	var err error
	for range s.servers() {
		e := <-errs
		if e != nil && !errors.Is(e, http.ErrServerClosed) && (err == nil || errors.Is(err, http.ErrServerClosed)) {
			for _, srv := range s.servers() {
				_ = srv.Close()
			}
		}
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			err = e
		}
	}
	return err
}

// Shutdown stops both listeners at once, so that neither accepts while the
// other drains; lets in-flight requests (proxied ones included) finish
// within ctx, answered with Connection: close; and closes idle
// keep-alive connections at once, and those that never sent a request.
// Requests still running at the deadline are cut off. The reload loop stops
// last: a request in flight is served from the snapshot it started with.
func (s *gatewayServer) Shutdown(ctx context.Context) error {
	srvs := s.servers()
	errs := make([]error, len(srvs))
	var wg sync.WaitGroup
	for i, srv := range srvs {
		// Shutdown closes the listener first, then idle connections; a
		// response written meanwhile says Connection: close.
		wg.Go(func() { errs[i] = srv.Shutdown(ctx) })
	}
	s.fresh.closeAll()
	wg.Wait()
	err := errors.Join(errs...)
	if err != nil {
		for _, srv := range srvs {
			_ = srv.Close()
		}
		err = fmt.Errorf("gateway: graceful shutdown: requests still running after %v were cut off: %w", s.timeout, err)
	}
	if s.stopReload != nil {
		s.stopReload()
		<-s.reloadDone
	}
	return err
}

// close stops everything at once (Open failed, or Close).
func (s *gatewayServer) close() {
	for _, srv := range s.servers() {
		_ = srv.Close()
	}
	for _, ln := range []net.Listener{s.https, s.http} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// freshConns holds connections that have not sent a request yet (for TLS,
// that includes the handshake). Clients dial spare connections they may
// never use; Shutdown would wait about five seconds for each before counting
// it idle. Nothing was read on them, so closing them loses nothing.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (f *freshConns) init() { f.conns = map[net.Conn]struct{}{} }

func (f *freshConns) track(c net.Conn, st http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st == http.StateNew {
		f.conns[c] = struct{}{}
	} else {
		delete(f.conns, c)
	}
}

func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
		delete(f.conns, c)
	}
}

// gatewaySource is what the gateway reads: the store's revision and its
// cross-tenant serving view (which the API never receives).
type gatewaySource struct {
	store.Revisions
	store.ServingView
}
