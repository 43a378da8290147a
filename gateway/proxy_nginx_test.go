package gateway

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/nginxtest"
)

// nginxBackend starts nginx requiring client certificates from trusted,
// with a server certificate from serverCA, for 127.0.0.1.
func nginxBackend(t testing.TB, serverCA, trusted *ca, workers int, extra string) *nginxtest.Server {
	t.Helper()
	leaf, key := serverCA.issueIP(t, net.ParseIP("127.0.0.1"))
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return nginxtest.Start(t, nginxtest.Config{
		ServerCertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})),
		ServerKeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})),
		ClientCAPEM:   trusted.pem(), VerifyClient: true, Workers: workers, ExtraHTTP: extra,
	})
}

// issueIP issues a P-256 server certificate for ip (issue names DNS
// names only).
func (c *ca) issueIP(t testing.TB, ip net.IP) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: ip.String()}, IPAddresses: []net.IP{ip},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return leaf, key
}

// TestProxyToNginx: through the proxy, nginx sees the identity's
// certificate (200, its DN echoed); after the identity is replaced by one
// nginx does not trust, nginx's 400 "The SSL certificate error" is relayed
// unchanged (not a gateway failure); once nginx trusts it, requests
// succeed. Sent without a certificate, nginx answers 400.
func TestProxyToNginx(t *testing.T) {
	serverCA, oldCA, newCAx := newCA(t, "Server CA"), newCA(t, "Old client CA"), newCA(t, "New client CA")
	ng := nginxBackend(t, serverCA, oldCA, 1, "")
	roots := x509.NewCertPool()
	roots.AddCert(serverCA.cert)
	ups := NewUpstreams(roots)
	current := &Identity{ID: "cc-1", Version: 1, Cert: namedClientCert(t, oldCA, "stage-cert-v1")}
	fr := newFront(t, false, func(r *http.Request) *Upstream {
		return &Upstream{URL: mustURL(t, ng.URL+r.URL.Path), Transport: ups.Transport(current, false)}
	})

	if status, body := get(t, fr.srv.Client(), fr.srv.URL+"/v1"); status != 200 || body != "uri=/v1 dn=CN=stage-cert-v1,O=certgate test\n" {
		t.Errorf("trusted identity: %d %q", status, body)
	}
	fr.result(t)
	direct := &http.Client{Transport: ups.Transport(nil, false)}
	if status, body := get(t, direct, ng.URL+"/direct"); status != 400 || !strings.Contains(body, "No required SSL certificate was sent") {
		t.Errorf("direct, no certificate: %d %q", status, body)
	}

	// The stage's certificate is replaced: a new version, from a CA nginx
	// does not trust yet.
	current = &Identity{ID: "cc-1", Version: 2, Cert: namedClientCert(t, newCAx, "stage-cert-v2")}
	ups.Retire(func(id string, version int64, _ bool) bool {
		return id == current.ID && version == current.Version || id == ""
	})
	status, body := get(t, fr.srv.Client(), fr.srv.URL+"/v2")
	if status != 400 || !strings.Contains(body, "The SSL certificate error") {
		t.Errorf("untrusted identity: %d %q", status, body)
	}
	if res := fr.result(t); res.Failure != FailNone || res.UpstreamStatus != 400 {
		t.Errorf("nginx's refusal is the backend's answer, not a gateway failure: %+v", res)
	}

	ng.SetClientCA(newCAx.pem())
	if status, body := get(t, fr.srv.Client(), fr.srv.URL+"/v2"); status != 200 || body != "uri=/v2 dn=CN=stage-cert-v2,O=certgate test\n" {
		t.Errorf("after nginx trusts it: %d %q", status, body)
	}
	fr.result(t)
}
