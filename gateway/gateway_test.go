package gateway

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// fakeSource is a configuration in memory: what ServingDomains would read.
type fakeSource struct {
	mu     sync.Mutex
	rev    int64
	served []*store.Served
	routes *store.Routes
	err    error
	reads  int
}

func (f *fakeSource) ServingRoutes(context.Context) (*store.Routes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.routes, f.err
}

// setRoutes replaces the routes and moves the revision.
func (f *fakeSource) setRoutes(rt *store.Routes) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes = rt
	f.rev++
}

func (f *fakeSource) Revision(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rev, f.err
}

func (f *fakeSource) ServingDomains(context.Context) ([]*store.Served, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.served, f.err
}

func (f *fakeSource) set(served ...*store.Served) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.served = served
	f.rev++
}

// ca is a test CA that issues server and client certificates.
type ca struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newCA(t testing.TB, name string) *ca {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &ca{cert: c, key: key}
}

func (c *ca) pem() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw}))
}

func (c *ca) issue(t testing.TB, alg string, client bool, names ...string) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	var key crypto.Signer
	if alg == "RSA" {
		key, _ = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "leaf"}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return leaf, key
}

// fixture is a gateway over a fake source, listening on loopback.
type fixture struct {
	t      testing.TB
	src    *fakeSource
	sealer *seal.Sealer
	gw     *Gateway
	addr   string
	roots  *x509.CertPool // trusts the server certificates' CA
	server *ca
	n      int
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	mk, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, src: &fakeSource{}, sealer: seal.NewSealer(mk), server: newCA(t, "Server CA")}
	cfg.Source, cfg.Opener = f.src, f.sealer
	f.gw = New(cfg)
	f.roots = x509.NewCertPool()
	f.roots.AddCert(f.server.cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f.gw.HTTPS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "routed "+r.Host)
	})), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(tls.NewListener(ln, f.gw.TLSConfig()))
	t.Cleanup(func() { srv.Close() })
	f.addr = ln.Addr().String()
	return f
}

// cert makes a stored server certificate for names, its key sealed as the
// store keeps it.
func (f *fixture) cert(alg string, trusted *ca, names ...string) *certgate.Certificate {
	f.t.Helper()
	f.n++
	return f.certWithID("cert"+string(rune('a'+f.n)), alg, trusted, names...)
}

// certWithID is cert with a given id (a certificate replaced in place).
func (f *fixture) certWithID(id, alg string, trusted *ca, names ...string) *certgate.Certificate {
	f.t.Helper()
	leaf, key := f.server.issue(f.t, alg, false, names...)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		f.t.Fatal(err)
	}
	c := &certgate.Certificate{ID: id, Scope: certgate.Scope{AccountID: "123456789012"},
		Kind: certgate.KindServer, CertificatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})),
		SANs: names, KeyAlgorithm: map[string]string{"RSA": "RSA", "EC": "ECC"}[alg], Version: 1}
	if c.KeyAlgorithm == "" {
		c.KeyAlgorithm = "ECC"
	}
	c.KeySealed, c.SealKeyID, err = f.sealer.Seal(der, certgate.KeyAAD(c.ID, c.Scope.AccountID, c.Kind))
	if err != nil {
		f.t.Fatal(err)
	}
	if trusted != nil {
		c.TrustedRootCA = trusted.pem()
	}
	return c
}

func domain(id, name string, verify bool, certs ...*certgate.Certificate) *store.Served {
	return &store.Served{Domain: &certgate.Domain{ID: id, AccountID: "123456789012", InstanceID: "i1", GroupID: "g1",
		Name: name, MinTLSVersion: "TLSv1.2", VerifyClients: verify}, Certificates: certs}
}

