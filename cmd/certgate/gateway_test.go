package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate/internal/testtool"
)

// startGateway starts a server whose gateway listens on free ports.
func startGateway(t *testing.T) *testServer {
	t.Helper()
	return startServer(t, func(c *Config) {
		c.Gateway, c.GatewayHTTPSAddr, c.GatewayHTTPAddr = "on", "127.0.0.1:0", "127.0.0.1:0"
	})
}

// served is the leaf the gateway's HTTPS listener presents for sni, or the
// handshake's error.
func (s *testServer) served(sni string) (*x509.Certificate, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.gw.https.Addr().String(),
		&tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

// waitServed polls until the gateway presents want for sni (nil: refuses
// the name), and returns how long it took.
func (s *testServer) waitServed(t *testing.T, sni string, want *x509.Certificate) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got, err := s.served(sni)
		if (want == nil && err != nil && strings.Contains(err.Error(), "unrecognized name")) || (want != nil && got != nil && got.Equal(want)) {
			return time.Since(start)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("after 10 s the gateway still serves %v (%v) for %s", got, err, sni)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lookCurl finds curl, skipping only this part of a test when it is
// absent (and failing under CERTGATE_REQUIRE_TOOLS=1).
func lookCurl(t *testing.T) (string, bool) {
	p, err := exec.LookPath("curl")
	if err != nil {
		if testtool.Required() {
			t.Fatal("curl is required (CERTGATE_REQUIRE_TOOLS=1) but not on PATH")
		}
		t.Log("curl not found: the HTTP/2 check with curl is skipped")
		return "", false
	}
	return p, true
}

func pemLeaf(t *testing.T, chainPEM string) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode([]byte(chainPEM))
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGatewayServesBoundCertificates runs the whole chain a user runs:
// through the Huawei SDK a group, a domain, a certificate and its binding;
// then the gateway's own HTTPS listener presents that certificate, serves
// its replacement after UpdateCertificateV2, and refuses the name once the
// binding is gone. Each change is served within the reload interval.
func TestGatewayServesBoundCertificates(t *testing.T) {
	s := startGateway(t)
	owner := s.Bootstrap
	c := s.hwClient(owner, "")
	inst := owner.Instance.ID
	group, err := c.CreateApiGroupV2(&model.CreateApiGroupV2Request{InstanceId: inst, Body: &model.ApiGroupCreate{Name: "gw_group"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.AssociateDomainV2(&model.AssociateDomainV2Request{InstanceId: inst, GroupId: group.Id, Body: &model.UrlDomainCreate{UrlDomain: strPtr("shop.example.com")}})
	if err != nil {
		t.Fatal(err)
	}
	_, httpsPort := s.gw.ports()
	if *d.IngressHttpsPort != int32(httpsPort) {
		t.Errorf("the domain reports ingress_https_port %d; the gateway listens on %d", *d.IngressHttpsPort, httpsPort)
	}
	chain, key, _ := leafFor(t, "p256", "shop.example.com")
	cert, err := c.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("gw_cert", chain, key)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.served("shop.example.com"); err == nil || !strings.Contains(err.Error(), "unrecognized name") {
		t.Errorf("an unbound domain: %v; want unrecognized_name", err)
	}
	if _, err := c.BatchAssociateCertsV2(&model.BatchAssociateCertsV2Request{InstanceId: inst, GroupId: group.Id, DomainId: *d.Id,
		Body: &model.AttachOrDetachCertsReqBody{CertificateIds: []string{*cert.Id}}}); err != nil {
		t.Fatal(err)
	}
	took := s.waitServed(t, "shop.example.com", pemLeaf(t, chain))
	t.Logf("bound certificate served after %v", took)
	// /healthz says which revision the gateway serves, and how fresh.
	hresp, err := http.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health map[string]string
	_ = json.NewDecoder(hresp.Body).Decode(&health)
	hresp.Body.Close()
	if rev, _ := s.Store.Revision(t.Context()); health["gateway_revision"] != strconv.FormatInt(rev, 10) ||
		!strings.HasSuffix(health["gateway_current_as_of"], " ago") || health["gateway"] != "" {
		t.Errorf("/healthz with the gateway on: %v (store revision %d)", health, rev)
	}

	// A request: no API is routed yet, so Huawei's answer for an
	// unpublished API, in the gateway's response format.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: "shop.example.com", InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "https://"+s.gw.https.Addr().String()+"/orders", nil)
	req.Host = "shop.example.com"
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"error_code":"APIG.0101"`) || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("GET /orders through the gateway: %d %s", resp.StatusCode, body)
	}

	// curl, with its default protocol (HTTP/2 by ALPN): found by review,
	// the server dropped every h2 connection.
	if curl, ok := lookCurl(t); ok {
		_, port, _ := net.SplitHostPort(s.gw.https.Addr().String())
		out, _ := exec.Command(curl, "-sk", "-w", " %{http_version} %{http_code}", "--resolve", "shop.example.com:"+port+":127.0.0.1",
			"https://shop.example.com:"+port+"/orders").CombinedOutput()
		t.Logf("curl through the gateway: %s", out)
		if !strings.HasSuffix(strings.TrimSpace(string(out)), " 2 404") || !strings.Contains(string(out), "APIG.0101") {
			t.Errorf("curl over HTTP/2: %s; want HTTP/2 and 404 APIG.0101", out)
		}
	}

	// Replaced in place: the new certificate, within a reload.
	chain2, key2, _ := leafFor(t, "p256", "shop.example.com")
	if _, err := c.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: *cert.Id,
		Body: &model.CertificateForm{Name: "gw_cert", CertContent: chain2, PrivateKey: key2}}); err != nil {
		t.Fatal(err)
	}
	took = s.waitServed(t, "shop.example.com", pemLeaf(t, chain2))
	t.Logf("replaced certificate served after %v", took)
	if took > 2*time.Second {
		t.Logf("note: slower than the 1 s goal on this machine")
	}

	// Unbound: the name is refused again.
	if _, err := c.BatchDisassociateCertsV2(&model.BatchDisassociateCertsV2Request{InstanceId: inst, GroupId: group.Id, DomainId: *d.Id,
		Body: &model.AttachOrDetachCertsReqBody{CertificateIds: []string{*cert.Id}}}); err != nil {
		t.Fatal(err)
	}
	took = s.waitServed(t, "shop.example.com", nil)
	t.Logf("unbound domain refused after %v", took)
}

// TestGatewayBusyPort: a busy gateway port fails the start, naming the flag.
func TestGatewayBusyPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testConfig(t.TempDir())
	cfg.Gateway, cfg.GatewayHTTPSAddr, cfg.GatewayHTTPAddr = "on", busy.Addr().String(), "127.0.0.1:0"
	m := &Main{Config: cfg}
	err = m.Open(t.Context())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "--gateway-https-addr") {
		t.Errorf("Open with the gateway's HTTPS port taken: %v; want an error naming --gateway-https-addr", err)
	}
}
