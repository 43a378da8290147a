package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultUpstreamTimeout is the time allowed for a backend's response
// headers when the route sets none (AWS's integration default, 29 s, is
// the router's to pass).
const DefaultUpstreamTimeout = 60 * time.Second

// StatusClientClosed is the status a Result records when the client went
// away before the response was written (nginx's 499). Nothing is sent.
const StatusClientClosed = 499

// Upstream describes one backend call, as the router built it.
type Upstream struct {
	// URL is the backend request's scheme, host, path and raw query.
	URL *url.URL
	// Method replaces the request's method; "" keeps it.
	Method string
	// Host is the Host header sent; "" sends URL.Host. The TLS server name
	// is always URL's host.
	Host string
	// Header is set on the outbound request, after the client's headers
	// (each key replaces the client's values of it).
	Header http.Header
	// Timeout is the time allowed from the start of the call until the
	// backend's response headers arrive (0: DefaultUpstreamTimeout). A
	// body streamed after the headers is not limited by it.
	Timeout time.Duration
	// Transport calls the backend, from Upstreams.Transport.
	Transport http.RoundTripper
	// RequestID is logged with a failure's cause.
	RequestID string
	// Modify, when set, changes the backend's response before it is
	// relayed (AWS's non-proxy HTTP integrations map its status).
	Modify func(*http.Response)
}

// Failure says why a backend call failed, for the dialect's error.
type Failure int

const (
	FailNone        Failure = iota
	FailUnreachable         // dial, DNS, refused, reset, or a malformed response
	FailTLS                 // the handshake failed, or the backend's certificate did not verify
	FailTimeout             // no response headers within the timeout (or a connect timeout)
	FailTooLarge            // the request body passed the dialect's limit (http.MaxBytesReader)
)

func (f Failure) String() string {
	switch f {
	case FailNone:
		return "none"
	case FailUnreachable:
		return "unreachable"
	case FailTLS:
		return "tls"
	case FailTimeout:
		return "timeout"
	case FailTooLarge:
		return "too_large"
	}
	return "unknown"
}

// Result is what Serve did, for the access log.
type Result struct {
	// Status is the status sent to the client: the backend's, the one
	// fail wrote, or StatusClientClosed.
	Status int
	// UpstreamStatus is the backend's status, 0 when none arrived.
	UpstreamStatus int
	// Upstream is the time until the backend's response headers (or the
	// failure).
	Upstream time.Duration
	Failure  Failure
	// Err is the cause, for the log only: never send it to a client.
	Err error
}

// Proxy calls backends with one httputil.ReverseProxy, built once. What it
// guarantees (each tested):
//   - hop-by-hop headers, and those the Connection header lists, are
//     removed both ways; X-Forwarded-For is the client's address,
//     X-Forwarded-Proto "https" or "http", X-Forwarded-Host the request's
//     Host; the client's own X-Forwarded-* and Forwarded are dropped, so a
//     client cannot spoof them;
//   - bodies stream both ways, never buffered whole; responses are flushed
//     as they arrive;
//   - WebSocket (Upgrade) requests pass through;
//   - the timeout covers the wait for response headers only;
//   - a failure calls fail, the dialect's error writer, and logs the cause
//     with the request id; the cause never reaches the client;
//   - a client gone before the response is not a backend failure: nothing
//     is written or logged as one, and Result.Status is StatusClientClosed.
//
// When copying the body fails after the headers were sent (the backend or
// the client went away mid-response), Serve logs it and panics with
// http.ErrAbortHandler, as ReverseProxy does, so that net/http aborts the
// response rather than end it as if complete. A caller that logs in a
// deferred function still sees the request.
type Proxy struct {
	rp  *httputil.ReverseProxy
	log *slog.Logger
}