func (f *fixture) load(served ...*store.Served) {
	f.t.Helper()
	f.src.set(served...)
	if err := f.gw.Reload(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

// dial handshakes with serverName (and cfg's other settings) and returns
// the connection state.
func (f *fixture) dial(serverName string, cfg *tls.Config) (tls.ConnectionState, error) {
	f.t.Helper()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	cfg.ServerName = serverName
	if cfg.RootCAs == nil {
		cfg.RootCAs = f.roots
	}
	if serverName == "" {
		cfg.InsecureSkipVerify = true // nothing to verify the name against
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", f.addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	// TLS 1.3 client-certificate failures arrive after the client's
	// handshake returns: read to see them.
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, rerr := conn.Read(make([]byte, 1))
	if rerr != nil && !isTimeout(rerr) && rerr != io.EOF {
		return conn.ConnectionState(), rerr
	}
	return conn.ConnectionState(), nil
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func leafNames(cs tls.ConnectionState) string {
	if len(cs.PeerCertificates) == 0 {
		return ""
	}
	return strings.Join(cs.PeerCertificates[0].DNSNames, ",")
}

func TestSelectsCertificateBySNI(t *testing.T) {
	f := newFixture(t, Config{})
	exact := f.cert("EC", nil, "api.example.com")
	wild := f.cert("EC", nil, "*.example.com")
	f.load(domain("d1", "api.example.com", false, exact), domain("d2", "*.example.com", false, wild))

	for _, tc := range []struct{ sni, want string }{
		{"api.example.com", "api.example.com"}, // the exact name wins over the wildcard
		{"API.Example.COM", "api.example.com"},
		{"www.example.com", "*.example.com"},
	} {
		cs, err := f.dial(tc.sni, nil)
		if err != nil || leafNames(cs) != tc.want {
			t.Errorf("SNI %s: served %q, %v; want %q", tc.sni, leafNames(cs), err, tc.want)
		}
	}
	for _, sni := range []string{"a.b.example.com", "example.com", "other.test", ""} {
		_, err := f.dial(sni, nil)
		if err == nil || !strings.Contains(err.Error(), "unrecognized name") {
			t.Errorf("SNI %q: %v; want the unrecognized_name alert", sni, err)
		}
	}
}

func TestDefaultDomainForNoSNI(t *testing.T) {
	f := newFixture(t, Config{DefaultDomain: "api.example.com"})
	f.load(domain("d1", "api.example.com", false, f.cert("EC", nil, "api.example.com")))
	cs, err := f.dial("", nil)
	if err != nil || leafNames(cs) != "api.example.com" {
		t.Errorf("no SNI with a default domain: %q, %v", leafNames(cs), err)
	}
}

func TestServesECCToClientsThatSupportIt(t *testing.T) {
	f := newFixture(t, Config{})
	rsaCert := f.cert("RSA", nil, "api.example.com")
	eccCert := f.cert("EC", nil, "api.example.com")
	f.load(domain("d1", "api.example.com", false, rsaCert, eccCert)) // RSA bound first
	cs, err := f.dial("api.example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cs.PeerCertificates[0].PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("a client supporting ECDSA got %T", cs.PeerCertificates[0].PublicKey)
	}
	rsaOnly := &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
	cs, err = f.dial("api.example.com", rsaOnly)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cs.PeerCertificates[0].PublicKey.(*rsa.PublicKey); !ok {
		t.Errorf("an RSA-only client got %T", cs.PeerCertificates[0].PublicKey)
	}
}

func TestMinimumVersionPerDomain(t *testing.T) {
	f := newFixture(t, Config{})
	old := domain("d1", "old.example.com", false, f.cert("EC", nil, "old.example.com"))
	old.Domain.MinTLSVersion = "TLSv1.1"
	f.load(old, domain("d2", "new.example.com", false, f.cert("EC", nil, "new.example.com")))
	tls11 := &tls.Config{MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11}
	if cs, err := f.dial("old.example.com", tls11); err != nil || cs.Version != tls.VersionTLS11 {
		t.Errorf("TLS 1.1 to a TLSv1.1 domain: version %x, %v", cs.Version, err)
	}
	if _, err := f.dial("new.example.com", tls11); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.1 to a TLSv1.2 domain: %v; want a protocol version alert", err)
	}
}

func TestClientVerification(t *testing.T) {
	f := newFixture(t, Config{})
	clients := newCA(t, "Client CA")
	strangers := newCA(t, "Other CA")
	f.load(domain("d1", "mtls.example.com", true, f.cert("EC", clients, "mtls.example.com")))
	withCert := func(issuer *ca) *tls.Config {
		leaf, key := issuer.issue(t, "EC", true)
		return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Raw}, PrivateKey: key}}}
	}
	if _, err := f.dial("mtls.example.com", nil); err == nil {
		t.Error("a handshake without a client certificate succeeded")
	}
	if _, err := f.dial("mtls.example.com", withCert(strangers)); err == nil {
		t.Error("a client certificate of another CA was accepted")
	}
	if cs, err := f.dial("mtls.example.com", withCert(clients)); err != nil || len(cs.PeerCertificates) == 0 {
		t.Errorf("a client certificate of the trusted CA: %v", err)
	}
	// Verification off (a reload): no certificate needed.
	f.load(domain("d1", "mtls.example.com", false, f.cert("EC", clients, "mtls.example.com")))
	if _, err := f.dial("mtls.example.com", nil); err != nil {
		t.Errorf("after verification was turned off: %v", err)
	}
}

