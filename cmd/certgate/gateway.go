package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/gateway"
	"github.com/certgate/certgate/store"
)

// gatewayServer is the data plane's component: its HTTPS and HTTP
// listeners, and the loop that reloads its snapshot when the configuration
// revision moves.
type gatewayServer struct {
	https, http net.Listener
	gw          *gateway.Gateway
	tlsSrv      *http.Server
	plainSrv    *http.Server
	stopReload  context.CancelFunc
	reloadDone  chan struct{}
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

// listenGateway binds the gateway's listeners (before anything is created
// on disk, like the API's).
func listenGateway(cfg *Config) (*gatewayServer, error) {
	s := &gatewayServer{}
	var err error
	if s.https, err = net.Listen("tcp", cfg.GatewayHTTPSAddr); err != nil {
		return nil, fmt.Errorf("listen on %s (--gateway-https-addr): %w", cfg.GatewayHTTPSAddr, err)
	}
	if s.http, err = net.Listen("tcp", cfg.GatewayHTTPAddr); err != nil {
		s.https.Close()
		return nil, fmt.Errorf("listen on %s (--gateway-http-addr): %w", cfg.GatewayHTTPAddr, err)
	}
	// --max-conns-per-client holds on the gateway's listeners too.
	s.https = api.LimitConnsPerClient(s.https, cfg.MaxConnsPerClient)
	s.http = api.LimitConnsPerClient(s.http, cfg.MaxConnsPerClient)
	return s, nil
}

// connState tells ln's connection limiter which connections are idle (it
// makes room by closing those), seeing through TLS.
func connState(ln net.Listener) func(net.Conn, http.ConnState) {
	l, ok := ln.(*api.ConnLimiter)
	if !ok {
		return nil
	}
	return func(c net.Conn, st http.ConnState) {
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		l.ConnState(c, st)
	}
}

func (s *gatewayServer) ports() (httpPort, httpsPort int) {
	return s.http.Addr().(*net.TCPAddr).Port, s.https.Addr().(*net.TCPAddr).Port
}

// start builds the servers over gw. The limits: a client has 10 s to send
// its headers (which holds the TLS handshake too, since it runs on the
// first read), 64 KiB of them at most, and an idle keep-alive connection is
// closed after 120 s. Handshake failures are the clients' doing (unknown
// names, missing client certificates): logged at debug, not as warnings.
func (s *gatewayServer) start(gw *gateway.Gateway, log *slog.Logger) {
	s.gw = gw
	_, httpsPort := s.ports()
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	s.tlsSrv = &http.Server{Handler: gw.HTTPS(nil), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: 64 << 10, ErrorLog: errLog, TLSConfig: gw.TLSConfig(), ConnState: connState(s.https)}
	s.plainSrv = &http.Server{Handler: gw.HTTP(nil, httpsPort), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: 64 << 10, ErrorLog: errLog, ConnState: connState(s.http)}
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
	go func() { errs <- s.tlsSrv.Serve(tls.NewListener(s.https, s.tlsSrv.TLSConfig)) }()
	go func() { errs <- s.plainSrv.Serve(s.http) }()
	err := <-errs
	if err2 := <-errs; err == nil || errors.Is(err, http.ErrServerClosed) {
		err = err2
	}
	return err
}

// Shutdown lets in-flight requests finish and closes idle connections.
func (s *gatewayServer) Shutdown(ctx context.Context) error {
	err := errors.Join(s.tlsSrv.Shutdown(ctx), s.plainSrv.Shutdown(ctx))
	if s.stopReload != nil {
		s.stopReload()
		<-s.reloadDone
	}
	return err
}

// close stops everything at once (Open failed, or Close).
func (s *gatewayServer) close() {
	if s.tlsSrv != nil {
		_ = s.tlsSrv.Close()
		_ = s.plainSrv.Close()
	}
	_ = s.https.Close()
	_ = s.http.Close()
}

// gatewaySource is what the gateway reads: the store's revision and its
// cross-tenant serving view (which the API never receives).
type gatewaySource struct {
	store.Revisions
	store.ServingView
}
