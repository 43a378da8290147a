package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// namedClientCert issues a client certificate whose subject CN is cn.
func namedClientCert(t testing.TB, issuer *ca, cn string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn, Organization: []string{"certgate test"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer.cert, key.Public(), issuer.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// logBuffer collects log lines, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// front is a gateway front end: an HTTP server whose handler proxies every
// request to the upstream that route returns, and records what happened.
type front struct {
	srv     *httptest.Server
	logs    *logBuffer
	results chan Result
	mu      sync.Mutex
	fails   []Failure
}

func newFront(t testing.TB, useTLS bool, route func(r *http.Request) *Upstream) *front {
	t.Helper()
	f := &front{logs: &logBuffer{}, results: make(chan Result, 16)}
	p := NewProxy(slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := p.Serve(w, r, route(r), func(w http.ResponseWriter, r *http.Request, fl Failure) {
			f.mu.Lock()
			f.fails = append(f.fails, fl)
			f.mu.Unlock()
			status := http.StatusBadGateway
			if fl == FailTimeout {
				status = http.StatusGatewayTimeout
			}
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(status)
			fmt.Fprintf(w, "failure %s", fl)
		})
		f.results <- res
	})
	if useTLS {
		f.srv = httptest.NewTLSServer(h)
	} else {
		f.srv = httptest.NewServer(h)
	}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *front) failures() []Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Failure(nil), f.fails...)
}

// result waits for the front's next Result.
func (f *front) result(t testing.TB) Result {
	t.Helper()
	select {
	case r := <-f.results:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no result from Serve")
	}
	return Result{}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func get(t testing.TB, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestProxyHeaders: hop-by-hop headers (standard ones and those the
// Connection header lists) are removed both ways; X-Forwarded-* are ours,
// whatever the client sent; the router's URL, method, Host and headers
// are what the backend receives.
func TestProxyHeaders(t *testing.T) {
	seen := make(chan *http.Request, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r
		w.Header().Set("Connection", "X-Resp-Hop")
		w.Header().Set("X-Resp-Hop", "secret")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Resp-End", "kept")
		io.WriteString(w, "ok")
	}))
	defer backend.Close()
	ups := NewUpstreams(nil)
	fr := newFront(t, false, func(r *http.Request) *Upstream {
		return &Upstream{URL: mustURL(t, backend.URL+"/backend/path?a=1&b=%2F"), Method: "PUT", Host: "backend.example",
			Header: http.Header{"X-Mapped": {"m1"}, "X-Client-Set": {"router wins"}}, Transport: ups.Transport(nil, false)}
	})

	conn, err := net.Dial("tcp", fr.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "GET /front?x=y HTTP/1.1\r\nHost: api.example.com\r\n" +
		"Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: 300\r\nProxy-Authorization: Basic c2VjcmV0\r\n" +
		"Proxy-Connection: keep-alive\r\nTe: gzip\r\nTrailer: X-Trail\r\n" +
		"X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\nForwarded: for=6.6.6.6\r\n" +
		"X-Client-Set: client\r\nX-End-To-End: kept\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	r := <-seen
	for _, h := range []string{"X-Hop", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Forwarded"} {
		if v := r.Header.Values(h); len(v) > 0 {
			t.Errorf("backend received hop-by-hop or client-forwarded %s: %q", h, v)
		}
	}
	if v := r.Header.Get("Connection"); strings.Contains(v, "X-Hop") {
		t.Errorf("backend received Connection %q", v)
	}
	want := map[string]string{
		"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "api.example.com", "X-Forwarded-Proto": "http",
		"X-Mapped": "m1", "X-Client-Set": "router wins", "X-End-To-End": "kept",
	}
	for h, v := range want {
		if got := strings.Join(r.Header.Values(h), ","); got != v {
			t.Errorf("backend received %s = %q, want %q", h, got, v)
		}
	}
	if r.Method != "PUT" || r.Host != "backend.example" || r.URL.Path != "/backend/path" || r.URL.RawQuery != "a=1&b=%2F" {
		t.Errorf("backend received %s %s Host %s", r.Method, r.URL, r.Host)
	}
	if v := resp.Header.Values("X-Resp-Hop"); len(v) > 0 || resp.Header.Get("Keep-Alive") != "" {
		t.Errorf("client received the backend's hop-by-hop headers: %v", resp.Header)
	}
	if resp.Header.Get("X-Resp-End") != "kept" || resp.StatusCode != 200 {
		t.Errorf("client received %d %v", resp.StatusCode, resp.Header)
	}
	if res := fr.result(t); res.Status != 200 || res.UpstreamStatus != 200 || res.Failure != FailNone || res.Upstream <= 0 {
		t.Errorf("result %+v", res)
	}

	// Over TLS, X-Forwarded-Proto says https.
	tfr := newFront(t, true, func(r *http.Request) *Upstream {
		return &Upstream{URL: mustURL(t, backend.URL), Transport: ups.Transport(nil, false)}
	})
	creq, _ := http.NewRequest("GET", tfr.srv.URL, nil)
	creq.Header.Set("X-Forwarded-Proto", "http")
	cresp, err := tfr.srv.Client().Do(creq)
	if err != nil {
		t.Fatal(err)
	}
	cresp.Body.Close()
	if r := <-seen; r.Header.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("over TLS the backend received X-Forwarded-Proto %q", r.Header.Values("X-Forwarded-Proto"))
	}
}

// TestProxyStreamsBothWays: the backend reads a request body that the
// client is still writing, and the client reads the response before the
// backend finishes it: a ping-pong that deadlocks if either direction is
// buffered.
func TestProxyStreamsBothWays(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).EnableFullDuplex()
		br := bufio.NewReader(r.Body)
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			fmt.Fprintf(w, "pong %s", line)
			w.(http.Flusher).Flush()
		}
	}))
	defer backend.Close()
	ups := NewUpstreams(nil)
	fr := newFront(t, false, func(r *http.Request) *Upstream {
		return &Upstream{URL: mustURL(t, backend.URL), Transport: ups.Transport(nil, false)}
	})

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", fr.srv.URL, pr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req = req.WithContext(ctx)
	type answer = struct {
		resp *http.Response
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		got <- answer{resp, err}
	}()
	done := make(chan error, 1)
	go func() { done <- pingPong(pw, got) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		pw.CloseWithError(errors.New("deadlock"))
		cancel()
		t.Fatal("the exchange stalled: a direction is buffered")
	}
}

