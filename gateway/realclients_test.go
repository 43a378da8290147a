package gateway

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/internal/testtool"
)

// realClients runs curl and openssl s_client against a fixture's HTTPS
// listener (and an HTTP listener beside it), with every PEM they need in
// files: the server certificates' CA, and client certificates.
type realClients struct {
	t             *testing.T
	f             *fixture
	curl, openssl string
	dir           string
	roots         string // the server CA, for --cacert and -CAfile
	port          string // the HTTPS listener's
	httpAddr      string // the HTTP listener's
}

func newRealClients(t *testing.T, cfg Config) *realClients {
	t.Helper()
	rc := &realClients{t: t, openssl: testtool.LookPath(t, "openssl"), curl: testtool.LookPath(t, "curl"), dir: t.TempDir()}
	rc.f = newFixture(t, cfg)
	rc.roots = rc.write("roots.pem", rc.f.server.pem())
	_, rc.port, _ = net.SplitHostPort(rc.f.addr)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpsPort, _ := strconv.Atoi(rc.port)
	srv := &http.Server{Handler: rc.f.gw.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "routed "+r.Host)
	}), httpsPort), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	rc.httpAddr = ln.Addr().String()
	return rc
}

func (rc *realClients) write(name, text string) string {
	rc.t.Helper()
	p := filepath.Join(rc.dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		rc.t.Fatal(err)
	}
	return p
}

// clientFiles writes a client certificate issued by issuer and its key,
// for curl's --cert and --key.
func (rc *realClients) clientFiles(name string, issuer *ca) (cert, key string) {
	rc.t.Helper()
	leaf, k := issuer.issue(rc.t, "EC", true)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		rc.t.Fatal(err)
	}
	return rc.write(name+".pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}))),
		rc.write(name+".key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
}

// result is what a program printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

func (rc *realClients) run(stdin string, name string, args ...string) result {
	rc.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		rc.t.Fatalf("%s: %v", name, err)
	}
	return res
}

// curlTo runs curl against https://name:port/x, name resolved to the
// listener, trusting the server CA; args come before the URL.
func (rc *realClients) curlTo(name string, args ...string) result {
	rc.t.Helper()
	all := append([]string{"-sS", "--max-time", "10", "--cacert", rc.roots, "--resolve", name + ":" + rc.port + ":127.0.0.1"}, args...)
	return rc.run("", rc.curl, append(all, "https://"+name+":"+rc.port+"/x")...)
}

// sClient runs openssl s_client against the listener with args, sending
// nothing (the handshake's outcome is all it shows).
func (rc *realClients) sClient(args ...string) result {
	rc.t.Helper()
	return rc.run("", rc.openssl, append([]string{"s_client", "-connect", rc.f.addr}, args...)...)
}

// leafSerial is the serial (uppercase hex, as openssl prints it) and the
// SANs of the first PEM certificate in text, read by openssl x509.
func (rc *realClients) leafSerial(text string) string {
	rc.t.Helper()
	i := strings.Index(text, "-----BEGIN CERTIFICATE-----")
	if i < 0 {
		return ""
	}
	res := rc.run(text[i:], rc.openssl, "x509", "-noout", "-serial", "-ext", "subjectAltName")
	if res.code != 0 {
		rc.t.Fatalf("openssl x509: %s", res)
	}
	return strings.TrimSpace(res.stdout)
}

// serialOf is what leafSerial prints for c (openssl prints the serial's
// bytes: a leading zero digit is kept).
func serialOf(t *testing.T, c *certgate.Certificate) string {
	leaf := mustLeaf(t, c)
	return fmt.Sprintf("serial=%X\nX509v3 Subject Alternative Name: \n    DNS:%s", leaf.SerialNumber.Bytes(), strings.Join(leaf.DNSNames, ", DNS:"))
}

