package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Component is one long-running part of a node: today the API server, the
// gateway later. Main runs every component and stops them together, after
// one drain delay they share.
type Component interface {
	// Run serves until Shutdown is called (it then returns nil or, as
	// net/http does, http.ErrServerClosed) or it fails. Its ctx is not cancelled by the end of Serve's: the drain
	// delay keeps components serving after that.
	Run(ctx context.Context) error
	// Shutdown stops the component gracefully within ctx's deadline; when
	// it returns, Run has returned or returns at once.
	Shutdown(ctx context.Context) error
}

// Serve runs every component until ctx is done, then shuts them down
// gracefully: /healthz answers 503 for --shutdown-delay while they still
// serve, then each stops (up to ShutdownTimeout; the API server finishes its
// in-flight requests), and every acknowledged write is already durable in
// the store. A component that fails ends the node: the others are shut down
// at once and its error is returned.
func (m *Main) Serve(ctx context.Context) error {
	m.node.id = newNodeID()
	m.beat(ctx) // before serving, so that a rotation sees this node at once
	hbCtx, stopBeats := context.WithCancel(ctx)
	beats := make(chan struct{})
	go m.heartbeat(hbCtx, beats)
	defer func() { stopBeats(); <-beats }()

	type exit struct {
		i   int
		err error
	}
	comps := m.Components
	exits := make(chan exit, len(comps))
	running := make([]bool, len(comps))
	runCtx, stopRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRuns()
	for i, c := range comps {
		running[i] = true
		go func() { exits <- exit{i, c.Run(runCtx)} }()
	}
	var failed error
	early := func(e exit) {
		running[e.i] = false
		failed = e.err
		if failed == nil {
			failed = fmt.Errorf("component %T stopped by itself", comps[e.i])
		}
	}

	select {
	case e := <-exits:
		early(e)
	case <-ctx.Done():
	}
	if failed == nil {
		m.draining.Store(true)
		if d := m.Config.ShutdownDelay; d > 0 {
			// Keep serving while /healthz answers 503, so that a load
			// balancer stops sending new requests before the listeners close.
			m.Logger.Info("draining: /healthz answers 503 before shutdown", slog.Duration("delay", d))
			select {
			case <-time.After(d):
			case e := <-exits:
				early(e)
			}
		}
	}
	if failed == nil {
		m.Logger.Info("shutting down: finishing in-flight requests", slog.Duration("timeout", m.Config.ShutdownTimeout))
	}
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	errs := make([]error, len(comps))
	var wg sync.WaitGroup
	for i, c := range comps {
		if running[i] {
			wg.Go(func() { errs[i] = c.Shutdown(sctx) })
		}
	}
	wg.Wait()
	for i := range comps {
		if running[i] {
			if e := <-exits; e.err != nil && !errors.Is(e.err, http.ErrServerClosed) && errs[e.i] == nil {
				errs[e.i] = e.err
			}
		}
	}
	if failed != nil {
		return failed
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	m.Logger.Info("shut down cleanly")
	return nil
}

// apiServer is the HTTP server of both API dialects and /healthz.
type apiServer struct {
	ln      net.Listener
	srv     *http.Server
	timeout time.Duration // for the message of a shutdown that timed out

	fresh freshConns // closed at once by Shutdown (the AWS SDK dials spares)
}

func (a *apiServer) Run(context.Context) error { return a.srv.Serve(a.ln) }

func (a *apiServer) Shutdown(ctx context.Context) error {
	a.srv.SetKeepAlivesEnabled(false)
	done := make(chan error, 1)
	go func() { done <- a.srv.Shutdown(ctx) }()
	a.fresh.closeAll()
	if err := <-done; err != nil {
		_ = a.srv.Close()
		return fmt.Errorf("graceful shutdown: requests still running after %v were cut off: %w", a.timeout, err)
	}
	return nil
}

// close stops the server at once, or only its listener before it serves.
func (a *apiServer) close() {
	if a.srv != nil {
		_ = a.srv.Close()
	} else if a.ln != nil {
		_ = a.ln.Close()
	}
}