// pingPong writes a line, reads its pong, three times, then ends the
// request body and expects the response to end.
func pingPong(pw *io.PipeWriter, got <-chan struct {
	resp *http.Response
	err  error
}) error {
	if _, err := io.WriteString(pw, "one\n"); err != nil {
		return err
	}
	a := <-got // headers arrived while the request body is still open
	if a.err != nil {
		return a.err
	}
	defer a.resp.Body.Close()
	br := bufio.NewReader(a.resp.Body)
	for _, word := range []string{"one", "two", "three"} {
		if word != "one" {
			io.WriteString(pw, word+"\n")
		}
		line, err := br.ReadString('\n')
		if err != nil || line != "pong "+word+"\n" {
			return fmt.Errorf("read %q, %v; want pong %s", line, err, word)
		}
	}
	pw.Close()
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		return fmt.Errorf("trailing %q", rest)
	}
	return nil
}

// TestProxyWebSocket: an Upgrade request reaches the backend, its 101
// comes back, and the connection then carries bytes both ways, past the
// header timeout.
func TestProxyWebSocket(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || !strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") {
			http.Error(w, "upgrade expected", 400)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			r.Header.Get("Sec-WebSocket-Key") + "\r\n\r\n")
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString("echo " + line)
			brw.Flush()
		}
	}))
	defer backend.Close()
	ups := NewUpstreams(nil)
	fr := newFront(t, false, func(r *http.Request) *Upstream {
		return &Upstream{URL: mustURL(t, backend.URL+"/ws"), Transport: ups.Transport(nil, false), Timeout: 50 * time.Millisecond}
	})
	conn, err := net.Dial("tcp", fr.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k123\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != "k123" {
		t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
	}
	for i, msg := range []string{"hello", "again"} {
		if i == 1 {
			time.Sleep(100 * time.Millisecond) // past Timeout: the tunnel must not be cut
		}
		io.WriteString(conn, msg+"\n")
		line, err := br.ReadString('\n')
		if err != nil || line != "echo "+msg+"\n" {
			t.Fatalf("read %q, %v", line, err)
		}
	}
	conn.Close()
	if res := fr.result(t); res.UpstreamStatus != 101 || res.Failure != FailNone {
		t.Errorf("result %+v", res)
	}
}

