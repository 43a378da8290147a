package pki

import (
	"bufio"
	"bytes"
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
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"

	"github.com/certgate/certgate/internal/testtool"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("X", 3600))

func selfSign(t testing.TB, key crypto.Signer, tmpl ClientCertTemplate, now time.Time) *x509.Certificate {
	t.Helper()
	der, err := SelfSign(key, tmpl, now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSelfSignAWSShape(t *testing.T) {
	r, _, _, _ := testKeys(t)
	c := selfSign(t, r, ClientCertTemplate{Subject: DefaultSubject()}, testNow)

	if c.Version != 3 {
		t.Errorf("Version = %d", c.Version)
	}
	if c.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("SignatureAlgorithm = %v", c.SignatureAlgorithm)
	}
	if pub, ok := c.PublicKey.(*rsa.PublicKey); !ok || pub.N.BitLen() != 2048 {
		t.Errorf("public key %T", c.PublicKey)
	}
	if !bytes.Equal(c.RawSubject, c.RawIssuer) {
		t.Error("subject != issuer")
	}
	if got := c.Issuer.String(); got != "CN=ApiGateway,L=Seattle,C=US" {
		t.Errorf("issuer %s", got)
	}
	wantNB := time.Date(2026, 3, 14, 14, 9, 26, 0, time.UTC)
	if !c.NotBefore.Equal(wantNB) {
		t.Errorf("NotBefore = %v; want %v", c.NotBefore, wantNB)
	}
	if d := c.NotAfter.Sub(c.NotBefore); d != 365*24*time.Hour {
		t.Errorf("validity %v", d)
	}
	if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 64 {
		t.Errorf("serial %v", c.SerialNumber)
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
		t.Errorf("KeyUsage = %b", c.KeyUsage)
	}
	if !reflect.DeepEqual(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("ExtKeyUsage = %v", c.ExtKeyUsage)
	}
	if !c.BasicConstraintsValid || c.IsCA {
		t.Errorf("BasicConstraintsValid=%v IsCA=%v", c.BasicConstraintsValid, c.IsCA)
	}
	if len(c.SubjectKeyId) != 20 || !bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId) {
		t.Errorf("SubjectKeyId %x, AuthorityKeyId %x", c.SubjectKeyId, c.AuthorityKeyId)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Errorf("self-signature: %v", err)
	}
	if !PublicKeysEqual(c.PublicKey, r.Public()) {
		t.Error("certificate key differs")
	}
}

func TestSelfSignECDSA(t *testing.T) {
	_, _, e, _ := testKeys(t)
	c := selfSign(t, e, ClientCertTemplate{Subject: pkix.Name{CommonName: "gw"}, Validity: 90*24*time.Hour + 1500*time.Millisecond}, testNow)
	if c.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Errorf("SignatureAlgorithm = %v", c.SignatureAlgorithm)
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("KeyUsage = %b", c.KeyUsage)
	}
	if d := c.NotAfter.Sub(c.NotBefore); d != 90*24*time.Hour+time.Second {
		t.Errorf("validity %v (fractional seconds must be truncated)", d)
	}
	if c.Subject.CommonName != "gw" || c.Issuer.CommonName != "gw" {
		t.Errorf("subject %v issuer %v", c.Subject, c.Issuer)
	}
}

// constReader returns the same byte forever.
type constReader byte