// recordingCache is a client session cache that can hand one name's
// session to another name's handshake, as a hostile client would.
type recordingCache struct {
	mu       sync.Mutex
	sessions map[string]*tls.ClientSessionState
	alias    map[string]string
}

func (c *recordingCache) Get(key string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.alias[key]; ok {
		key = a
	}
	s, ok := c.sessions[key]
	return s, ok
}

func (c *recordingCache) Put(key string, s *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s != nil && c.sessions[key] == nil {
		c.sessions[key] = s
	}
}

func TestSessionsDoNotResumeAcrossDomains(t *testing.T) {
	f := newFixture(t, Config{})
	f.load(domain("d1", "a.example.com", false, f.cert("EC", nil, "a.example.com")),
		domain("d2", "b.example.com", false, f.cert("EC", nil, "b.example.com")))
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cache := &recordingCache{sessions: map[string]*tls.ClientSessionState{}, alias: map[string]string{}}
		// InsecureSkipVerify: a hostile client skips the check that
		// keeps an honest Go client from offering a's session to b.
		cfg := &tls.Config{ClientSessionCache: cache, MaxVersion: v, MinVersion: v, InsecureSkipVerify: true}
		if _, err := f.dial("a.example.com", cfg); err != nil {
			t.Fatal(err)
		}
		cs, err := f.dial("a.example.com", cfg)
		if err != nil || !cs.DidResume {
			t.Fatalf("version %x: a second handshake on the same domain did not resume (%v): the test cannot see resumption", v, err)
		}
		cache.alias["b.example.com"] = "a.example.com"
		cs, err = f.dial("b.example.com", cfg)
		if err != nil {
			t.Fatal(err)
		}
		if cs.DidResume {
			t.Errorf("version %x: a session of a.example.com resumed on b.example.com", v)
		}
	}
}

func TestMisdirectedRequest(t *testing.T) {
	f := newFixture(t, Config{})
	clients := newCA(t, "Client CA")
	f.load(domain("d1", "open.example.com", false, f.cert("EC", nil, "open.example.com")),
		domain("d2", "mtls.example.com", true, f.cert("EC", clients, "mtls.example.com")),
		domain("d3", "other.example.com", false, f.cert("EC", nil, "other.example.com")))
	get := func(sni, host string) (int, string) {
		t.Helper()
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: sni, RootCAs: f.roots}}}
		defer client.CloseIdleConnections()
		req, _ := http.NewRequest("GET", "https://"+f.addr+"/x", nil)
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get("open.example.com", "mtls.example.com"); st != http.StatusMisdirectedRequest || !strings.Contains(body, "APIG.0201") {
		t.Errorf("handshake on an open name, Host of a verifying one: %d %s; want 421", st, body)
	}
	if st, body := get("open.example.com", "open.example.com:443"); st != http.StatusOK || body != "routed open.example.com:443" {
		t.Errorf("matching Host: %d %s", st, body)
	}
	// Neither verifies: the Host routes (as a CDN in front would send it).
	if st, _ := get("open.example.com", "other.example.com"); st != http.StatusOK {
		t.Errorf("two open names: %d; want 200", st)
	}
}

func TestReloadKeepsLastSnapshotWhenTheStoreFails(t *testing.T) {
	f := newFixture(t, Config{})
	f.load(domain("d1", "api.example.com", false, f.cert("EC", nil, "api.example.com")))
	f.src.mu.Lock()
	f.src.err = io.ErrUnexpectedEOF
	f.src.rev++
	f.src.mu.Unlock()
	if err := f.gw.Reload(context.Background()); err == nil {
		t.Fatal("Reload with a failing store returned no error")
	}
	if _, _, err := f.gw.Status(); err == nil {
		t.Error("Status does not report the failed reload")
	}
	if _, err := f.dial("api.example.com", nil); err != nil {
		t.Errorf("the last snapshot stopped serving: %v", err)
	}
}

