package gateway

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestUpstreamRoots: the bundle's certificates are added to the system
// roots; a missing file, one without a certificate, or a certificate that
// does not parse is an error naming the file and not its content.
func TestUpstreamRoots(t *testing.T) {
	dir := t.TempDir()
	backend := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer backend.Close()
	good := filepath.Join(dir, "good.pem")
	os.WriteFile(good, []byte("comment line\n"+newCA(t, "Unused CA").pem()+pemOf(backend.Certificate())), 0o600)
	pool, err := UpstreamRoots(good)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backend.Certificate().Verify(x509.VerifyOptions{Roots: pool}); err != nil {
		t.Errorf("the bundle's certificate is not trusted: %v", err)
	}
	if _, err := UpstreamRoots(""); err != nil {
		t.Errorf("system roots only: %v", err)
	}

	const secret = "c2VjcmV0LWtleS1tYXRlcmlh"
	keyOnly := filepath.Join(dir, "key.pem")
	os.WriteFile(keyOnly, []byte("-----BEGIN PRIVATE KEY-----\n"+secret+"\n-----END PRIVATE KEY-----\n"), 0o600)
	broken := filepath.Join(dir, "broken.pem")
	os.WriteFile(broken, []byte("-----BEGIN CERTIFICATE-----\n"+secret+"\n-----END CERTIFICATE-----\n"), 0o600)
	for _, tc := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.pem"), "no such file"},
		{keyOnly, "PEM block 1 is not a CERTIFICATE"},
		{broken, "certificate 1 does not parse"},
	} {
		_, err := UpstreamRoots(tc.file)
		if err == nil {
			t.Errorf("%s: no error", tc.file)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.file) || !strings.Contains(msg, tc.want) || strings.Contains(msg, secret) ||
			strings.Count(msg, tc.file) != 1 {
			t.Errorf("%s: error %q", tc.file, msg)
		}
	}
}

func pemOf(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// TestUpstreamsPoolPerVersion: one transport per (id, version, insecure);
// Retire forgets the dead ones and closes their idle connections, while a
// request in flight on a retired transport completes.
func TestUpstreamsPoolPerVersion(t *testing.T) {
	clientCA := newCA(t, "Client CA")
	v1 := &Identity{ID: "cc-1", Version: 1, Cert: namedClientCert(t, clientCA, "v1")}
	v2 := &Identity{ID: "cc-1", Version: 2, Cert: namedClientCert(t, clientCA, "v2")}
	ups := NewUpstreams(nil)
	a, b, c, d := ups.Transport(v1, false), ups.Transport(v2, false), ups.Transport(v1, true), ups.Transport(nil, false)
	if a != ups.Transport(v1, false) || d != ups.Transport(nil, false) {
		t.Error("the same key gave another transport")
	}
	if a == b || a == c || a == d || b == c {
		t.Error("different keys share a transport")
	}
	if n := ups.len(); n != 4 {
		t.Fatalf("%d transports, want 4", n)
	}

	var closed atomic.Int32
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wait" {
			arrived <- struct{}{}
			<-release
		}
		io.WriteString(w, "ok")
	}))
	backend.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed.Add(1)
		}
	}
	backend.Start()
	defer backend.Close()
	client := &http.Client{Transport: a}
	if status, _ := get(t, client, backend.URL+"/idle"); status != 200 {
		t.Fatal(status)
	}
	// The idle connection from /idle is reused for nothing: /wait needs a
	// second one while it waits, so that there are two.
	inflight := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: b}).Get(backend.URL + "/wait")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		inflight <- err
	}()
	<-arrived
	ups.Retire(func(id string, version int64, insecure bool) bool { return id == "" })
	if n := ups.len(); n != 1 {
		t.Errorf("%d transports after Retire, want 1", n)
	}
	if ups.Transport(v1, false) == a {
		t.Error("a retired key gave back its old transport")
	}
	close(release)
	if err := <-inflight; err != nil {
		t.Errorf("the request in flight on a retired transport failed: %v", err)
	}
	// v1's idle connection was closed by Retire; wait for the server to see it.
	for deadline := time.Now().Add(10 * time.Second); closed.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the retired transport's idle connection was not closed")
		}
	}
}

// FuzzUpstreamRoots: any file content gives a pool or an error, never a
// panic, and the error never quotes the content.
func FuzzUpstreamRoots(f *testing.F) {
	f.Add([]byte(newCA(f, "Seed CA").pem()))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("not pem at all"))
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "bundle.pem")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		pool, err := UpstreamRoots(p)
		if (pool == nil) == (err == nil) {
			t.Fatalf("pool %v, err %v", pool, err)
		}
		if err != nil && len(data) >= 8 && strings.Contains(err.Error(), string(data)) {
			t.Fatalf("the error quotes the file: %v", err)
		}
	})
}

// TestUpstreamDeny: an address in the deny list is refused at connect
// time, whether the URL names it or a name that resolves to it, and the
// call is the dialect's "unreachable"; without the list it connects.
func TestUpstreamDeny(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "backend") }))
	defer backend.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(backend.URL, "http://"))
	for _, tc := range []struct {
		name   string
		deny   []netip.Prefix
		url    string
		status int
	}{
		{"allowed", nil, backend.URL, 200},
		{"denied by address", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, backend.URL, 502},
		{"denied through a name", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, "http://localhost:" + port, 502},
		{"another prefix", []netip.Prefix{netip.MustParsePrefix("169.254.0.0/16")}, backend.URL, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ups := NewUpstreams(nil, tc.deny...)
			var res Result
			req := httptest.NewRequest("GET", "http://gw/", nil)
			w := httptest.NewRecorder()
			res = NewProxy(nil).Serve(w, req, &Upstream{URL: mustURL(t, tc.url), Transport: ups.Transport(nil, false)},
				func(w http.ResponseWriter, _ *http.Request, f Failure) { w.WriteHeader(502) })
			if w.Code != tc.status {
				t.Fatalf("%s: %d (%v, %v); want %d", tc.url, w.Code, res.Failure, res.Err, tc.status)
			}
			if tc.status == 502 && (res.Failure != FailUnreachable || !errors.Is(res.Err, ErrUpstreamDenied)) {
				t.Errorf("denied call: failure %v, cause %v; want unreachable, ErrUpstreamDenied", res.Failure, res.Err)
			}
		})
	}
}
