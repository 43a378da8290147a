package nginxtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{c, key}
}

func (c *testCA) pem() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw}))
}

// issue returns a leaf's certificate and key, as PEM and as a tls.Certificate.
func (c *testCA) issue(t *testing.T, cn string, client bool) (certPEM, keyPEM string, tc tls.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// call sends GET uri to s, presenting cert (nil: none), on a new connection.
func call(t *testing.T, s *Server, roots *x509.CertPool, cert *tls.Certificate, uri string) (int, http.Header, string) {
	t.Helper()
	tc := &tls.Config{RootCAs: roots}
	if cert != nil {
		// Always presented, even when nginx's CA list does not name its issuer.
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(s.URL + uri)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestClientVerification: nginx answers a request without a client
// certificate with its 400 "No required SSL certificate was sent", one
// from an untrusted CA with 400 "The SSL certificate error", and a trusted
// one with 200 and its subject echoed; SetClientCA moves the trust.
func TestClientVerification(t *testing.T) {
	serverCA, trustedCA, otherCA := newCA(t, "Server CA"), newCA(t, "Trusted CA"), newCA(t, "Other CA")
	certPEM, keyPEM, _ := serverCA.issue(t, "127.0.0.1", false)
	roots := x509.NewCertPool()
	roots.AddCert(serverCA.cert)
	_, _, trusted := trustedCA.issue(t, "trusted-client", true)
	_, _, other := otherCA.issue(t, "other-client", true)

	s := Start(t, Config{ServerCertPEM: certPEM, ServerKeyPEM: keyPEM, ClientCAPEM: trustedCA.pem(), VerifyClient: true})

	status, _, body := call(t, s, roots, nil, "/x")
	if status != 400 || !strings.Contains(body, "No required SSL certificate was sent") {
		t.Errorf("no certificate: %d %q", status, body)
	}
	status, h, body := call(t, s, roots, &trusted, "/some/path?q=1")
	if status != 200 || h.Get("X-Client-DN") != "CN=trusted-client" || body != "uri=/some/path?q=1 dn=CN=trusted-client\n" {
		t.Errorf("trusted: %d %v %q", status, h, body)
	}
	status, _, body = call(t, s, roots, &other, "/x")
	if status != 400 || !strings.Contains(body, "The SSL certificate error") {
		t.Errorf("untrusted: %d %q", status, body)
	}

	s.SetClientCA(otherCA.pem())
	if status, _, body := call(t, s, roots, &other, "/x"); status != 200 || !strings.Contains(body, "dn=CN=other-client") {
		t.Errorf("after SetClientCA, the newly trusted: %d %q", status, body)
	}
	if status, _, body := call(t, s, roots, &trusted, "/x"); status != 400 || !strings.Contains(body, "The SSL certificate error") {
		t.Errorf("after SetClientCA, the formerly trusted: %d %q", status, body)
	}
}

// TestPlainHTTPAndExtra: without a server certificate the server is plain
// HTTP, and ExtraHTTP's servers run beside it.
func TestPlainHTTPAndExtra(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	extra := l.Addr().String()
	l.Close()
	s := Start(t, Config{ExtraHTTP: "server { listen " + extra + "; location / { return 204; } }"})
	resp, err := http.Get(s.URL + "/plain")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "uri=/plain dn=\n" {
		t.Errorf("plain: %d %q", resp.StatusCode, b)
	}
	resp, err = http.Get("http://" + extra + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("extra server: %d", resp.StatusCode)
	}
}