// TestCurlSelectsCertificateBySNI: curl, over HTTP/1.1 and HTTP/2, gets
// the exact name's certificate for the exact name and the wildcard's for a
// name one label below it, and the request is served.
func TestCurlSelectsCertificateBySNI(t *testing.T) {
	rc := newRealClients(t, Config{})
	exact := rc.f.cert("EC", nil, "api.example.com")
	wild := rc.f.cert("RSA", nil, "*.example.com")
	rc.f.load(domain("d1", "api.example.com", false, exact), domain("d2", "*.example.com", false, wild))
	for _, tc := range []struct {
		name string
		cert *certgate.Certificate
	}{{"api.example.com", exact}, {"www.example.com", wild}} {
		want := serialOf(t, tc.cert)
		for _, proto := range []struct{ flag, version string }{{"--http1.1", "1.1"}, {"--http2", "2"}} {
			res := rc.curlTo(tc.name, proto.flag, "-w", "\n%{http_code} %{http_version}\n%{certs}")
			body, rest, _ := strings.Cut(res.stdout, "\n")
			status, _, _ := strings.Cut(rest, "\n")
			if res.code != 0 || body != "routed "+tc.name+":"+rc.port || status != "200 "+proto.version {
				t.Errorf("curl %s %s: want 200 over HTTP/%s, got %s", proto.flag, tc.name, proto.version, res)
				continue
			}
			if got := rc.leafSerial(rest); got != want {
				t.Errorf("curl %s %s: served\n%s\nwant\n%s", proto.flag, tc.name, got, want)
			}
		}
	}
	// openssl s_client sees the same, and verifies the wildcard for the name.
	res := rc.sClient("-servername", "www.example.com", "-CAfile", rc.roots, "-verify_return_error", "-verify_hostname", "www.example.com", "-showcerts")
	if got := rc.leafSerial(res.stdout); got != serialOf(t, wild) || !strings.Contains(res.stdout, "Verify return code: 0 (ok)") {
		t.Errorf("openssl s_client -servername www.example.com: served %q; want the verified wildcard\n%s", got, res)
	}
}

// TestOpenSSLWithoutSNI: a ClientHello without SNI gets unrecognized_name,
// or the default domain's certificate when one is configured.
func TestOpenSSLWithoutSNI(t *testing.T) {
	rc := newRealClients(t, Config{})
	c := rc.f.cert("EC", nil, "api.example.com")
	rc.f.load(domain("d1", "api.example.com", false, c))
	res := rc.sClient("-noservername")
	t.Logf("openssl s_client -noservername: %s", res)
	if res.code == 0 || !strings.Contains(res.stderr, "tlsv1 unrecognized name") || !strings.Contains(res.stderr, "SSL alert number 112") ||
		!strings.Contains(res.stdout, "no peer certificate available") {
		t.Errorf("no SNI, no default domain: want the unrecognized_name alert (112), got %s", res)
	}

	rc = newRealClients(t, Config{DefaultDomain: "api.example.com"})
	c = rc.f.cert("EC", nil, "api.example.com")
	rc.f.load(domain("d1", "api.example.com", false, c), domain("d2", "other.example.com", false, rc.f.cert("EC", nil, "other.example.com")))
	res = rc.sClient("-noservername", "-showcerts", "-CAfile", rc.roots, "-verify_return_error")
	if got := rc.leafSerial(res.stdout); res.code != 0 || got != serialOf(t, c) {
		t.Errorf("no SNI with a default domain: served %q; want the default domain's certificate\n%s", got, res)
	}
}

