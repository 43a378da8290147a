package gateway

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// rawGet sends a request line as written (a client library would clean or
// re-encode the path), and reads the answer.
func (f *routeFixture) rawGet(host, target string, hdr ...string) answer {
	f.t.Helper()
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		f.t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
	for i := 0; i+1 < len(hdr); i += 2 {
		req += hdr[i] + ": " + hdr[i+1] + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		f.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return readAnswer(resp)
}

func loadReviewRoutes(f *routeFixture, backendURL, backendAddr string) {
	st := restStage("abc123", "prod", map[string]map[string]*certgate.Method{
		"/{proxy+}": {"ANY": proxyMethod(backendURL+"/base/{proxy}", map[string]string{"integration.request.path.proxy": "method.request.path.proxy",
			"integration.request.header.X-H": "method.request.querystring.h"})},
		"/hdr":   {"GET": proxyMethod(backendURL+"/base/{p}", map[string]string{"integration.request.path.p": "method.request.header.X-P"})},
		"/fixed": {"GET": proxyMethod(backendURL+"/fixed?role=user", nil)},
	})
	group := &certgate.APIGroup{ID: groupID, AccountID: "acct", InstanceID: instID, SLDomainAccess: true}
	spec := func(path string) certgate.APISpec {
		return certgate.APISpec{Protocol: "BOTH", AuthType: "NONE", BackendType: "HTTP",
			Backend: &certgate.HTTPBackend{Address: backendAddr, Protocol: "HTTP", Method: "GET", Path: path, Timeout: 1000}}
	}
	byPath := spec("/hbase/{x}")
	byPath.ReqParams = []certgate.APIParam{{ID: "p1", Name: "x", Location: "PATH", Required: 1}, {ID: "p2", Name: "q", Location: "QUERY"}}
	byPath.BackendParams = []certgate.BackendParam{{Origin: "REQUEST", Name: "x", Location: "PATH", ReqParamID: "p1"},
		{Origin: "REQUEST", Name: "X-Q", Location: "HEADER", ReqParamID: "p2"}}
	byHeader := spec("/hbase/{y}")
	byHeader.ReqParams = []certgate.APIParam{{ID: "p3", Name: "X-Y", Location: "HEADER", Required: 1}}
	byHeader.BackendParams = []certgate.BackendParam{{Origin: "REQUEST", Name: "y", Location: "PATH", ReqParamID: "p3"}}
	f.load(&store.Routes{Stages: []*store.ServedStage{st}, Groups: []*certgate.APIGroup{group}, Versions: []*certgate.APIVersion{
		version(certgate.ReleaseEnvironmentID, "GET", "/swa/", "SWA", spec("/sbase/")),
		version(certgate.ReleaseEnvironmentID, "GET", "/n/{x}", "NORMAL", byPath),
		version(certgate.ReleaseEnvironmentID, "GET", "/h", "NORMAL", byHeader),
	}})
}

// A caller must not climb out of the backend's base path with dot
// segments, whether sent plainly, percent-encoded, behind an encoded
// slash, or through a mapped header: a backend (nginx, most frameworks)
// resolves them, so /base/a/../../secret reaches /secret.
func TestDotSegmentsNeverReachTheBackend(t *testing.T) {
	be := echoBackend(t)
	f := newRouteFixture(t)
	loadReviewRoutes(f, be.URL, strings.TrimPrefix(be.URL, "http://"))
	const awsHost = "abc123.execute-api.x"
	for _, c := range []struct{ name, host, target, hdrName, hdrValue, want string }{
		{"AWS {proxy+} ..", awsHost, "/prod/a/../../secret", "", "", "400 BadRequestException"},
		{"AWS {proxy+} %2e%2e", awsHost, "/prod/a/%2e%2e/%2E%2E/secret", "", "", "400 BadRequestException"},
		{"AWS {proxy+} behind %2F", awsHost, "/prod/a%2F..%2F..%2Fsecret", "", "", "400 BadRequestException"},
		{"AWS {proxy+} is ..", awsHost, "/prod/..", "", "", "400 BadRequestException"},
		{"AWS {proxy+} is .", awsHost, "/prod/.", "", "", "400 BadRequestException"},
		{"AWS path-style", "anything", "/_aws/execute-api/abc123/prod/x/%2e%2e/%2e%2e/y", "", "", "400 BadRequestException"},
		{"AWS a header mapped to the path", awsHost, "/prod/hdr", "X-P", "../../secret", "400 BadRequestException"},
		{"Huawei SWA rest", slHost, "/swa/../../secret", "", "", "400 APIG.0201"},
		{"Huawei SWA rest %2e%2e", slHost, "/swa/%2e%2e/secret", "", "", "400 APIG.0201"},
		{"Huawei path variable", slHost, "/n/%2e%2e", "", "", "400 APIG.0201"},
		{"Huawei a header mapped to the path", slHost, "/h", "X-Y", "../../secret", "400 APIG.0201"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.hdrName != "" {
				hdr = []string{c.hdrName, c.hdrValue}
			}
			a := f.rawGet(c.host, c.target, hdr...)
			if a.header.Get("X-Backend") == "echo" {
				t.Fatalf("GET %s reached the backend as %q", c.target, a.echo.Raw)
			}
			got := itoa(a.status) + " " + a.header.Get("x-amzn-ErrorType") + a.err.Code
			if got != c.want {
				t.Fatalf("GET %s: %s (%s); want %s", c.target, got, a.body, c.want)
			}
		})
	}
	// What stays allowed: dots inside a segment, and double encoding
	// (passed on still encoded once, so the backend sees %2e%2e, not ..).
	for _, c := range []struct{ host, target, want string }{
		{awsHost, "/prod/a/..b/c.d", "/base/a/..b/c.d"},
		{awsHost, "/prod/a/%252e%252e/x", "/base/a/%252e%252e/x"},
		{slHost, "/swa/v1.0/...", "/sbase/v1.0/..."},
	} {
		if a := f.rawGet(c.host, c.target); a.status != 200 || a.echo.Raw != c.want {
			t.Errorf("GET %s: %d, backend saw %q (%s); want %q", c.target, a.status, a.echo.Raw, a.body, c.want)
		}
	}
}

