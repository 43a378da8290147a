package gateway

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/store"
)

// keepAlive is a client that reuses one connection, as browsers and SDKs
// do, to see whether a policy change reaches a connection made before it.
func (f *fixture) keepAlive(sni string, h2 bool, certs ...tls.Certificate) (*http.Client, func(host string) (int, string)) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: sni, RootCAs: f.roots, Certificates: certs}, ForceAttemptHTTP2: h2}
	client := &http.Client{Transport: tr}
	f.t.Cleanup(client.CloseIdleConnections)
	return client, func(host string) (int, string) {
		req, _ := http.NewRequest("GET", "https://"+f.addr+"/x", nil)
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Proto + " " + string(b)
	}
}

func clientCert(t *testing.T, issuer *ca) tls.Certificate {
	leaf, key := issuer.issue(t, "EC", true)
	return tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key}
}

// TestPolicyChangesReachLiveConnections: found by review, a connection
// made before verification was turned on, before the CA was replaced, or
// on a wildcard before a verifying exact name was added, kept being
// served. Now each request is held to its domain's current policy.
func TestPolicyChangesReachLiveConnections(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		f := newFixture(t, Config{})
		clients, others := newCA(t, "Client CA"), newCA(t, "Other CA")
		server := f.cert("EC", nil, "mtls.example.com")
		f.load(domain("d1", "mtls.example.com", false, server))
		_, get := f.keepAlive("mtls.example.com", h2)
		if st, body := get("mtls.example.com"); st != 200 {
			t.Fatalf("h2=%v: before: %d %s", h2, st, body)
		}
		withCA := f.certWithID(server.ID, "EC", clients, "mtls.example.com")
		withCA.Version = 2
		f.load(domain("d1", "mtls.example.com", true, withCA))
		if st, body := get("mtls.example.com"); st != http.StatusMisdirectedRequest {
			t.Errorf("h2=%v: verification turned on, the old connection: %d %s; want 421", h2, st, body)
		}

		// A client with a certificate of the CA, then the CA replaced.
		_, getCert := f.keepAlive("mtls.example.com", h2, clientCert(t, clients))
		if st, body := getCert("mtls.example.com"); st != 200 {
			t.Fatalf("h2=%v: a trusted client: %d %s", h2, st, body)
		}
		newCA := f.certWithID(server.ID, "EC", others, "mtls.example.com")
		newCA.Version = 3
		f.load(domain("d1", "mtls.example.com", true, newCA))
		if st, body := getCert("mtls.example.com"); st != http.StatusMisdirectedRequest {
			t.Errorf("h2=%v: the CA replaced, the old connection: %d %s; want 421", h2, st, body)
		}
	}

	// A wildcard that verifies nobody, then a verifying exact name below it.
	f := newFixture(t, Config{})
	clients := newCA(t, "Client CA")
	wild := domain("w", "*.example.com", false, f.cert("EC", nil, "*.example.com"))
	f.load(wild)
	_, get := f.keepAlive("api.example.com", false)
	if st, _ := get("api.example.com"); st != 200 {
		t.Fatalf("the wildcard: %d", st)
	}
	f.load(wild, domain("e", "api.example.com", true, f.cert("EC", clients, "api.example.com")))
	if st, body := get("api.example.com"); st != http.StatusMisdirectedRequest {
		t.Errorf("a verifying exact name added under the wildcard, the old connection: %d %s; want 421", st, body)
	}
}

// TestMinimumVersionRaisedReachesLiveConnections: a TLS 1.1 connection
// made while its domain allowed it is refused once the domain asks 1.2.
func TestMinimumVersionRaisedReachesLiveConnections(t *testing.T) {
	f := newFixture(t, Config{})
	c := f.cert("EC", nil, "old.example.com")
	d := domain("d1", "old.example.com", false, c)
	d.Domain.MinTLSVersion = "TLSv1.1"
	f.load(d)
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "old.example.com", RootCAs: f.roots, MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11}}
	client := &http.Client{Transport: tr}
	defer client.CloseIdleConnections()
	get := func() int {
		resp, err := client.Get("https://" + f.addr + "/x")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body) // read to the end, so the connection is reused
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(); st != 200 {
		t.Fatalf("TLS 1.1 while allowed: %d", st)
	}
	raised := domain("d1", "old.example.com", false, c)
	f.load(raised)
	if st := get(); st != http.StatusMisdirectedRequest {
		t.Errorf("TLS 1.1 after the minimum became TLSv1.2: %d; want 421", st)
	}
}