// NewProxy returns a Proxy logging to log.
func NewProxy(logger *slog.Logger) *Proxy {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{log: logger}
	p.rp = &httputil.ReverseProxy{
		Rewrite:   rewrite,
		Transport: callTransport{},
		// FlushInterval 0: ReverseProxy flushes each write of a body of
		// unknown length (a stream) or of text/event-stream at once, and
		// buffers only bodies whose length is known.
		FlushInterval:  0,
		BufferPool:     copyBuffers{},
		ErrorHandler:   p.failed,
		ModifyResponse: responded,
		ErrorLog:       log.New(slogWriter{logger}, "", 0),
	}
	return p
}

// call is one Serve's state, reached from the outbound request's context.
type call struct {
	up    *Upstream
	in    *http.Request
	fail  func(http.ResponseWriter, *http.Request, Failure)
	start time.Time
	timer *time.Timer
	res   Result
}

type callKey struct{}

var errHeaderTimeout = errors.New("no response headers from the backend within the timeout")

// Serve proxies r to up; see Proxy.
func (p *Proxy) Serve(w http.ResponseWriter, r *http.Request, up *Upstream, fail func(http.ResponseWriter, *http.Request, Failure)) Result {
	if up == nil || up.URL == nil || up.Transport == nil {
		// A route built wrong is the gateway's fault, but still an answer
		// in the dialect, not a panic.
		p.log.Error("gateway: no upstream to call", "request_id", requestIDOf(up))
		sw := &statusWriter{ResponseWriter: w}
		fail(sw, r, FailUnreachable)
		return Result{Status: sw.status, Failure: FailUnreachable, Err: errors.New("no upstream")}
	}
	// HTTP/1's server would otherwise read the rest of the request body
	// before the response headers go out, which stalls a backend that
	// answers while the client still sends. HTTP/2 is always full duplex
	// (the call then fails, harmlessly).
	_ = http.NewResponseController(w).EnableFullDuplex()
	c := &call{up: up, in: r, fail: fail, start: time.Now()}
	timeout := up.Timeout
	if timeout <= 0 {
		timeout = DefaultUpstreamTimeout
	}
	ctx, cancel := context.WithCancelCause(context.WithValue(r.Context(), callKey{}, c))
	defer cancel(nil)
	c.timer = time.AfterFunc(timeout, func() { cancel(errHeaderTimeout) })
	defer c.timer.Stop()
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				p.log.Info("gateway: response aborted mid-body", "request_id", up.RequestID,
					"upstream", hostOf(up.URL), "status", c.res.UpstreamStatus, "client_gone", r.Context().Err() != nil)
			}
			panic(v)
		}
	}()
	p.rp.ServeHTTP(w, r.WithContext(ctx))
	return c.res
}

func rewrite(pr *httputil.ProxyRequest) {
	c := pr.Out.Context().Value(callKey{}).(*call)
	up := c.up
	u := pr.Out.URL // a copy made for the outbound request
	u.Scheme, u.Host, u.Path, u.RawPath, u.RawQuery = up.URL.Scheme, up.URL.Host, up.URL.Path, up.URL.RawPath, up.URL.RawQuery
	u.User, u.Fragment, u.RawFragment, u.Opaque = nil, "", "", ""
	pr.Out.Host = up.Host
	if up.Method != "" {
		pr.Out.Method = up.Method
	}
	// The client's X-Forwarded-* and Forwarded were removed before Rewrite;
	// these are ours alone.
	pr.SetXForwarded()
	for k, v := range up.Header {
		pr.Out.Header[k] = v
	}
	if up := pr.Out.Header.Get("Upgrade"); up != "" && !strings.EqualFold(up, "websocket") {
		// Only WebSocket is tunneled. Another protocol switch, h2c above
		// all, would hand the client a raw connection to the backend in
		// which its requests go to any path, past routing (h2c
		// smuggling); the backend gets a plain request instead.
		pr.Out.Header.Del("Upgrade")
		pr.Out.Header.Del("Connection")
		pr.Out.Header.Del("HTTP2-Settings")
	}
}

// callTransport sends each request through its call's transport, and
// stops the header timeout once the response headers arrived.
type callTransport struct{}

