package gateway

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/internal/nginxtest"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// TestWrkProxy is the proxy benchmark of the README, not asserted: wrk
// over plain HTTP keep-alive against three fronts that call one HTTPS
// backend verifying the client certificate (nginx, a separate process,
// answering "ok"), and against that backend directly:
//
//	CERTGATE_WRK=1 go test -count=1 -run TestWrkProxy -v ./gateway
//
// CERTGATE_WRK_FRONTS picks fronts (comma-separated: direct, nginx, bare,
// gateway; all by default; gohello, opt-in, is a Go server answering "ok"
// itself, the ceiling of any Go front; barelean, opt-in, is the bare
// ReverseProxy over leanH1 instead of http.Transport), CERTGATE_WRK_DURATION wrk's -d (10s), and
// CERTGATE_WRK_CPUS pins wrk with taskset -c (unpinned by default). With
// CERTGATE_WRK_FRONTS=gateway and -cpuprofile, the profile is the gateway's
// alone. Before each front it waits (up to 3 minutes) for the 1-minute
// load average to fall under 1.0, and logs the load it saw.
func TestWrkProxy(t *testing.T) {
	if os.Getenv("CERTGATE_WRK") != "1" {
		t.Skip("set CERTGATE_WRK=1 to run the wrk proxy benchmark")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk not installed")
	}
	fronts := map[string]bool{"direct": true, "nginx": true, "bare": true, "gateway": true}
	if v := os.Getenv("CERTGATE_WRK_FRONTS"); v != "" {
		fronts = map[string]bool{}
		for _, f := range strings.Split(v, ",") {
			fronts[strings.TrimSpace(f)] = true
		}
	}
	dur := os.Getenv("CERTGATE_WRK_DURATION")
	if dur == "" {
		dur = "10s"
	}

	// The backend: nginx, one worker, no access log; one port verifies the
	// client certificate (the fronts call it), one does not (the direct
	// call: wrk presents no certificate).
	serverCA, clientCA := newCA(t, "Server CA"), newCA(t, "Client CA")
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf, key := serverCA.issueIP(t, net.ParseIP("127.0.0.1"))
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	srvCert := write("server.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})))
	srvKey := write("server.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})))
	caFile := write("client-ca.pem", clientCA.pem())
	mtlsAddr, directAddr := freeAddr(t), freeAddr(t)
	nginxtest.Start(t, nginxtest.Config{Workers: 1, ExtraHTTP: fmt.Sprintf(`
  server { listen %s ssl; access_log off; ssl_certificate %s; ssl_certificate_key %s;
    ssl_client_certificate %s; ssl_verify_client on;
    location / { return 200 "ok"; } }
  server { listen %s ssl; access_log off; ssl_certificate %s; ssl_certificate_key %s;
    location / { return 200 "ok"; } }
`, mtlsAddr, srvCert, srvKey, caFile, directAddr, srvCert, srvKey)})
	roots := x509.NewCertPool()
	roots.AddCert(serverCA.cert)
	clientCert := namedClientCert(t, clientCA, "wrk-bench")

	run := func(name, url string) {
		if !fronts[name] {
			return
		}
		t.Helper()
		// Warm the keep-alive pools (and check the answer) before measuring.
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(url)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("%s: %d %q", name, resp.StatusCode, b)
		}
		load := waitIdle(t)
		args := []string{"-t2", "-c16", "-d" + dur, "--latency", url}
		cmd := exec.Command(wrk, args...)
		if cpus := os.Getenv("CERTGATE_WRK_CPUS"); cpus != "" {
			cmd = exec.Command("taskset", append([]string{"-c", cpus, wrk}, args...)...)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: wrk: %v\n%s", name, err, out)
		}
		r := parseWrk(string(out))
		if r.non2xx != 0 || r.errors != "" {
			t.Errorf("%s: %d non-2xx answers, socket errors %q\n%s", name, r.non2xx, r.errors, out)
		}
		t.Logf("%-8s %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  (load before: %s)", name, r.rps, r.p50, r.p99,
			load)
	}

	run("direct", "https://"+directAddr+"/bench")
	if fronts["gohello"] {
		run("gohello", "http://"+serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok")
		}))+"/bench")
	}

	if fronts["nginx"] {
		ccert := write("client.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientCert.Certificate[0]})))
		ckder, _ := x509.MarshalPKCS8PrivateKey(clientCert.PrivateKey)
		ckey := write("client.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ckder})))
		front := freeAddr(t)
		nginxtest.Start(t, nginxtest.Config{Workers: 2, ExtraHTTP: fmt.Sprintf(`
  upstream wrkbench { server %s; keepalive 64; }
  server { listen %s; access_log off;
    location / { proxy_pass https://wrkbench; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_ssl_certificate %s; proxy_ssl_certificate_key %s; proxy_ssl_session_reuse on; } }
`, mtlsAddr, front, ccert, ckey)})
		run("nginx", "http://"+front+"/bench")
	}

	if fronts["bare"] {
		target := mustURL(t, "https://"+mtlsAddr)
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientCert}},
				ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 256},
		}
		run("bare", "http://"+serveOn(t, rp)+"/bench")
	}

	if fronts["barelean"] {
		target := mustURL(t, "https://"+mtlsAddr)
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
			Transport: &leanH1{addr: mtlsAddr, idle: make(chan *leanConn, 64),
				tc: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientCert}, NextProtos: []string{"http/1.1"}}},
		}
		run("barelean", "http://"+serveOn(t, rp)+"/bench")
	}

	if fronts["gateway"] {
		// The real gateway over a fake source: an AWS stage whose client
		// certificate (its key sealed, as stored) nginx verifies, one
		// HTTP_PROXY method, and a JSON access log line per request
		// written to a file, as a deployment logs to stderr.
		mk, err := seal.NewMasterKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		sealer := seal.NewSealer(mk)
		st := restStage("wrkbench", "prod", map[string]map[string]*certgate.Method{
			"/{proxy+}": {"ANY": proxyMethod("https://"+mtlsAddr+"/{proxy}", nil)},
		})
		st.Stage.ClientCertificateID = "ccwrk"
		cc := &certgate.Certificate{ID: "ccwrk", Scope: st.Stage.Scope, Kind: certgate.KindClient, Version: 1, KeyAlgorithm: "ECC",
			CertificatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientCert.Certificate[0]}))}
		ckder, _ := x509.MarshalPKCS8PrivateKey(clientCert.PrivateKey)
		if cc.KeySealed, cc.SealKeyID, err = sealer.Seal(ckder, certgate.KeyAAD(cc.ID, cc.Scope.AccountID, cc.Kind)); err != nil {
			t.Fatal(err)
		}
		accessFile, err := os.Create(filepath.Join(dir, "access.log"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { accessFile.Close() })
		src := &fakeSource{}
		gw := New(Config{Source: src, Opener: sealer, UpstreamRoots: roots, AccessLog: slog.New(slog.NewJSONHandler(accessFile, nil)),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		src.setRoutes(&store.Routes{Stages: []*store.ServedStage{st}, Certificates: []*certgate.Certificate{cc}})
		if err := gw.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
		run("gateway", "http://"+serveOn(t, gw.HTTP(nil, 443))+"/_aws/execute-api/wrkbench/prod/bench")
	}
}

// waitIdle waits (up to 3 minutes) for the 1-minute load average to fall
// under 1.0, the previous front's run included, so that each front is
// measured on an idle machine; it returns the load averages it saw last.
func waitIdle(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		b, err := os.ReadFile("/proc/loadavg")
		if err != nil {
			return "unknown"
		}
		f := strings.Fields(string(b))
		if l, _ := strconv.ParseFloat(f[0], 64); l < 1.0 || time.Now().After(deadline) {
			return strings.Join(f[:3], " ")
		}
		time.Sleep(2 * time.Second)
	}
}