// TestRealClientsUnknownName: a name no domain serves, a wildcard's bare
// parent and a name two labels below a wildcard get unrecognized_name,
// from openssl and from curl (exit 35).
func TestRealClientsUnknownName(t *testing.T) {
	rc := newRealClients(t, Config{})
	rc.f.load(domain("d1", "*.example.com", false, rc.f.cert("EC", nil, "*.example.com")))
	for _, name := range []string{"unknown.test", "example.com", "a.b.example.com"} {
		res := rc.sClient("-servername", name)
		if res.code == 0 || !strings.Contains(res.stderr, "tlsv1 unrecognized name") || !strings.Contains(res.stderr, "SSL alert number 112") {
			t.Errorf("openssl s_client -servername %s: want the unrecognized_name alert, got %s", name, res)
		}
		res = rc.curlTo(name)
		if want := "curl: (35) OpenSSL/"; res.code != 35 || !strings.HasPrefix(res.stderr, want) || !strings.Contains(res.stderr, "tlsv1 unrecognized name") {
			t.Errorf("curl https://%s: want exit 35 and %q ... tlsv1 unrecognized name, got %s", name, want, res)
		}
		if name == "unknown.test" {
			t.Logf("curl to an unknown name: %s", res)
		}
	}
	// A TLS 1.1 client hears unrecognized_name too, not protocol_version.
	res := rc.sClient("-servername", "unknown.test", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
	if res.code == 0 || !strings.Contains(res.stderr, "tlsv1 unrecognized name") {
		t.Errorf("openssl s_client -tls1_1 -servername unknown.test: want the unrecognized_name alert, got %s", res)
	}
	// The control: a name one label below the wildcard is served.
	if res := rc.curlTo("www.example.com"); res.code != 0 || res.stdout != "routed www.example.com:"+rc.port {
		t.Errorf("curl https://www.example.com: %s", res)
	}
}

// TestCurlClientVerification records what a curl user sees on a domain
// that verifies client certificates: without one, or with one of another
// CA, the connection fails; with one of the domain's trusted CA it is
// served. Under TLS 1.3 the server's verdict comes after the client's
// handshake has finished, so curl reports it at its first read (56), or,
// over HTTP/2 (curl's default), often as a failed send (55, "getpeername()
// failed with errno 107" or "Send failure: Connection reset by peer"):
// curl 7.88 writes its HTTP/2 preface before it reads the alert, and which
// it notices first is a matter of timing.
func TestCurlClientVerification(t *testing.T) {
	rc := newRealClients(t, Config{})
	clients, others := newCA(t, "Client CA"), newCA(t, "Other CA")
	rc.f.load(domain("d1", "mtls.example.com", true, rc.f.cert("EC", clients, "mtls.example.com")))
	good, goodKey := rc.clientFiles("good", clients)
	bad, badKey := rc.clientFiles("bad", others)
	refused := []struct {
		what string
		args []string
		code int
		msg  string // what stderr holds after "curl: (code) "
	}{
		{"no certificate, TLS 1.3, HTTP/1.1", []string{"--http1.1"}, 56, "OpenSSL SSL_read: OpenSSL/x: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0"},
		{"another CA's certificate, TLS 1.3, HTTP/1.1", []string{"--http1.1", "--cert", bad, "--key", badKey}, 56, "OpenSSL SSL_read: OpenSSL/x: error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0"},
		{"no certificate, TLS 1.2", []string{"--tls-max", "1.2"}, 35, "OpenSSL/x: error:0A000410:SSL routines::sslv3 alert handshake failure"},
		{"another CA's certificate, TLS 1.2", []string{"--tls-max", "1.2", "--cert", bad, "--key", badKey}, 35, "OpenSSL/x: error:0A000418:SSL routines::tlsv1 alert unknown ca"},
	}
	for _, tc := range refused {
		res := rc.curlTo("mtls.example.com", tc.args...)
		t.Logf("curl, %s: %s", tc.what, strings.TrimSpace(res.stderr))
		// The OpenSSL version in the message is the machine's.
		got := opensslVersion.ReplaceAllString(strings.TrimSpace(res.stderr), "OpenSSL/x")
		if want := fmt.Sprintf("curl: (%d) %s", tc.code, tc.msg); res.code != tc.code || got != want || res.stdout != "" {
			t.Errorf("curl, %s:\n%s\nwant exit %d and %q", tc.what, res, tc.code, want)
		}
	}
	// curl's defaults: TLS 1.3 and HTTP/2.
	for _, args := range [][]string{nil, {"--cert", bad, "--key", badKey}} {
		res := rc.curlTo("mtls.example.com", args...)
		t.Logf("curl %v with its defaults: %s", args, strings.TrimSpace(res.stderr))
		alert := strings.Contains(res.stderr, "alert certificate required") || strings.Contains(res.stderr, "alert unknown ca")
		if res.stdout != "" || !(res.code == 56 && alert || res.code == 55) {
			t.Errorf("curl %v: want exit 56 with the alert, or 55 (a failed send), got %s", args, res)
		}
	}
	for _, args := range [][]string{{"--http1.1"}, {"--http2"}, {"--tls-max", "1.2"}} {
		res := rc.curlTo("mtls.example.com", append(args, "--cert", good, "--key", goodKey, "-w", " %{http_code}")...)
		if res.code != 0 || res.stdout != "routed mtls.example.com:"+rc.port+" 200" {
			t.Errorf("curl %v with a certificate of the trusted CA: %s", args, res)
		}
	}
}

// TestCurlMisdirectedHost: a handshake on a name that verifies nobody,
// then a Host of one that verifies clients, is refused with 421.
func TestCurlMisdirectedHost(t *testing.T) {
	rc := newRealClients(t, Config{})
	rc.f.load(domain("d1", "open.example.com", false, rc.f.cert("EC", nil, "open.example.com")),
		domain("d2", "mtls.example.com", true, rc.f.cert("EC", newCA(t, "Client CA"), "mtls.example.com")))
	for _, proto := range []string{"--http1.1", "--http2"} {
		res := rc.curlTo("open.example.com", proto, "-H", "Host: mtls.example.com", "-w", "\n%{http_code}")
		body, status, _ := strings.Cut(res.stdout, "\n")
		if res.code != 0 || status != "421" || !strings.Contains(body, `"error_code":"APIG.0201"`) {
			t.Errorf("curl %s to open.example.com with Host: mtls.example.com: want 421 APIG.0201, got %s", proto, res)
		}
		res = rc.curlTo("open.example.com", proto, "-H", "Host: open.example.com", "-w", "\n%{http_code}")
		if res.code != 0 || res.stdout != "routed open.example.com\n200" {
			t.Errorf("curl %s to open.example.com with its own Host: %s", proto, res)
		}
	}
}

// TestRealClientsMinimumVersion: a TLSv1.1 domain accepts TLS 1.1 and a
// TLSv1.2 domain refuses it (protocol_version). Debian's OpenSSL 3 offers
// TLS 1.1 only at security level 0: at its default level it sends the
// ClientHello but refuses the server's SHA-1 signature ("legacy sigalg
// disallowed or unsupported").
func TestRealClientsMinimumVersion(t *testing.T) {
	rc := newRealClients(t, Config{})
	oldCert := rc.f.cert("EC", nil, "old.example.com")
	old := domain("d1", "old.example.com", false, oldCert)
	old.Domain.MinTLSVersion = "TLSv1.1"
	rc.f.load(old, domain("d2", "new.example.com", false, rc.f.cert("EC", nil, "new.example.com")))

	res := rc.sClient("-servername", "old.example.com", "-tls1_1")
	t.Logf("openssl s_client -tls1_1 at the default security level: exit %d: %s", res.code, lastLine(res.stderr))
	lowered := []string{"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", rc.roots, "-verify_return_error"}
	res = rc.sClient(append([]string{"-servername", "old.example.com"}, lowered...)...)
	if got := rc.leafSerial(res.stdout); res.code != 0 || !strings.Contains(res.stdout, "Protocol  : TLSv1.1") || got != serialOf(t, oldCert) {
		t.Errorf("openssl s_client -tls1_1 to a TLSv1.1 domain: want a TLS 1.1 session with its certificate, got %s", res)
	}
	res = rc.sClient(append([]string{"-servername", "new.example.com"}, lowered...)...)
	if res.code == 0 || !strings.Contains(res.stderr, "tlsv1 alert protocol version") || !strings.Contains(res.stderr, "SSL alert number 70") {
		t.Errorf("openssl s_client -tls1_1 to a TLSv1.2 domain: want the protocol_version alert, got %s", res)
	}

	tls11 := []string{"--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0", "-w", " %{http_code} %{http_version}"}
	res = rc.curlTo("old.example.com", tls11...)
	t.Logf("curl --tlsv1.1 --tls-max 1.1 at the default security level: %s", strings.TrimSpace(rc.curlTo("old.example.com", "--tlsv1.1", "--tls-max", "1.1").stderr))
	// curl offers h2 by default: the domain must answer over HTTP/1.1,
	// since HTTP/2 requires TLS 1.2 (RFC 9113, 9.2).
	if res.code != 0 || res.stdout != "routed old.example.com:"+rc.port+" 200 1.1" {
		t.Errorf("curl over TLS 1.1 to a TLSv1.1 domain: %s", res)
	}
	res = rc.curlTo("new.example.com", tls11...)
	t.Logf("curl over TLS 1.1 to a TLSv1.2 domain: %s", strings.TrimSpace(res.stderr))
	if res.code != 35 || !strings.Contains(res.stderr, "tlsv1 alert protocol version") {
		t.Errorf("curl over TLS 1.1 to a TLSv1.2 domain: want exit 35 and the protocol_version alert, got %s", res)
	}
}

var opensslVersion = regexp.MustCompile(`OpenSSL/[0-9][0-9a-z.]*`)

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// TestCurlRedirect: plain HTTP to a domain with is_http_redirect_to_https
// gets 301 to the HTTPS listener, and curl -L lands there.
func TestCurlRedirect(t *testing.T) {
	rc := newRealClients(t, Config{})
	red := domain("d1", "red.example.com", false, rc.f.cert("EC", nil, "red.example.com"))
	red.Domain.RedirectHTTP = true
	rc.f.load(red)
	_, httpPort, _ := net.SplitHostPort(rc.httpAddr)
	url := "http://red.example.com:" + httpPort + "/x?y=1"
	resolve := []string{"-sS", "--max-time", "10", "--resolve", "red.example.com:" + httpPort + ":127.0.0.1"}
	res := rc.run("", rc.curl, append(resolve, "-i", url)...)
	head, _, _ := strings.Cut(strings.ReplaceAll(res.stdout, "\r\n", "\n"), "\n\n")
	location := "Location: https://red.example.com:" + rc.port + "/x?y=1"
	if res.code != 0 || !strings.HasPrefix(head, "HTTP/1.1 301 Moved Permanently\n") || !strings.Contains(head+"\n", "\n"+location+"\n") {
		t.Errorf("curl -i %s: want 301 and %s, got %s", url, location, res)
	}
	res = rc.run("", rc.curl, append(resolve, "-L", "--cacert", rc.roots, "--resolve", "red.example.com:"+rc.port+":127.0.0.1",
		"-w", " %{http_code} %{url_effective}", url)...)
	if want := "routed red.example.com:" + rc.port + " 200 https://red.example.com:" + rc.port + "/x?y=1"; res.code != 0 || res.stdout != want {
		t.Errorf("curl -L %s: want %q, got %s", url, want, res)
	}
}

// TestNoHTTP2BelowTLS12: found with curl, a TLS 1.1 client offering h2 on
// a TLSv1.1 domain was given h2, and http.Server then dropped the
// connection (HTTP/2 requires TLS 1.2); it now gets HTTP/1.1, and a TLS
// 1.2 client still gets h2.
func TestNoHTTP2BelowTLS12(t *testing.T) {
	f := newFixture(t, Config{})
	old := domain("d1", "old.example.com", false, f.cert("EC", nil, "old.example.com"))
	old.Domain.MinTLSVersion = "TLSv1.1"
	f.load(old)
	for _, tc := range []struct {
		max  uint16
		want string
	}{{tls.VersionTLS11, "http/1.1"}, {tls.VersionTLS12, "h2"}, {tls.VersionTLS13, "h2"}} {
		cs, err := f.dial("old.example.com", &tls.Config{MinVersion: tls.VersionTLS11, MaxVersion: tc.max, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil || cs.NegotiatedProtocol != tc.want {
			t.Errorf("TLS up to %x offering h2: negotiated %q, %v; want %q", tc.max, cs.NegotiatedProtocol, err, tc.want)
		}
	}
	// And over a real request: HTTP/2 over TLS 1.1 would fail here.
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "old.example.com", RootCAs: f.roots,
		MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + f.addr + "/x")
	if err != nil {
		t.Fatalf("an HTTP client offering h2 over TLS 1.1: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 1 {
		t.Errorf("an HTTP client offering h2 over TLS 1.1: %d over %s; want 200 over HTTP/1.1", resp.StatusCode, resp.Proto)
	}
}