func (callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := req.Context().Value(callKey{}).(*call)
	resp, err := c.up.Transport.RoundTrip(req)
	if !c.timer.Stop() && err == nil {
		// The timeout fired as the headers arrived: the body would be cut
		// by the canceled context, so this is a timeout, as it looks.
		resp.Body.Close()
		resp, err = nil, errHeaderTimeout
	}
	c.res.Upstream = time.Since(c.start)
	return resp, err
}

func responded(resp *http.Response) error {
	c := resp.Request.Context().Value(callKey{}).(*call)
	c.res.UpstreamStatus = resp.StatusCode // the backend's own
	if c.up.Modify != nil {
		c.up.Modify(resp)
	}
	c.res.Status = resp.StatusCode
	return nil
}

// failed is the ReverseProxy's ErrorHandler: r is the outbound request.
func (p *Proxy) failed(w http.ResponseWriter, r *http.Request, err error) {
	c := r.Context().Value(callKey{}).(*call)
	if c.res.Upstream == 0 {
		c.res.Upstream = time.Since(c.start)
	}
	c.res.Err = err
	if context.Cause(r.Context()) != errHeaderTimeout && c.in.Context().Err() != nil {
		// The client went away: nobody reads an answer, and the backend is
		// not at fault.
		c.res.Status = StatusClientClosed
		p.log.Debug("gateway: client went away", "request_id", c.up.RequestID, "upstream", hostOf(c.up.URL))
		return
	}
	f := classify(r.Context(), err)
	c.res.Failure = f
	p.log.Warn("gateway: backend call failed", "request_id", c.up.RequestID, "upstream", hostOf(c.up.URL),
		"failure", f.String(), "err", causeOf(err))
	sw := &statusWriter{ResponseWriter: w}
	c.fail(sw, c.in, f)
	c.res.Status = sw.status
	if c.res.Status == 0 {
		c.res.Status = http.StatusOK // fail wrote a body without a status, or nothing
	}
}

// classify maps a transport error to a Failure.
func classify(ctx context.Context, err error) Failure {
	if errors.Is(err, errHeaderTimeout) || context.Cause(ctx) == errHeaderTimeout {
		return FailTimeout
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return FailTooLarge
	}
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
		alert    tls.AlertError
		record   tls.RecordHeaderError
		op       *net.OpError
	)
	if errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &invalid) ||
		errors.As(err, &hostname) || errors.As(err, &alert) || errors.As(err, &record) {
		return FailTLS
	}
	if errors.As(err, &op) && op.Op == "remote error" {
		return FailTLS // the backend's TLS alert, e.g. it refused our client certificate
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return FailTimeout // a connect or TLS handshake timeout
	}
	return FailUnreachable
}

// causeOf drops the *url.Error's wrapping, which carries the backend URL
// (and its query, which may carry mapped parameters) into the log.
func causeOf(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func requestIDOf(up *Upstream) string {
	if up == nil {
		return ""
	}
	return up.RequestID
}

// hostOf is the part of a backend URL that is safe to log.
func hostOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// statusWriter remembers the status written: the one fail wrote, or the
// one the access log reports.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines, WebSocket hijacking).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush is ReverseProxy's streaming flush.
func (s *statusWriter) Flush() {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// copyBuffers lends ReverseProxy its body copy buffers: without a pool it
// allocates (and clears) 32 KB per response, which showed as 5% of the
// gateway's CPU under wrk, most of it in the allocation and the GC.
type copyBuffers struct{}

var copyBufferPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (copyBuffers) Get() []byte { return *copyBufferPool.Get().(*[]byte) }

func (copyBuffers) Put(b []byte) {
	if cap(b) == 32<<10 {
		b = b[:cap(b)]
		copyBufferPool.Put(&b)
	}
}

// slogWriter sends ReverseProxy's own log lines (a body copy's read error)
// to the gateway's logger.
type slogWriter struct{ log *slog.Logger }

func (s slogWriter) Write(b []byte) (int, error) {
	msg := string(b)
	if n := len(msg); n > 0 && msg[n-1] == '\n' {
		msg = msg[:n-1]
	}
	s.log.Warn(msg)
	return len(b), nil
}
