package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"testing"

	"github.com/certgate/certgate/internal/nginxtest"
)

// The proxy benchmarks: a Go client over plain HTTP keep-alive → the
// proxy → an HTTPS backend (Go, in this process) that requires and
// verifies the client certificate. Client, proxy and backend share the
// machine's cores, so the figures compare the proxies, not absolute rates.
//
//	go test -run XXX -bench 'Proxy' -benchtime 5s ./gateway

type benchBackend struct {
	url   string
	roots *x509.CertPool
	id    *Identity
	ca    *ca
}

func newBenchBackend(b *testing.B) *benchBackend {
	clientCA := newCA(b, "Client CA")
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	b.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	return &benchBackend{url: srv.URL, roots: roots, ca: clientCA,
		id: &Identity{ID: "cc-bench", Version: 1, Cert: namedClientCert(b, clientCA, "bench")}}
}

// load runs parallel keep-alive GETs against url.
func load(b *testing.B, url string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkProxyMTLS(b *testing.B) {
	be := newBenchBackend(b)
	ups := NewUpstreams(be.roots)
	p := NewProxy(slog.New(slog.DiscardHandler))
	u := mustURL(b, be.url+"/bench")
	fail := func(w http.ResponseWriter, r *http.Request, f Failure) { w.WriteHeader(502) }
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.Serve(w, r, &Upstream{URL: u, Transport: ups.Transport(be.id, false)}, fail)
	}))
	defer front.Close()
	load(b, front.URL)
}

func BenchmarkBareReverseProxy(b *testing.B) {
	be := newBenchBackend(b)
	target := mustURL(b, be.url)
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: be.roots, Certificates: []tls.Certificate{be.id.Cert}}, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 256},
	}
	front := httptest.NewServer(rp)
	defer front.Close()
	load(b, front.URL+"/bench")
}

// BenchmarkNginxProxyMTLS is the reference: nginx (2 workers) proxying to
// the same backend with proxy_ssl_certificate and an upstream keepalive
// pool.
func BenchmarkNginxProxyMTLS(b *testing.B) {
	be := newBenchBackend(b)
	dir := b.TempDir()
	kder, _ := x509.MarshalPKCS8PrivateKey(be.id.Cert.PrivateKey)
	write := func(name string, blocks ...*pem.Block) string {
		var data []byte
		for _, bl := range blocks {
			data = append(data, pem.EncodeToMemory(bl)...)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
		return p
	}
	cert := write("client.pem", &pem.Block{Type: "CERTIFICATE", Bytes: be.id.Cert.Certificate[0]})
	key := write("client.key", &pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	backendHost := be.url[len("https://"):]
	extra := fmt.Sprintf(`upstream bench { server %s; keepalive 64; }
server { listen %s; access_log off;
  location / { proxy_pass https://bench; proxy_http_version 1.1; proxy_set_header Connection "";
    proxy_ssl_certificate %s; proxy_ssl_certificate_key %s; proxy_ssl_session_reuse on; } }`, backendHost, addr, cert, key)
	nginxtest.Start(b, nginxtest.Config{Workers: 2, ExtraHTTP: extra})
	load(b, "http://"+addr+"/bench")
}
