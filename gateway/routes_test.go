package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// echoBackend answers every request with what it received, as JSON.
type echoed struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Raw    string              `json:"raw"`
	Query  map[string][]string `json:"query"`
	Header http.Header         `json:"header"`
	Host   string              `json:"host"`
}

func echoBackend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		if r.URL.Path == "/slow" {
			time.Sleep(2 * time.Second)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", "echo")
		if r.URL.Path == "/status/418" {
			w.WriteHeader(418)
		}
		_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, Path: r.URL.Path, Raw: r.URL.EscapedPath(), Query: r.URL.Query(),
			Header: r.Header, Host: r.Host})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// routeFixture is a gateway over a fake source, its plain-HTTP listener on
// loopback.
type routeFixture struct {
	access syncBuffer
	t      *testing.T
	src    *fakeSource
	gw     *Gateway
	addr   string
}

func newRouteFixture(t *testing.T) *routeFixture {
	t.Helper()
	f := &routeFixture{t: t, src: &fakeSource{}}
	f.gw = New(Config{Source: f.src, AccessLog: slog.New(slog.NewJSONHandler(&f.access, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f.gw.HTTP(nil, 443), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	f.addr = ln.Addr().String()
	return f
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines returns the access log's lines as JSON objects, and empties it.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("access log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	s.b.Reset()
	return out
}

func (f *routeFixture) load(rt *store.Routes) {
	f.t.Helper()
	f.src.setRoutes(rt)
	if err := f.gw.Reload(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

type answer struct {
	status int
	header http.Header
	body   string
	echo   echoed
	err    struct {
		Code    string `json:"error_code"`
		Msg     string `json:"error_msg"`
		ID      string `json:"request_id"`
		Message string `json:"message"`
	}
}

// do sends method url (its host put in the Host header) with headers.
func (f *routeFixture) do(method, host, path string, hdr ...string) answer {
	f.t.Helper()
	req, err := http.NewRequest(method, "http://"+f.addr+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return readAnswer(resp)
}

const (
	groupID = "0123456789abcdef0123456789abcdef"
	instID  = "fedcba9876543210fedcba9876543210"
	slHost  = groupID + ".apic.certgate.local"
)

var nv int

// version is a published API version of groupID in env.
func version(env, method, path, mode string, spec certgate.APISpec) *certgate.APIVersion {
	nv++
	id := strings.Repeat("0", 30) + string(rune('a'+nv/26)) + string(rune('a'+nv%26))
	return &certgate.APIVersion{ID: id, AccountID: "acct", InstanceID: instID, APIID: "api" + id, EnvID: env, Current: true,
		API: certgate.API{ID: "api" + id, AccountID: "acct", InstanceID: instID, GroupID: groupID, Method: method, Path: path, MatchMode: mode, Spec: spec}}
}

func httpSpec(backend *httptest.Server, method, path string) certgate.APISpec {
	return certgate.APISpec{Protocol: "BOTH", AuthType: "NONE", BackendType: "HTTP",
		Backend: &certgate.HTTPBackend{Address: strings.TrimPrefix(backend.URL, "http://"), Protocol: "HTTP", Method: method, Path: path, Timeout: 1000}}
}

func TestHuaweiRouting(t *testing.T) {
	be := echoBackend(t)
	f := newRouteFixture(t)
	group := &certgate.APIGroup{ID: groupID, AccountID: "acct", InstanceID: instID, SLDomainAccess: true}
	dev := &certgate.Environment{ID: "envdev", AccountID: "acct", InstanceID: instID, Name: "DEV"}

	// The spec's example: /v1.0/{test01}?test03 with header test02 → backend
	// /v1.0/{test05}, test05 from test02, headers test01 and test03.
	mapped := httpSpec(be, "GET", "/v1.0/{test05}")
	mapped.ReqParams = []certgate.APIParam{{ID: "p1", Name: "test01", Location: "PATH", Required: 1}, {ID: "p2", Name: "test02", Location: "HEADER", Required: 1},
		{ID: "p3", Name: "test03", Location: "QUERY", Required: 2}}
	mapped.BackendParams = []certgate.BackendParam{{Origin: "REQUEST", Name: "test05", Location: "PATH", Value: "test02", ReqParamID: "p2"},
		{Origin: "REQUEST", Name: "test01", Location: "HEADER", Value: "test01", ReqParamID: "p1"},
		{Origin: "REQUEST", Name: "test03", Location: "HEADER", Value: "test03", ReqParamID: "p3"},
		{Origin: "CONSTANT", Name: "fixed", Location: "QUERY", Value: "a b"},
		{Origin: "SYSTEM", Name: "X-Req", Location: "HEADER", Value: "$context.requestId"}}
	httpsOnly := httpSpec(be, "GET", "/secure")
	httpsOnly.Protocol = "HTTPS"
	iam := httpSpec(be, "GET", "/iam")
	iam.AuthType = "IAM"
	mock := certgate.APISpec{Protocol: "BOTH", AuthType: "NONE", BackendType: "MOCK", Mock: &certgate.MockBackend{ResultContent: `{"mock":true}`}}
	down := httpSpec(be, "GET", "/")
	down.Backend.Address = "127.0.0.1:1"

	rt := &store.Routes{Groups: []*certgate.APIGroup{group}, Environments: []*certgate.Environment{dev}, Versions: []*certgate.APIVersion{
		version(certgate.ReleaseEnvironmentID, "GET", "/test/", "SWA", httpSpec(be, "GET", "/test2/")),
		version(certgate.ReleaseEnvironmentID, "GET", "/test/AA", "SWA", httpSpec(be, "GET", "/longer")),
		version(certgate.ReleaseEnvironmentID, "GET", "/test/AA", "NORMAL", httpSpec(be, "GET", "/normal")),
		version(certgate.ReleaseEnvironmentID, "ANY", "/items/{id}", "NORMAL", httpSpec(be, "ANY", "/any")),
		version(certgate.ReleaseEnvironmentID, "POST", "/items/{id}", "NORMAL", httpSpec(be, "POST", "/post")),
		version(certgate.ReleaseEnvironmentID, "GET", "/items/new", "NORMAL", httpSpec(be, "GET", "/literal")),
		version(certgate.ReleaseEnvironmentID, "GET", "/files/{rest+}", "NORMAL", httpSpec(be, "GET", "/files")),
		version(certgate.ReleaseEnvironmentID, "GET", "/v1.0/{test01}", "NORMAL", mapped),
		version(certgate.ReleaseEnvironmentID, "GET", "/slash/", "NORMAL", httpSpec(be, "GET", "/with-slash")),
		version(certgate.ReleaseEnvironmentID, "GET", "/secure", "NORMAL", httpsOnly),
		version(certgate.ReleaseEnvironmentID, "GET", "/iam", "NORMAL", iam),
		version(certgate.ReleaseEnvironmentID, "GET", "/mock", "NORMAL", mock),
		version(certgate.ReleaseEnvironmentID, "GET", "/down", "NORMAL", down),
		version("envdev", "GET", "/test/AA", "NORMAL", httpSpec(be, "GET", "/dev")),
		version(certgate.ReleaseEnvironmentID, "POST", "/upload", "NORMAL", httpSpec(be, "POST", "/read")),
	}}
	f.load(rt)

	for _, c := range []struct {
		name, method, path string
		hdr                []string
		want               string // the backend path, or "code status msg"
	}{
		{"SWA appends the rest", "GET", "/test/BB/CC", nil, "/test2/BB/CC"},
		{"SWA: the longest prefix wins", "GET", "/test/AA/BB", nil, "/longer/BB"},
		{"SWA on a segment boundary only", "GET", "/test/AACC", nil, "/test2/AACC"},
		{"NORMAL beats SWA", "GET", "/test/AA", nil, "/normal"},
		{"a literal beats a variable", "GET", "/items/new", nil, "/literal"},
		{"a method beats ANY", "POST", "/items/7", nil, "/post"},
		{"ANY serves the rest", "DELETE", "/items/7", nil, "/any"},
		{"{x+} takes the rest", "GET", "/files/a/b", nil, "/files"},
		{"{x+} needs a segment", "GET", "/files/", nil, "APIG.0101 404 The API does not exist or has not been published in the environment"},
		{"a trailing slash matters", "GET", "/slash", nil, "APIG.0101 404 The API does not exist or has not been published in the environment"},
		{"the trailing slash route", "GET", "/slash/", nil, "/with-slash"},
		{"the path matches, the method does not", "PUT", "/test/AA", nil, "APIG.0101 404 The API does not exist"},
		{"X-Stage selects the environment", "GET", "/test/AA", []string{"X-Stage", "DEV"}, "/dev"},
		{"an unknown environment", "GET", "/test/AA", []string{"X-Stage", "NOPE"}, "APIG.0101 404 The API does not exist or has not been published in the environment"},
		{"the protocol", "GET", "/secure", nil, "APIG.0607 400 The following protocol is supported: HTTPS"},
		{"IAM is refused", "GET", "/iam", nil, "APIG.0301 401 Incorrect IAM authentication information: the gateway does not verify IAM credentials"},
		{"a required parameter", "GET", "/v1.0/x", nil, "APIG.0201 400 API request error: the required header parameter test02 is missing"},
		{"the backend is down", "GET", "/down", nil, "APIG.0202 502 Backend unavailable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := f.do(c.method, slHost, c.path, c.hdr...)
			if a.header.Get("Server") != "api-gateway" || len(a.header.Get("X-Request-Id")) != 32 {
				t.Errorf("headers %v", a.header)
			}
			if strings.HasPrefix(c.want, "/") {
				if a.status != 200 || a.echo.Path != c.want {
					t.Fatalf("%s %s: %d, backend path %q (%s); want %q", c.method, c.path, a.status, a.echo.Path, a.body, c.want)
				}
				return
			}
			got := a.err.Code + " " + itoa(a.status) + " " + a.err.Msg
			if got != c.want || a.err.ID != a.header.Get("X-Request-Id") {
				t.Fatalf("%s %s: %q (%s); want %q", c.method, c.path, got, a.body, c.want)
			}
		})
	}

	t.Run("parameters are mapped", func(t *testing.T) {
		a := f.do("GET", slHost, "/v1.0/one?test03=three&other=o", "test02", "two", "X-Forwarded-For", "6.6.6.6")
		e := a.echo
		if e.Path != "/v1.0/two" || e.Header.Get("test01") != "one" || e.Header.Get("test03") != "three" ||
			e.Header.Get("test02") != "" || e.Query["test03"] != nil || e.Query["other"][0] != "o" || e.Query["fixed"][0] != "a b" {
			t.Fatalf("backend saw %+v", e)
		}
		if e.Header.Get("X-Req") != a.header.Get("X-Request-Id") {
			t.Errorf("$context.requestId %q, the response's id %q", e.Header.Get("X-Req"), a.header.Get("X-Request-Id"))
		}
		if xff := e.Header.Get("X-Forwarded-For"); xff != "127.0.0.1" {
			t.Errorf("X-Forwarded-For %q: a client's own must not pass", xff)
		}
	})
	t.Run("limits", func(t *testing.T) {
		post := func(body io.Reader, n int64) (int, string) {
			req, _ := http.NewRequest("POST", "http://"+f.addr+"/upload", body)
			req.Host, req.ContentLength = slHost, n
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, body := post(strings.NewReader("small"), 5); code != 200 {
			t.Errorf("a small body: %d %s", code, body)
		}
		big := int64(huaweiBodyLimit + 1)
		if code, body := post(io.LimitReader(zeros{}, big), big); code != 413 || !strings.Contains(body, `"error_code":"APIG.0201"`) {
			t.Errorf("a declared 12 MiB + 1 body: %d %s", code, body)
		}
		if code, body := post(io.LimitReader(zeros{}, big), -1); code != 413 || !strings.Contains(body, "Request entity too large") {
			t.Errorf("a chunked 12 MiB + 1 body: %d %s", code, body)
		}
		if a := f.do("GET", slHost, "/test/AA?"+strings.Repeat("x", huaweiURILimit)); a.status != 414 || a.err.Code != "APIG.0201" {
			t.Errorf("a 32 KiB URI: %d %s", a.status, a.body)
		}
	})
	t.Run("mock", func(t *testing.T) {
		a := f.do("GET", slHost, "/mock")
		if a.status != 200 || a.body != `{"mock":true}` || a.header.Get("Content-Type") != "application/json" {
			t.Fatalf("mock: %d %q %v", a.status, a.body, a.header)
		}
	})
	t.Run("another host", func(t *testing.T) {
		a := f.do("GET", "ffffffffffffffffffffffffffffffff.apic.certgate.local", "/test/AA")
		if a.status != 404 || a.err.Code != "APIG.0101" {
			t.Fatalf("unknown group: %d %s", a.status, a.body)
		}
	})
	t.Run("the debugging domain switched off", func(t *testing.T) {
		off := *group
		off.SLDomainAccess = false
		rt2 := *rt
		rt2.Groups = []*certgate.APIGroup{&off}
		f.load(&rt2)
		defer f.load(rt)
		if a := f.do("GET", slHost, "/test/AA"); a.status != 404 || a.err.Code != "APIG.0101" {
			t.Fatalf("sl_domain off: %d %s", a.status, a.body)
		}
	})
	t.Run("a bound domain selects its group", func(t *testing.T) {
		f.src.set(&store.Served{Domain: &certgate.Domain{ID: "d1", GroupID: groupID, Name: "api.example.com"}})
		if err := f.gw.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
		if a := f.do("GET", "API.example.com.", "/test/AA"); a.status != 200 || a.echo.Path != "/normal" {
			t.Fatalf("bound domain: %d %s", a.status, a.body)
		}
	})
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// restAPI is a REST API with one stage, its deployment's snapshot built
// from resources (path → methods).
func restStage(apiID, stage string, resources map[string]map[string]*certgate.Method) *store.ServedStage {
	type res struct {
		ID   string `json:"id"`
		Path string `json:"path"`
	}
	var snap struct {
		Resources []res             `json:"resources"`
		Methods   []json.RawMessage `json:"methods"`
	}
	i := 0
	for path, ms := range resources {
		i++
		id := "r" + itoa(i)
		snap.Resources = append(snap.Resources, res{ID: id, Path: path})
		for hm, m := range ms {
			b, _ := json.Marshal(deployedMethod{ResourceID: id, HTTPMethod: hm, Method: m})
			snap.Methods = append(snap.Methods, b)
		}
	}
	b, _ := json.Marshal(snap)
	scope := certgate.Scope{AccountID: "111111111111", Region: "eu-west-1"}
	return &store.ServedStage{
		Stage:      &certgate.Stage{Scope: scope, APIID: apiID, Name: stage, DeploymentID: "dep" + apiID, Variables: map[string]string{"sub": "v"}},
		Deployment: &certgate.Deployment{ID: "dep" + apiID, Scope: scope, APIID: apiID, Snapshot: string(b)},
		API:        &certgate.RestAPI{ID: apiID, Scope: scope},
	}
}

func proxyMethod(uri string, params map[string]string) *certgate.Method {
	return &certgate.Method{AuthorizationType: "NONE", Integration: &certgate.Integration{Type: "HTTP_PROXY", HTTPMethod: "ANY", URI: uri,
		RequestParameters: params, TimeoutInMillis: 500}}
}

func TestAWSRouting(t *testing.T) {
	be := echoBackend(t)
	f := newRouteFixture(t)
	mockM := &certgate.Method{AuthorizationType: "NONE", Integration: &certgate.Integration{Type: "MOCK",
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 201}`},
		Responses: map[string]*certgate.IntegrationResponse{"201": {StatusCode: "201", SelectionPattern: "2\\d\\d",
			ResponseParameters: map[string]string{"method.response.header.X-Mock": "'yes'"}, ResponseTemplates: map[string]string{"application/json": `{"mocked":1}`}}}}}
	httpM := &certgate.Method{AuthorizationType: "NONE", Integration: &certgate.Integration{Type: "HTTP", HTTPMethod: "GET", URI: be.URL + "/status/418",
		Responses: map[string]*certgate.IntegrationResponse{"200": {StatusCode: "200"}, "400": {StatusCode: "400", SelectionPattern: "4\\d\\d"}}}}
	slow := proxyMethod(be.URL+"/slow", nil)
	st := restStage("abc123", "prod", map[string]map[string]*certgate.Method{
		"/":               {"GET": proxyMethod(be.URL+"/root", nil)},
		"/{proxy+}":       {"ANY": proxyMethod(be.URL+"/p/{proxy}", map[string]string{"integration.request.path.proxy": "method.request.path.proxy"})},
		"/pets":           {"GET": proxyMethod(be.URL+"/pets-literal?from=uri", map[string]string{"integration.request.header.X-Stage-Var": "stageVariables.sub"})},
		"/pets/{id}":      {"GET": proxyMethod(be.URL+"/pet/{id}", nil)},
		"/mock":           {"GET": mockM},
		"/http":           {"GET": httpM},
		"/slow":           {"GET": slow},
		"/iam":            {"GET": {AuthorizationType: "AWS_IAM", Integration: slow.Integration}},
		"/down":           {"GET": proxyMethod("http://127.0.0.1:1/", nil)},
		"/vars/{a}/{b}":   {"GET": proxyMethod(be.URL+"/v/{b}/{a}", nil)},
		"/stagevar":       {"GET": proxyMethod(be.URL+"/${stageVariables.sub}", nil)},
		"/nomethod":       {},
		"/pets/{id}/toys": {"POST": proxyMethod(be.URL+"/toys", nil)},
	})
	f.load(&store.Routes{Stages: []*store.ServedStage{st}})

	for _, c := range []struct {
		name, method, host, path string
		want                     string // backend path, or "status type message"
	}{
		{"host-style root", "GET", "abc123.execute-api.localhost", "/prod", "/root"},
		{"host-style root with a slash", "GET", "abc123.execute-api.localhost", "/prod/", "/root"},
		{"path-style", "GET", "anything", "/_aws/execute-api/abc123/prod/pets", "/pets-literal"},
		{"the id is case-insensitive", "GET", "ABC123.execute-api.localhost", "/prod/pets/9", "/pet/9"},
		{"a literal beats {proxy+}", "GET", "abc123.execute-api.x", "/prod/pets", "/pets-literal"},
		{"{proxy+} takes the rest", "DELETE", "abc123.execute-api.x", "/prod/a/b%20c/d", "/p/a/b c/d"},
		{"a variable beats {proxy+}", "GET", "abc123.execute-api.x", "/prod/pets/9", "/pet/9"},
		{"backtracking to {proxy+}", "GET", "abc123.execute-api.x", "/prod/pets/9/other", "/p/pets/9/other"},
		{"a resource without the method", "GET", "abc123.execute-api.x", "/prod/pets/9/toys", "403 MissingAuthenticationTokenException Missing Authentication Token"},
		{"unmapped variables take their method's", "GET", "abc123.execute-api.x", "/prod/vars/1/2", "/v/2/1"},
		{"stage variables in the URI", "GET", "abc123.execute-api.x", "/prod/stagevar", "/v"},
		{"no method", "GET", "abc123.execute-api.x", "/prod/nomethod", "403 MissingAuthenticationTokenException Missing Authentication Token"},
		{"an unknown stage", "GET", "abc123.execute-api.x", "/dev/pets", "404 NotFoundException The API id 'abc123' does not correspond to a deployed API Gateway API"},
		{"an unknown API", "GET", "zzz.execute-api.x", "/prod/pets", "404 NotFoundException The API id 'zzz' does not correspond to a deployed API Gateway API"},
		{"IAM is refused", "GET", "abc123.execute-api.x", "/prod/iam", "403 MissingAuthenticationTokenException Missing Authentication Token"},
		{"the backend is down", "GET", "abc123.execute-api.x", "/prod/down", "502 InternalServerErrorException Internal server error"},
		{"the backend times out", "GET", "abc123.execute-api.x", "/prod/slow", "504 InternalServerErrorException Endpoint request timed out"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := f.do(c.method, c.host, c.path)
			if len(a.header.Get("x-amzn-RequestId")) != 32 {
				t.Errorf("x-amzn-RequestId %q", a.header.Get("x-amzn-RequestId"))
			}
			if strings.HasPrefix(c.want, "/") {
				if a.status != 200 || a.echo.Path != c.want {
					t.Fatalf("%s %s: %d, backend path %q (%s); want %q", c.method, c.path, a.status, a.echo.Path, a.body, c.want)
				}
				return
			}
			got := itoa(a.status) + " " + a.header.Get("x-amzn-ErrorType") + " " + a.err.Message
			if got != c.want {
				t.Fatalf("%s %s: %q (%s); want %q", c.method, c.path, got, a.body, c.want)
			}
		})
	}
	t.Run("the access log", func(t *testing.T) {
		f.access.lines(t)
		a := f.do("GET", "abc123.execute-api.x", "/prod/pets/9?secret=s3cr3t")
		f.do("GET", "abc123.execute-api.x", "/prod/down")
		ls := f.access.lines(t)
		if len(ls) != 2 {
			t.Fatalf("%d access lines, want 2", len(ls))
		}
		l := ls[0]
		if l["route"] != "abc123/prod/pets/{id}" || l["status"] != 200.0 || l["upstream_status"] != 200.0 ||
			l["request_id"] != a.header.Get("x-amzn-RequestId") || l["dialect"] != "aws" || l["path"] != "/prod/pets/9" {
			t.Errorf("access line %v", l)
		}
		if l := ls[1]; l["status"] != 502.0 || l["failure"] != "unreachable" || l["upstream_status"] != 0.0 {
			t.Errorf("access line of a failed call %v", l)
		}
		if strings.Contains(fmt.Sprint(ls), "s3cr3t") {
			t.Error("the query string reached the access log")
		}
	})
	t.Run("query, headers and mappings pass", func(t *testing.T) {
		a := f.do("GET", "abc123.execute-api.x", "/prod/pets?q=1")
		if a.echo.Query["q"][0] != "1" || a.echo.Query["from"][0] != "uri" || a.echo.Header.Get("X-Stage-Var") != "v" {
			t.Fatalf("backend saw %+v", a.echo)
		}
	})
	t.Run("mock", func(t *testing.T) {
		a := f.do("GET", "abc123.execute-api.x", "/prod/mock")
		if a.status != 201 || a.body != `{"mocked":1}` || a.header.Get("X-Mock") != "yes" {
			t.Fatalf("mock: %d %q %v", a.status, a.body, a.header)
		}
	})
	t.Run("HTTP maps the status", func(t *testing.T) {
		a := f.do("GET", "abc123.execute-api.x", "/prod/http")
		if a.status != 400 {
			t.Fatalf("HTTP integration: %d (backend said 418, selected 4\\d\\d → 400)", a.status)
		}
	})
	t.Run("disableExecuteApiEndpoint", func(t *testing.T) {
		st2 := *st
		api := *st.API
		api.DisableExecuteAPIEndpoint = true
		st2.API = &api
		f.load(&store.Routes{Stages: []*store.ServedStage{&st2}})
		if a := f.do("GET", "abc123.execute-api.x", "/prod/pets"); a.status != 403 || a.err.Message != "Forbidden" {
			t.Fatalf("disabled endpoint: %d %s", a.status, a.body)
		}
	})
}

// readAnswer reads resp whole: the echo backend's report, or an error body.
func readAnswer(resp *http.Response) answer {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if resp.Header.Get("X-Backend") == "echo" {
		_ = json.Unmarshal(b, &a.echo)
	} else {
		_ = json.Unmarshal(b, &a.err)
	}
	return a
}