func TestReloadReparsesOnlyWhatChanged(t *testing.T) {
	f := newFixture(t, Config{})
	a := f.cert("EC", nil, "a.example.com")
	b := f.cert("EC", nil, "b.example.com")
	f.load(domain("d1", "a.example.com", false, a), domain("d2", "b.example.com", false, b))
	before := f.gw.cache[a.ID]
	b2 := f.certWithID(b.ID, "EC", nil, "b.example.com")
	b2.Version = 2
	f.load(domain("d1", "a.example.com", false, a), domain("d2", "b.example.com", false, b2))
	if f.gw.cache[a.ID] != before {
		t.Error("an unchanged certificate was parsed again")
	}
	cs, err := f.dial("b.example.com", nil)
	if err != nil || !cs.PeerCertificates[0].Equal(mustLeaf(t, b2)) {
		t.Errorf("after b's certificate changed: %v; want the new certificate", err)
	}
	// Nothing changed: no read at all.
	reads := f.src.reads
	if err := f.gw.Reload(context.Background()); err != nil || f.src.reads != reads {
		t.Errorf("a reload at the same revision read the store (%d reads, %v)", f.src.reads-reads, err)
	}
}

func mustLeaf(t *testing.T, c *certgate.Certificate) *x509.Certificate {
	blk, _ := pem.Decode([]byte(c.CertificatePEM))
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

func TestHTTPRedirect(t *testing.T) {
	f := newFixture(t, Config{})
	red := domain("d1", "api.example.com", false, f.cert("EC", nil, "api.example.com"))
	red.Domain.RedirectHTTP = true
	off := domain("d2", "secure.example.com", false, f.cert("EC", nil, "secure.example.com"))
	off.Domain.HTTPPort = -1
	f.load(red, off, domain("d3", "plain.example.com", false))
	h := f.gw.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "routed") }), 8443)
	for _, tc := range []struct {
		method, host string
		status       int
		location     string
	}{
		{"GET", "api.example.com:8081", http.StatusMovedPermanently, "https://api.example.com:8443/p?q=1"},
		{"POST", "api.example.com", http.StatusPermanentRedirect, "https://api.example.com:8443/p?q=1"},
		{"GET", "plain.example.com", http.StatusOK, ""},
		{"GET", "secure.example.com", http.StatusNotFound, ""},
	} {
		rec := &recorder{header: http.Header{}}
		req, _ := http.NewRequest(tc.method, "http://"+tc.host+"/p?q=1", nil)
		h.ServeHTTP(rec, req)
		if rec.status != tc.status || rec.header.Get("Location") != tc.location {
			t.Errorf("%s %s: %d %q; want %d %q", tc.method, tc.host, rec.status, rec.header.Get("Location"), tc.status, tc.location)
		}
	}
}

type recorder struct {
	header http.Header
	status int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return len(b), nil
}

func (r *recorder) WriteHeader(s int) { r.status = s }

// hangingSource answers the revision, then blocks every read until its
// context ends, as a database that stopped answering would.
type hangingSource struct{ fakeSource }

func (h *hangingSource) ServingDomains(ctx context.Context) ([]*store.Served, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestReloadLoopSurvivesAHangingRead: each reload's reads are bounded, so
// the loop keeps running (and reports the failure) while the store hangs,
// and Status (what /healthz reads) answers meanwhile.
func TestReloadLoopSurvivesAHangingRead(t *testing.T) {
	src := &hangingSource{}
	src.rev = 1
	g := New(Config{Source: src})
	g.reloadTimeout = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.Run(ctx, 10*time.Millisecond, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		status := make(chan error, 1)
		go func() { _, _, err := g.Status(); status <- err }()
		var err error
		select {
		case err = <-status:
		case <-time.After(5 * time.Second):
			t.Fatal("Status waited for a hanging reload")
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("status error %v; want the reload's deadline", err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("after 10 s the reload loop has reported nothing: a hanging read stopped it")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