// freeAddr is a loopback address free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serveOn serves h over plain HTTP on loopback until the test ends.
func serveOn(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

type wrkResult struct {
	rps, p50, p99 float64 // p50 and p99 in ms
	non2xx        int
	errors        string
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSockErr = regexp.MustCompile(`Socket errors:[^\n]*`)
)

// parseWrk reads wrk --latency's output.
func parseWrk(out string) wrkResult {
	var r wrkResult
	if m := wrkRPS.FindStringSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	for _, m := range wrkPct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		v *= map[string]float64{"us": 0.001, "ms": 1, "s": 1000}[m[3]]
		if m[1] == "50" {
			r.p50 = v
		} else {
			r.p99 = v
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	r.errors = wrkSockErr.FindString(out)
	return r
}

// leanH1 is a minimal HTTP/1.1 client for the "barelean" front, test-only
// evidence of what a leaner upstream path than http.Transport buys: the
// request is written and the response read on the handler's goroutine
// (no readLoop/writeLoop hand-offs), over a pool of idle TLS connections.
// It lacks what a production path needs (retry on a stale connection,
// request bodies, 1xx, Upgrade, header size limits, timeouts, idle
// expiry), so it is not used by the gateway.
type leanH1 struct {
	addr string
	tc   *tls.Config
	idle chan *leanConn
}

type leanConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func (l *leanH1) RoundTrip(req *http.Request) (*http.Response, error) {
	var lc *leanConn
	select {
	case lc = <-l.idle:
	default:
		c, err := tls.Dial("tcp", l.addr, l.tc)
		if err != nil {
			return nil, err
		}
		lc = &leanConn{c: c, br: bufio.NewReaderSize(c, 32<<10), bw: bufio.NewWriterSize(c, 32<<10)}
	}
	if err := req.Write(lc.bw); err != nil {
		lc.c.Close()
		return nil, err
	}
	if err := lc.bw.Flush(); err != nil {
		lc.c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(lc.br, req)
	if err != nil {
		lc.c.Close()
		return nil, err
	}
	resp.Body = &leanBody{ReadCloser: resp.Body, l: l, lc: lc, reuse: !resp.Close}
	return resp, nil
}

type leanBody struct {
	io.ReadCloser
	l     *leanH1
	lc    *leanConn
	reuse bool
	done  bool
}

func (b *leanBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.release(b.reuse)
	}
	return n, err
}

func (b *leanBody) Close() error {
	if !b.done {
		b.done = true
		b.release(false)
	}
	return nil
}

func (b *leanBody) release(reuse bool) {
	if reuse {
		select {
		case b.l.idle <- b.lc:
			return
		default:
		}
	}
	b.lc.c.Close()
}