// TestProxyTimeout: no headers within Timeout is FailTimeout (and the
// backend's request is canceled); a body slower than Timeout after the
// headers is not cut.
func TestProxyTimeout(t *testing.T) {
	canceled := make(chan struct{}, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			<-r.Context().Done()
			canceled <- struct{}{}
			return
		}
		w.WriteHeader(200)
		io.WriteString(w, "first ")
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond) // 6 × the timeout, after the headers
		io.WriteString(w, "last")
	}))
	defer backend.Close()
	ups := NewUpstreams(nil)
	fr := newFront(t, false, func(r *http.Request) *Upstream {
		return &Upstream{URL: mustURL(t, backend.URL+r.URL.Path), Transport: ups.Transport(nil, false), Timeout: 50 * time.Millisecond, RequestID: "req-timeout-1"}
	})
	status, body := get(t, fr.srv.Client(), fr.srv.URL+"/hang")
	if status != 504 || body != "failure timeout" {
		t.Errorf("hanging backend: %d %q", status, body)
	}
	res := fr.result(t)
	if res.Failure != FailTimeout || res.Status != 504 || res.UpstreamStatus != 0 {
		t.Errorf("result %+v", res)
	}
	select {
	case <-canceled:
	case <-time.After(30 * time.Second):
		t.Error("the backend's request was not canceled")
	}
	if l := fr.logs.String(); !strings.Contains(l, "request_id=req-timeout-1") || !strings.Contains(l, "failure=timeout") {
		t.Errorf("log does not name the request and failure:\n%s", l)
	}

	status, body = get(t, fr.srv.Client(), fr.srv.URL+"/slow-body")
	if status != 200 || body != "first last" {
		t.Errorf("slow body: %d %q", status, body)
	}
	if res := fr.result(t); res.Failure != FailNone || res.Status != 200 {
		t.Errorf("result %+v", res)
	}
}

// TestProxyFailures: a closed port is FailUnreachable; an untrusted
// backend certificate is FailTLS, unless the integration skips
// verification or the upstream CA file trusts it. Neither cause reaches
// the client.
func TestProxyFailures(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	backend := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "backend") }))
	defer backend.Close()

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: backend.Certificate().Raw}), 0o600)
	withCA, err := UpstreamRoots(caFile)
	if err != nil {
		t.Fatal(err)
	}
	system, err := UpstreamRoots("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		url      string
		roots    *x509.CertPool
		insecure bool
		status   int
		body     string
		failure  Failure
	}{
		{"closed port", "http://" + closed, system, false, 502, "failure unreachable", FailUnreachable},
		{"untrusted", backend.URL, system, false, 502, "failure tls", FailTLS},
		{"insecure", backend.URL, system, true, 200, "backend", FailNone},
		{"ca file", backend.URL, withCA, false, 200, "backend", FailNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ups := NewUpstreams(tc.roots)
			fr := newFront(t, false, func(r *http.Request) *Upstream {
				return &Upstream{URL: mustURL(t, tc.url), Transport: ups.Transport(nil, tc.insecure), RequestID: "rid-" + strings.ReplaceAll(tc.name, " ", "-")}
			})
			status, body := get(t, fr.srv.Client(), fr.srv.URL)
			if status != tc.status || body != tc.body {
				t.Errorf("got %d %q, want %d %q", status, body, tc.status, tc.body)
			}
			res := fr.result(t)
			if res.Failure != tc.failure || res.Status != tc.status {
				t.Errorf("result %+v", res)
			}
			if tc.failure != FailNone {
				if res.Err == nil || res.UpstreamStatus != 0 {
					t.Errorf("result %+v", res)
				}
				if l := fr.logs.String(); !strings.Contains(l, "request_id=rid-"+strings.ReplaceAll(tc.name, " ", "-")) {
					t.Errorf("log:\n%s", l)
				}
			}
		})
	}
}

