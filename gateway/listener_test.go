package gateway

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// TestListenerRefusalsSpeakAWSToAWSRequests: the listener's own refusals
// of an AWS invocation are in AWS's format, and a custom domain's Huawei
// policy on the HTTP listener does not hold AWS's path-style invocations.
func TestListenerRefusalsSpeakAWSToAWSRequests(t *testing.T) {
	f := newFixture(t, Config{})
	clients := newCA(t, "Client CA")
	f.load(domain("d1", "open.example.com", false, f.cert("EC", nil, "open.example.com")),
		domain("d2", "mtls.example.com", true, f.cert("EC", clients, "mtls.example.com")))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: "open.example.com", RootCAs: f.roots}}}
	defer client.CloseIdleConnections()
	for path, want := range map[string]string{
		"/_aws/execute-api/abc/prod/x": `{"message":"Misdirected Request: the Host header names another domain than the TLS server name"}`,
		"/huawei":                      `"error_code":"APIG.0201"`,
	} {
		req, _ := http.NewRequest("GET", "https://"+f.addr+path, nil)
		req.Host = "mtls.example.com"
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		aws := strings.HasPrefix(path, "/_aws")
		if resp.StatusCode != 421 || !strings.Contains(string(b), want) || (resp.Header.Get("x-amzn-ErrorType") != "") != aws {
			t.Errorf("%s: %d %v %s; want 421 %s", path, resp.StatusCode, resp.Header, b, want)
		}
	}

	// Over plain HTTP, the verifying domain's name refuses Huawei requests
	// (400 APIG.0205) but serves an AWS stage path-style.
	r := newRouteFixture(t)
	st := restStage("abc123", "prod", map[string]map[string]*certgate.Method{
		"/": {"GET": {AuthorizationType: "NONE", Integration: &certgate.Integration{Type: "MOCK"}}}})
	r.src.served = []*store.Served{domain("d2", "mtls.example.com", true)}
	r.load(&store.Routes{Stages: []*store.ServedStage{st}})
	if a := r.do("GET", "mtls.example.com", "/x"); a.status != 400 || a.err.Code != "APIG.0205" {
		t.Errorf("Huawei request over HTTP to a verifying domain: %d %s", a.status, a.body)
	}
	if a := r.do("GET", "mtls.example.com", "/_aws/execute-api/abc123/prod/"); a.status != 200 {
		t.Errorf("AWS path-style over HTTP under a verifying domain's name: %d %s", a.status, a.body)
	}
}

// TestTrickledBodyAfterAnswer: a client that trickles a body the gateway
// did not need (a MOCK answer) has its connection closed soon after the
// answer, instead of holding it while net/http drains the body.
func TestTrickledBodyAfterAnswer(t *testing.T) {
	r := newRouteFixture(t)
	r.gw.drain = 300 * time.Millisecond
	st := restStage("abc123", "prod", map[string]map[string]*certgate.Method{
		"/": {"POST": {AuthorizationType: "NONE", Integration: &certgate.Integration{Type: "MOCK"}}}})
	r.load(&store.Routes{Stages: []*store.ServedStage{st}})
	conn, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /_aws/execute-api/abc123/prod/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	// net/http reads what is left of a small unread body before it sends
	// the answer: unbounded, that wait never ends.
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer while the body trickles: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("MOCK: %d", resp.StatusCode)
	}
	// Trickle: one byte every 50 ms. The server must close within a few
	// drain periods, long before the 100,000 bytes would arrive.
	done := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		for {
			if _, err := conn.Write([]byte("x")); err != nil {
				done <- time.Since(start)
				return
			}
			if time.Since(start) > 20*time.Second {
				done <- 0
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = br.ReadByte() // EOF once the server closes
	if err == nil || isTimeout(err) {
		t.Fatalf("the server kept the trickling connection open: %v", err)
	}
	t.Logf("connection closed %v after the answer", time.Since(start))
}

// TestInformationalStatusIsNeverFinal: an integration response whose
// status is 1xx is not written as a final answer.
func TestInformationalStatusIsNeverFinal(t *testing.T) {
	r := newRouteFixture(t)
	st := restStage("abc123", "prod", map[string]map[string]*certgate.Method{
		"/": {"GET": {AuthorizationType: "NONE", Integration: &certgate.Integration{Type: "MOCK",
			RequestTemplates: map[string]string{"application/json": `{"statusCode": 101}`},
			Responses:        map[string]*certgate.IntegrationResponse{"101": {StatusCode: "101", SelectionPattern: "1\\d\\d"}}}}}})
	r.load(&store.Routes{Stages: []*store.ServedStage{st}})
	if a := r.do("GET", "x", "/_aws/execute-api/abc123/prod/"); a.status != 200 {
		t.Errorf("a MOCK answering 101: %d", a.status)
	}
}

// TestClientRealIPDoesNotReachTheBackend: X-Real-IP, like X-Forwarded-For,
// is never the client's own.
func TestClientRealIPDoesNotReachTheBackend(t *testing.T) {
	be := echoBackend(t)
	r := newRouteFixture(t)
	st := restStage("abc123", "prod", map[string]map[string]*certgate.Method{"/": {"GET": proxyMethod(be.URL+"/", nil)}})
	r.load(&store.Routes{Stages: []*store.ServedStage{st}})
	a := r.do("GET", "x", "/_aws/execute-api/abc123/prod/", "X-Real-IP", "6.6.6.6")
	if a.status != 200 || a.echo.Header.Get("X-Real-Ip") != "" {
		t.Errorf("the backend saw X-Real-IP %q (%d)", a.echo.Header.Get("X-Real-Ip"), a.status)
	}
}