// TestSameNameOnTwoListeners: names are unique per listener, so one
// tenant may hold a name over HTTPS only and another over HTTP only; each
// listener serves its own (found by review: one index hid the other).
func TestSameNameOnTwoListeners(t *testing.T) {
	f := newFixture(t, Config{})
	a := domain("a", "shop.example.com", false, f.cert("EC", nil, "shop.example.com"))
	a.Domain.HTTPPort = -1
	b := domain("b", "shop.example.com", false)
	b.Domain.AccountID, b.Domain.HTTPSPort = "999999999999", -1
	for _, order := range [][]*store.Served{{a, b}, {b, a}} {
		f.load(order...)
		if cs, err := f.dial("shop.example.com", nil); err != nil || leafNames(cs) != "shop.example.com" {
			t.Errorf("the HTTPS tenant's handshake: %v", err)
		}
		h := f.gw.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "routed") }), 8443)
		rec := &recorder{header: http.Header{}}
		req, _ := http.NewRequest("GET", "http://shop.example.com/", nil)
		h.ServeHTTP(rec, req)
		if rec.status != 200 {
			t.Errorf("the HTTP tenant's request: %d; want routed", rec.status)
		}
	}
}

// TestVerifyingDomainNotOverPlainHTTP: plain HTTP would bypass client
// verification.
func TestVerifyingDomainNotOverPlainHTTP(t *testing.T) {
	f := newFixture(t, Config{})
	f.load(domain("d1", "mtls.example.com", true, f.cert("EC", newCA(t, "Client CA"), "mtls.example.com")))
	h := f.gw.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "routed") }), 8443)
	rec := &recorder{header: http.Header{}}
	req, _ := http.NewRequest("GET", "http://mtls.example.com/", nil)
	h.ServeHTTP(rec, req)
	if rec.status != http.StatusBadRequest {
		t.Errorf("plain HTTP to a verifying domain: %d; want 400", rec.status)
	}
}

// TestUnknownNameTLS11: a TLS 1.1 client with an unknown name hears
// unrecognized_name too, not protocol_version.
func TestUnknownNameTLS11(t *testing.T) {
	f := newFixture(t, Config{})
	f.load()
	for _, sni := range []string{"unknown.test", ""} {
		_, err := f.dial(sni, &tls.Config{MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11})
		if err == nil || !strings.Contains(err.Error(), "unrecognized name") {
			t.Errorf("TLS 1.1, SNI %q: %v; want unrecognized_name", sni, err)
		}
	}
}

// TestTicketKeysRotate: a session resumes across one rotation of its
// domain's ticket key (the key before is kept) and not across two.
func TestTicketKeysRotate(t *testing.T) {
	f := newFixture(t, Config{})
	clock := time.Now()
	f.gw.mu.Lock()
	f.gw.now = func() time.Time { return clock }
	f.gw.mu.Unlock()
	f.load(domain("d1", "a.example.com", false, f.cert("EC", nil, "a.example.com")))
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cache := tls.NewLRUClientSessionCache(4)
		cfg := &tls.Config{ClientSessionCache: cache, MinVersion: v, MaxVersion: v}
		if _, err := f.dial("a.example.com", cfg); err != nil {
			t.Fatal(err)
		}
		advance := func(d time.Duration) {
			f.gw.mu.Lock()
			clock = clock.Add(d)
			f.gw.mu.Unlock()
			if err := f.gw.Reload(context.Background()); err != nil { // same revision: the hourly rotation check
				t.Fatal(err)
			}
		}
		advance(25 * time.Hour)
		cs, err := f.dial("a.example.com", cfg)
		if err != nil || !cs.DidResume {
			t.Errorf("version %x: a session did not resume after one rotation (%v)", v, err)
		}
		// The resumption above was issued a new ticket under the new key;
		// a fresh cache holds only the old one.
		old := tls.NewLRUClientSessionCache(4)
		cfgOld := &tls.Config{ClientSessionCache: old, MinVersion: v, MaxVersion: v}
		if _, err := f.dial("a.example.com", cfgOld); err != nil {
			t.Fatal(err)
		}
		advance(25 * time.Hour)
		advance(25 * time.Hour)
		cs, err = f.dial("a.example.com", cfgOld)
		if err != nil || cs.DidResume {
			t.Errorf("version %x: a session resumed after two rotations (%v)", v, err)
		}
	}
}