// The integration URI's own query parameters are the owner's: a caller
// sending the same name must not add a value in front of them (a backend
// that reads the first value would take the caller's role=admin).
func TestIntegrationURIQueryIsNotOverridden(t *testing.T) {
	be := echoBackend(t)
	f := newRouteFixture(t)
	loadReviewRoutes(f, be.URL, strings.TrimPrefix(be.URL, "http://"))
	a := f.rawGet("abc123.execute-api.x", "/prod/fixed?role=admin&other=1&Role=x")
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if got := a.echo.Query["role"]; len(got) != 1 || got[0] != "user" {
		t.Errorf("the backend saw role=%q; want only the URI's user", got)
	}
	if a.echo.Query["other"][0] != "1" || a.echo.Query["Role"][0] != "x" {
		t.Errorf("the caller's other parameters must pass: %v", a.echo.Query)
	}
}

// A mapped header value with a control character (CR LF from a
// percent-encoded query or path parameter) is the caller's bad request,
// not a backend failure: it never reaches the wire (Go's transport
// refuses it), and the answer is the dialect's 400, not 502.
func TestMappedHeaderWithControlCharacters(t *testing.T) {
	be := echoBackend(t)
	f := newRouteFixture(t)
	loadReviewRoutes(f, be.URL, strings.TrimPrefix(be.URL, "http://"))
	for _, c := range []struct{ host, target, want string }{
		{"abc123.execute-api.x", "/prod/a?h=x%0d%0aX-Evil:%201", "400 BadRequestException"},
		{"abc123.execute-api.x", "/prod/a?h=x%00y", "400 BadRequestException"},
		{slHost, "/n/a?q=x%0d%0aX-Evil:1", "400 APIG.0201"},
	} {
		a := f.rawGet(c.host, c.target)
		got := itoa(a.status) + " " + a.header.Get("x-amzn-ErrorType") + a.err.Code
		if got != c.want {
			t.Errorf("GET %s: %s (%s); want %s", c.target, got, a.body, c.want)
		}
	}
	ls := f.access.lines(t)
	for _, l := range ls {
		if l["failure"] != nil {
			t.Errorf("logged as a backend failure: %v", l)
		}
	}
	// A tab is a legal header character and passes.
	if a := f.rawGet("abc123.execute-api.x", "/prod/a?h=x%09y"); a.status != 200 || a.echo.Header.Get("X-H") != "x\ty" {
		t.Errorf("a tab: %d %q %s", a.status, a.echo.Header.Get("X-H"), a.body)
	}
}

// h2cBackend switches to "h2c" when asked, as x/net's h2c.NewHandler,
// Envoy or Apache do, and then reads raw bytes: whatever comes after the
// switch reaches it unrouted. It records the Upgrade headers it saw.
func h2cBackend(t *testing.T) (*httptest.Server, *syncBuffer) {
	t.Helper()
	seen := &syncBuffer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := r.Header.Get("Upgrade")
		seen.Write([]byte(up + "\n"))
		if !strings.EqualFold(up, "h2c") {
			w.Header().Set("X-Backend", "echo")
			_ = json.NewEncoder(w).Encode(echoed{Path: r.URL.Path, Header: r.Header})
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString("tunneled:" + line)
		_ = brw.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

// An "Upgrade: h2c" request is never passed to a backend: a backend that
// switches would give the client a raw tunnel, in which it sends HTTP/2
// requests to any path of that backend, past the route's path, method
// and mapped headers (h2c smuggling). WebSocket upgrades still pass.
func TestH2CUpgradeIsNotTunneled(t *testing.T) {
	be, seen := h2cBackend(t)
	f := newRouteFixture(t)
	loadReviewRoutes(f, be.URL, strings.TrimPrefix(be.URL, "http://"))
	for _, c := range []struct{ host, target string }{
		{"abc123.execute-api.x", "/prod/public"},
		{slHost, "/swa/public"},
	} {
		conn, err := net.Dial("tcp", f.addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.WriteString(conn, "GET "+c.target+" HTTP/1.1\r\nHost: "+c.host+"\r\nConnection: Upgrade, HTTP2-Settings\r\n"+
			"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			_, _ = io.WriteString(conn, "GET /admin/not-routed HTTP/1.1\n")
			line, _ := br.ReadString('\n')
			t.Errorf("%s %s: the gateway tunneled h2c to the backend, which read %q", c.host, c.target, line)
		} else if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%s %s: %d %s; want the plain answer", c.host, c.target, resp.StatusCode, b)
		}
		conn.Close()
	}
	seen.mu.Lock()
	got := seen.b.String()
	seen.mu.Unlock()
	if strings.Contains(strings.ToLower(got), "h2c") {
		t.Errorf("the backend saw Upgrade headers %q", got)
	}
}
