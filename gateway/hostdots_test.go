package gateway

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// A Host with two final dots (or another empty label) selects no domain
// anywhere: the listener's checks and routing normalized it a different
// number of times, so "mtls.example.com.." passed the 421 check as no
// domain and was then routed as mtls.example.com, without the client
// certificate that domain requires, over HTTPS and over plain HTTP.
func TestHostWithEmptyLabelsSelectsNoDomain(t *testing.T) {
	f := newFixture(t, Config{})
	clients := newCA(t, "Client CA")
	mock := certgate.APISpec{Protocol: "BOTH", AuthType: "NONE", BackendType: "MOCK", Mock: &certgate.MockBackend{ResultContent: "the mtls group"}}
	v := version(certgate.ReleaseEnvironmentID, "GET", "/", "NORMAL", mock)
	v.API.GroupID, v.AccountID = "g1", "123456789012"
	f.src.setRoutes(&store.Routes{Groups: []*certgate.APIGroup{{ID: "g1", AccountID: "123456789012", InstanceID: "i1"}},
		Versions: []*certgate.APIVersion{v}})
	mtls := domain("d2", "mtls.example.com", true, f.cert("EC", clients, "mtls.example.com"))
	f.load(domain("d1", "open.example.com", false, f.cert("EC", nil, "open.example.com")), mtls)

	// The real router behind both listeners.
	serve := func(h http.Handler, tlsOn bool) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
		if tlsOn {
			go srv.Serve(tls.NewListener(ln, f.gw.TLSConfig()))
		} else {
			go srv.Serve(ln)
		}
		t.Cleanup(func() { srv.Close() })
		return ln.Addr().String()
	}
	httpsAddr, httpAddr := serve(f.gw.HTTPS(nil), true), serve(f.gw.HTTP(nil, 443), false)
	send := func(conn net.Conn, host string) (int, string) {
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	overTLS := func(host string) (int, string) {
		c, err := tls.Dial("tcp", httpsAddr, &tls.Config{ServerName: "open.example.com", RootCAs: f.roots})
		if err != nil {
			t.Fatal(err)
		}
		return send(c, host)
	}
	plain := func(host string) (int, string) {
		c, err := net.Dial("tcp", httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		return send(c, host)
	}
	for _, host := range []string{"mtls.example.com..", "MTLS.example.com..", "mtls.example.com..:443"} {
		if code, body := overTLS(host); strings.Contains(body, "the mtls group") {
			t.Errorf("HTTPS, SNI open.example.com without a client certificate, Host %q: %d %q; the verifying domain's API answered", host, code, body)
		}
		if code, body := plain(host); strings.Contains(body, "the mtls group") {
			t.Errorf("plain HTTP, Host %q: %d %q; the verifying domain's API answered", host, code, body)
		}
	}
	// What still holds: one final dot is the same name.
	if code, _ := overTLS("mtls.example.com."); code != http.StatusMisdirectedRequest {
		t.Errorf("Host mtls.example.com. on open.example.com's connection: %d; want 421", code)
	}
	if code, body := plain("mtls.example.com."); code != http.StatusBadRequest || strings.Contains(body, "the mtls group") {
		t.Errorf("plain HTTP, Host mtls.example.com.: %d %q; want 400 (the domain verifies clients)", code, body)
	}
	for _, name := range []string{"a..example.com", ".example.com", "example.com..", "..", "."} {
		if got := normalHost(name); got != "" {
			t.Errorf("normalHost(%q) = %q; want \"\" (an empty label names nothing)", name, got)
		}
	}
	for _, name := range []string{"Example.COM.", "example.com"} {
		if got := normalHost(name); got != "example.com" || normalHost(got) != got {
			t.Errorf("normalHost(%q) = %q; want example.com, and idempotent", name, got)
		}
	}
}