// TestProxyMutualTLS: a backend that requires and verifies client
// certificates sees the Identity's subject; a transport without the
// identity is refused (FailTLS). The certificate is offered even when the
// backend's list of acceptable CAs does not name its issuer.
func TestProxyMutualTLS(t *testing.T) {
	clientCA, otherCA := newCA(t, "Client CA"), newCA(t, "Other CA")
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.cert)
	other := x509.NewCertPool()
	other.AddCert(otherCA.cert)
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			io.WriteString(w, "no certificate")
			return
		}
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.String())
	})
	verifying := httptest.NewUnstartedServer(echo)
	verifying.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	verifying.StartTLS()
	defer verifying.Close()
	// Asks for certificates from "Other CA" only, but takes any.
	asking := httptest.NewUnstartedServer(echo)
	asking.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert, ClientCAs: other}
	asking.StartTLS()
	defer asking.Close()

	roots := x509.NewCertPool()
	roots.AddCert(verifying.Certificate())
	roots.AddCert(asking.Certificate())
	ups := NewUpstreams(roots)
	id := &Identity{ID: "cc-1", Version: 1, Cert: namedClientCert(t, clientCA, "stage-client-1")}
	for _, tc := range []struct {
		name    string
		backend string
		id      *Identity
		status  int
		body    string
	}{
		{"identity", verifying.URL, id, 200, "CN=stage-client-1,O=certgate test"},
		{"no identity", verifying.URL, nil, 502, "failure tls"},
		{"issuer not listed", asking.URL, id, 200, "CN=stage-client-1,O=certgate test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fr := newFront(t, false, func(r *http.Request) *Upstream {
				return &Upstream{URL: mustURL(t, tc.backend), Transport: ups.Transport(tc.id, false)}
			})
			status, body := get(t, fr.srv.Client(), fr.srv.URL)
			if status != tc.status || body != tc.body {
				t.Errorf("got %d %q, want %d %q", status, body, tc.status, tc.body)
			}
			fr.result(t)
		})
	}
}

// TestProxyClientGone: a client that disconnects while the backend works
// is not a backend failure: fail is not called, nothing is logged as a
// failure, and the Result says 499.
func TestProxyClientGone(t *testing.T) {
	arrived := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	defer backend.Close()
	ups := NewUpstreams(nil)
	fr := newFront(t, false, func(r *http.Request) *Upstream {
		return &Upstream{URL: mustURL(t, backend.URL), Transport: ups.Transport(nil, false)}
	})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", fr.srv.URL, nil)
	go func() {
		<-arrived
		cancel()
	}()
	if _, err := fr.srv.Client().Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v", err)
	}
	res := fr.result(t)
	if res.Status != StatusClientClosed || res.Failure != FailNone {
		t.Errorf("result %+v", res)
	}
	if f := fr.failures(); len(f) != 0 {
		t.Errorf("fail was called: %v", f)
	}
	if l := fr.logs.String(); strings.Contains(l, "backend call failed") {
		t.Errorf("logged as a backend failure:\n%s", l)
	}
}

// TestProxyNoUpstream: a route without a transport answers with the
// dialect's error instead of panicking.
func TestProxyNoUpstream(t *testing.T) {
	fr := newFront(t, false, func(r *http.Request) *Upstream { return &Upstream{URL: mustURL(t, "http://127.0.0.1:1")} })
	if status, body := get(t, fr.srv.Client(), fr.srv.URL); status != 502 || body != "failure unreachable" {
		t.Errorf("got %d %q", status, body)
	}
	if res := fr.result(t); res.Failure != FailUnreachable || res.Status != 502 {
		t.Errorf("result %+v", res)
	}
}

// TestProxyBackendDiesMidBody: a backend that sends headers and then
// drops the connection mid-body makes the response abort (the client sees
// a truncated body, not a complete one), is logged, and does not call
// fail, which could no longer change the status.
func TestProxyBackendDiesMidBody(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer backend.Close()
	ups := NewUpstreams(nil)
	fr := newFront(t, false, func(r *http.Request) *Upstream {
		return &Upstream{URL: mustURL(t, backend.URL), Transport: ups.Transport(nil, false), RequestID: "rid-abort"}
	})
	fr.srv.Config.ErrorLog = nil
	// The headers may not have left the proxy's buffer yet: the client
	// then sees the connection close instead of a short body.
	if resp, err := fr.srv.Client().Get(fr.srv.URL); err == nil {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Errorf("the truncated response read as complete: %d %q", resp.StatusCode, b)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(fr.logs.String(), "response aborted"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line for the aborted response:\n%s", fr.logs.String())
		}
	}
	if l := fr.logs.String(); !strings.Contains(l, "request_id=rid-abort") {
		t.Errorf("log:\n%s", l)
	}
	if f := fr.failures(); len(f) != 0 {
		t.Errorf("fail was called after the headers: %v", f)
	}
}