func (b constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestSelfSignSerial(t *testing.T) {
	r, _, e, _ := testKeys(t)
	// Top bit set: the serial is the full 64-bit value and still positive
	// after the DER round trip.
	for _, k := range []crypto.Signer{r, e} {
		der, err := SelfSign(k, ClientCertTemplate{Subject: DefaultSubject()}, testNow, constReader(0xff))
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		want := new(big.Int).SetUint64(^uint64(0))
		if c.SerialNumber.Cmp(want) != 0 {
			t.Errorf("serial = %v; want %v", c.SerialNumber, want)
		}
	}
	// Serials differ between certificates.
	a := selfSign(t, e, ClientCertTemplate{Subject: DefaultSubject()}, testNow)
	b := selfSign(t, e, ClientCertTemplate{Subject: DefaultSubject()}, testNow)
	if a.SerialNumber.Cmp(b.SerialNumber) == 0 {
		t.Error("two certificates share a serial")
	}
	// A source of zeros never yields the forbidden serial 0.
	if _, err := SelfSign(e, ClientCertTemplate{Subject: DefaultSubject()}, testNow, constReader(0)); err == nil {
		t.Error("SelfSign with an all-zero random source succeeded")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestSelfSignErrors(t *testing.T) {
	_, _, e, _ := testKeys(t)
	subj := DefaultSubject()
	cases := map[string]func() error{
		"nil key": func() error {
			_, err := SelfSign(nil, ClientCertTemplate{Subject: subj}, testNow, rand.Reader)
			return err
		},
		"nil random": func() error {
			_, err := SelfSign(e, ClientCertTemplate{Subject: subj}, testNow, nil)
			return err
		},
		"failing random": func() error {
			_, err := SelfSign(e, ClientCertTemplate{Subject: subj}, testNow, errReader{})
			return err
		},
		"negative validity": func() error {
			_, err := SelfSign(e, ClientCertTemplate{Subject: subj, Validity: -time.Hour}, testNow, rand.Reader)
			return err
		},
		"sub-second validity": func() error {
			_, err := SelfSign(e, ClientCertTemplate{Subject: subj, Validity: time.Millisecond}, testNow, rand.Reader)
			return err
		},
		"empty subject": func() error {
			_, err := SelfSign(e, ClientCertTemplate{}, testNow, rand.Reader)
			return err
		},
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDescribe(t *testing.T) {
	r, _, e, _ := testKeys(t)
	c := selfSign(t, r, ClientCertTemplate{Subject: DefaultSubject()}, testNow)
	f := Describe(c)
	want := Facts{
		CommonName:         "ApiGateway",
		NotBefore:          time.Date(2026, 3, 14, 14, 9, 26, 0, time.UTC),
		NotAfter:           time.Date(2027, 3, 14, 14, 9, 26, 0, time.UTC),
		SerialNumber:       c.SerialNumber.String(),
		SignatureAlgorithm: "SHA256-RSA",
		KeyAlgorithm:       "RSA",
		Locality:           []string{"Seattle"},
		Country:            []string{"US"},
		IssuerCommonName:   "ApiGateway",
		Version:            3,
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("Describe =\n%+v\nwant\n%+v", f, want)
	}
	if f.NotAfter.Location() != time.UTC {
		t.Error("NotAfter not UTC")
	}

	// A CA-issued certificate with every kind of SAN, listed out of order in
	// the template to show that Describe groups them.
	u, _ := url.Parse("spiffe://example.org/gw")
	caTpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"Issuer Org"}, CommonName: "Issuer CA"},
		NotBefore: testNow, NotAfter: testNow.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	leafTpl := &x509.Certificate{
		SerialNumber: big.NewInt(123456789),
		Subject: pkix.Name{CommonName: "api.example.com", Organization: []string{"Org"}, OrganizationalUnit: []string{"OU1", "OU2"},
			Province: []string{"BE"}, Locality: []string{"Berlin"}, Country: []string{"DE"}},
		NotBefore: testNow, NotAfter: testNow.Add(time.Hour),
		URIs:           []*url.URL{u},
		EmailAddresses: []string{"ops@example.com"},
		IPAddresses:    []net.IP{net.ParseIP("192.0.2.1"), net.ParseIP("2001:db8::1")},
		DNSNames:       []string{"api.example.com", "*.example.com"},
	}
	der, err := x509.CreateCertificate(rand.Reader, leafTpl, caTpl, e.Public(), r)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	f = Describe(leaf)
	wantSANs := []string{"api.example.com", "*.example.com", "192.0.2.1", "2001:db8::1", "ops@example.com", "spiffe://example.org/gw"}
	if !reflect.DeepEqual(f.SANs, wantSANs) {
		t.Errorf("SANs = %q; want %q", f.SANs, wantSANs)
	}
	if f.SerialNumber != "123456789" || f.KeyAlgorithm != "ECC" || f.SignatureAlgorithm != "SHA256-RSA" {
		t.Errorf("serial %s, key %s, sig %s", f.SerialNumber, f.KeyAlgorithm, f.SignatureAlgorithm)
	}
	if f.IssuerCommonName != "Issuer CA" || !reflect.DeepEqual(f.IssuerOrganization, []string{"Issuer Org"}) {
		t.Errorf("issuer %q %q", f.IssuerCommonName, f.IssuerOrganization)
	}
	if !reflect.DeepEqual(f.OrganizationalUnit, []string{"OU1", "OU2"}) || f.Province[0] != "BE" || f.Country[0] != "DE" {
		t.Errorf("subject facts %+v", f)
	}
	// Facts do not alias the certificate.
	f.Organization[0] = "changed"
	if leaf.Subject.Organization[0] != "Org" {
		t.Error("Describe aliases the certificate's slices")
	}
}

// serverCert returns a throwaway TLS server certificate for 127.0.0.1.
func serverCert(t testing.TB) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "test server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: c}, c
}

// mtlsHandshake runs one TLS connection on 127.0.0.1 whose server requires a
// client certificate verified against exactly the trusted certificates, as a
// backend does with the PEM it downloaded from API Gateway. The client
// presents presented. It returns the errors of both sides.
func mtlsHandshake(t *testing.T, version uint16, trusted []*x509.Certificate, presented tls.Certificate) (serverErr, clientErr error) {
	t.Helper()
	srvCert, srvLeaf := serverCert(t)
	clientCAs := x509.NewCertPool()
	for _, c := range trusted {
		clientCAs.AddCert(c)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{srvCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		MinVersion:   version,
		MaxVersion:   version,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		tc := conn.(*tls.Conn)
		if err := tc.HandshakeContext(ctx); err != nil {
			done <- err
			return
		}
		peers := tc.ConnectionState().PeerCertificates
		if len(peers) != 1 || !bytes.Equal(peers[0].Raw, presented.Certificate[0]) {
			done <- errors.New("server saw an unexpected client certificate")
			return
		}
		_, err = tc.Write([]byte("ok"))
		done <- err
	}()

	roots := x509.NewCertPool()
	roots.AddCert(srvLeaf)
	d := tls.Dialer{Config: &tls.Config{
		RootCAs:      roots,
		Certificates: []tls.Certificate{presented},
		MinVersion:   version,
		MaxVersion:   version,
	}}
	conn, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err == nil {
		// In TLS 1.3 the server checks the client certificate after the
		// client's handshake is done; a rejection shows up on the first read.
		buf := make([]byte, 2)
		_, err = io.ReadFull(conn, buf)
		conn.Close()
	}
	return <-done, err
}

func tlsCert(t *testing.T, key crypto.Signer) (tls.Certificate, *x509.Certificate) {
	der, err := SelfSign(key, ClientCertTemplate{Subject: DefaultSubject()}, time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}, c
}

// TestMutualTLS proves the generated certificate works the way AWS documents:
// the backend's trust store holds the client certificate itself, and a
// leaf (CA:FALSE) is enough for crypto/tls.
func TestMutualTLS(t *testing.T) {
	r1, r2, e1, e2 := testKeys(t)
	for _, kc := range []struct {
		name   string
		k1, k2 crypto.Signer
	}{{"rsa", r1, r2}, {"ecdsa", e1, e2}} {
		good, goodLeaf := tlsCert(t, kc.k1)
		other, otherLeaf := tlsCert(t, kc.k2)
		for _, v := range []struct {
			name string
			v    uint16
		}{{"tls1.2", tls.VersionTLS12}, {"tls1.3", tls.VersionTLS13}} {
			t.Run(kc.name+"/"+v.name, func(t *testing.T) {
				srvErr, cliErr := mtlsHandshake(t, v.v, []*x509.Certificate{goodLeaf}, good)
				if srvErr != nil || cliErr != nil {
					t.Fatalf("trusted certificate rejected: server: %v; client: %v", srvErr, cliErr)
				}
				// Same subject, same issuer name, different key: must fail.
				srvErr, cliErr = mtlsHandshake(t, v.v, []*x509.Certificate{goodLeaf}, other)
				if srvErr == nil || cliErr == nil {
					t.Fatalf("untrusted certificate accepted: server: %v; client: %v", srvErr, cliErr)
				}
				t.Logf("rejected as expected: %v", srvErr)
				// During rotation a backend trusts the old and the new
				// certificate, which share their subject; both must work.
				both := []*x509.Certificate{otherLeaf, goodLeaf}
				for _, c := range []tls.Certificate{good, other} {
					if srvErr, cliErr := mtlsHandshake(t, v.v, both, c); srvErr != nil || cliErr != nil {
						t.Fatalf("rotation trust store rejected a certificate: server: %v; client: %v", srvErr, cliErr)
					}
				}
			})
		}
	}
}

func requireOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		testtool.Missing(t, "openssl")
	}
	return path
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenSSL(t *testing.T) {
	openssl := requireOpenSSL(t)
	r, r2, e, e2 := testKeys(t)
	for _, tc := range []struct {
		name      string
		key, key2 crypto.Signer
		want      []string
	}{
		{"rsa", r, r2, []string{"Signature Algorithm: sha256WithRSAEncryption", "Public-Key: (2048 bit)"}},
		{"ecdsa", e, e2, []string{"Signature Algorithm: ecdsa-with-SHA256", "Public-Key: (256 bit)", "NIST CURVE: P-256"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			der, err := SelfSign(tc.key, ClientCertTemplate{Subject: DefaultSubject()}, time.Now(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			certPath := writePEM(t, dir, "cert.pem", "CERTIFICATE", der)
			// A second certificate with the same subject, as during rotation.
			der2, err := SelfSign(tc.key2, ClientCertTemplate{Subject: DefaultSubject()}, time.Now(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			bothPath := filepath.Join(dir, "both.pem")
			if err := os.WriteFile(bothPath, []byte(EncodeCertificatePEM(der2, der)), 0o600); err != nil {
				t.Fatal(err)
			}

			out, err := exec.Command(openssl, "x509", "-noout", "-text", "-in", certPath).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl x509: %v\n%s", err, out)
			}
			text := string(out)
			want := append([]string{
				"Version: 3 (0x2)",
				"Issuer: C = US, L = Seattle, CN = ApiGateway",
				"Subject: C = US, L = Seattle, CN = ApiGateway",
				"CA:FALSE",
				"TLS Web Client Authentication",
				"X509v3 Subject Key Identifier",
				"X509v3 Authority Key Identifier",
			}, tc.want...)
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("openssl x509 -text lacks %q:\n%s", w, text)
				}
			}

			// Plain verification, as a backend trusting the certificate does;
			// sslclient is the purpose a TLS server checks client certificates
			// for, and -x509_strict adds RFC 5280 conformance checks.
			for _, extra := range [][]string{
				{"-CAfile", certPath},
				{"-CAfile", certPath, "-purpose", "sslclient"},
				{"-CAfile", certPath, "-x509_strict", "-purpose", "sslclient"},
				{"-CAfile", bothPath, "-x509_strict", "-purpose", "sslclient"},
			} {
				args := append([]string{"verify"}, extra...)
				args = append(args, certPath)
				out, err := exec.Command(openssl, args...).CombinedOutput()
				if err != nil || strings.TrimSpace(string(out)) != certPath+": OK" {
					t.Errorf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
		})
	}
}

// TestOpenSSLServer runs openssl s_server as the backend (nginx and most
// backends verify client certificates with OpenSSL) with the generated
// certificate as its only trusted CA, and connects with crypto/tls.
func TestOpenSSLServer(t *testing.T) {
	openssl := requireOpenSSL(t)
	r1, r2, e1, _ := testKeys(t)
	good, goodLeaf := tlsCert(t, r1)
	other, otherLeaf := tlsCert(t, r2)
	_, thirdLeaf := tlsCert(t, e1)

	dir := t.TempDir()
	srv, srvLeaf := serverCert(t)
	srvKey, err := x509.MarshalPKCS8PrivateKey(srv.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	srvCertPath := writePEM(t, dir, "server.pem", "CERTIFICATE", srvLeaf.Raw)
	srvKeyPath := writePEM(t, dir, "server.key", "PRIVATE KEY", srvKey)
	caPath := writePEM(t, dir, "client.pem", "CERTIFICATE", goodLeaf.Raw)
	// During rotation the trust store holds several certificates with the
	// same subject; the presented one is not the first.
	bothPath := filepath.Join(dir, "both.pem")
	if err := os.WriteFile(bothPath, []byte(EncodeCertificatePEM(thirdLeaf.Raw, otherLeaf.Raw, goodLeaf.Raw)), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, v := range []struct {
		name string
		v    uint16
	}{{"tls1.2", tls.VersionTLS12}, {"tls1.3", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			for _, tc := range []struct {
				name    string
				ca      string
				cert    tls.Certificate
				wantErr bool
			}{
				{"trusted", caPath, good, false},
				{"other", caPath, other, true},
				{"rotation/new", bothPath, good, false},
				{"rotation/old", bothPath, other, false},
			} {
				err := opensslRequest(t, openssl, srvCertPath, srvKeyPath, tc.ca, srvLeaf, tc.cert, v.v)
				if (err != nil) != tc.wantErr {
					t.Errorf("%s certificate: err = %v; want error %v", tc.name, err, tc.wantErr)
				}
			}
		})
	}
}

func opensslRequest(t *testing.T, openssl, certPath, keyPath, caPath string, srvLeaf *x509.Certificate, client tls.Certificate, version uint16) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, openssl, "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-www",
		"-cert", certPath, "-key", keyPath, "-Verify", "1", "-verify_return_error", "-CAfile", caPath)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()
	// s_server prints "ACCEPT 127.0.0.1:PORT" once it listens.
	sc := bufio.NewScanner(stdout)
	var addr string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatalf("openssl s_server did not report its address: %s", stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	roots := x509.NewCertPool()
	roots.AddCert(srvLeaf)
	d := tls.Dialer{Config: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{client}, MinVersion: version, MaxVersion: version}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "HTTP/1.0 200") {
		return errors.New("unexpected response: " + line)
	}
	return nil
}
