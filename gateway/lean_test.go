package gateway

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/certgate/certgate"
)

// The request path's allocations, which the wrk profile showed as a large
// part of the gateway's CPU (the allocations and the GC they cause). The
// bounds sit between what the code allocated before it was made leaner
// and what it allocates now; counts and bytes, not time, so a slow
// machine cannot fail them.

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestProxyReusesCopyBuffers: a proxied response no longer allocates a
// 32 KB copy buffer of its own.
func TestProxyReusesCopyBuffers(t *testing.T) {
	p := NewProxy(nil)
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2, Request: r}, nil
	})
	up := &Upstream{URL: mustURL(t, "https://backend.test/x"), Transport: tr}
	fail := func(w http.ResponseWriter, _ *http.Request, _ Failure) { w.WriteHeader(502) }
	serve := func() {
		w := httptest.NewRecorder()
		p.Serve(w, httptest.NewRequest("GET", "http://gw.test/x", nil), up, fail)
		if w.Code != 200 || w.Body.String() != "ok" {
			t.Fatalf("%d %q", w.Code, w.Body.String())
		}
	}
	serve()
	const n = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		serve()
	}
	runtime.ReadMemStats(&after)
	perReq := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("%d bytes allocated per proxied request", perReq)
	if perReq >= 24<<10 {
		t.Errorf("%d bytes allocated per proxied request: a copy buffer each (32 KB), not pooled", perReq)
	}
	// A buffer of another size is not pooled, and a pooled one is whole.
	copyBuffers{}.Put(make([]byte, 10))
	if b := (copyBuffers{}).Get(); len(b) != 32<<10 {
		t.Errorf("pooled buffer of %d bytes", len(b))
	}
}

// TestAccessLogAllocations: the access line is written with typed
// attributes, and says the same.
const (
	accessLogAllocBound = 6  // 11 before, 2 now
	awsCallAllocBound   = 10 // 15 before, 6 now
)

func TestAccessLogAllocations(t *testing.T) {
	var out strings.Builder
	g := &Gateway{access: slog.New(slog.NewJSONHandler(&out, nil))}
	r := httptest.NewRequest("GET", "http://gw.test/prod/x?secret=1", nil)
	r.TLS = &tls.ConnectionState{}
	w := &statusWriter{status: 200}
	e := &accessEntry{requestID: "0123456789abcdef0123456789abcdef", dialect: "aws", route: "abc/prod/{x}", upstream: 200}
	g.logAccess(r, w, e, 1500000)
	line := out.String()
	for _, want := range []string{`"msg":"access"`, `"request_id":"0123456789abcdef0123456789abcdef"`, `"dialect":"aws"`,
		`"client":"192.0.2.1"`, `"host":"gw.test"`, `"method":"GET"`, `"path":"/prod/x"`, `"route":"abc/prod/{x}"`,
		`"status":200`, `"duration_ms":1.5`, `"upstream_status":200`, `"upstream_ms":0`} {
		if !strings.Contains(line, want) {
			t.Errorf("access line %s lacks %s", line, want)
		}
	}
	if strings.Contains(line, "secret") {
		t.Errorf("the query reached the access line: %s", line)
	}
	g.access = slog.New(slog.NewJSONHandler(io.Discard, nil))
	allocs := testing.AllocsPerRun(200, func() { g.logAccess(r, w, e, 1500000) })
	t.Logf("%.0f allocations per access line", allocs)
	if allocs > accessLogAllocBound {
		t.Errorf("%.0f allocations per access line, want at most %d", allocs, accessLogAllocBound)
	}
	// Disabled, nothing is built.
	g.access = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if allocs := testing.AllocsPerRun(200, func() { g.logAccess(r, w, e, 1500000) }); allocs != 0 {
		t.Errorf("%.0f allocations per access line when the access log is off", allocs)
	}
}

// TestAWSCallAllocations: a URI without variables skips the expressions,
// and one with them is still filled (raw and escaped forms, stage
// variables).
func TestAWSCallAllocations(t *testing.T) {
	st := restStage("abc", "prod", nil)
	awsSt := &awsStage{stage: st.Stage, api: st.API}
	r := httptest.NewRequest("GET", "http://gw.test/prod/a/b", nil)
	literal := &certgate.Integration{Type: "HTTP_PROXY", HTTPMethod: "ANY", URI: "https://backend.test/fixed"}
	c, err := awsCall(r, awsSt, literal, map[string]string{"proxy": "a/b"}, "rid")
	if err != nil || c.url.String() != "https://backend.test/fixed" {
		t.Fatalf("%v %v", c, err)
	}
	allocs := testing.AllocsPerRun(200, func() { _, _ = awsCall(r, awsSt, literal, map[string]string{"proxy": "a/b"}, "rid") })
	t.Logf("%.0f allocations per literal integration call", allocs)
	if allocs > awsCallAllocBound {
		t.Errorf("%.0f allocations per literal integration call, want at most %d", allocs, awsCallAllocBound)
	}
	for uri, want := range map[string]string{
		"https://backend.test/p/{proxy}":                   "https://backend.test/p/a/b%20c",
		"https://backend.test/p/%7Bproxy%7D":               "https://backend.test/p/a/b%20c",
		"https://backend.test/${stageVariables.sub}/{x+}":  "https://backend.test/v/",
		"https://backend.test/q?from=uri":                  "https://backend.test/q?from=uri&q=1",
		"https://backend.test/${stageVariables.none}/lit/": "https://backend.test//lit/",
	} {
		r := httptest.NewRequest("GET", "http://gw.test/prod/a?q=1", nil)
		if !strings.Contains(uri, "?") {
			r = httptest.NewRequest("GET", "http://gw.test/prod/a", nil)
		}
		c, err := awsCall(r, awsSt, &certgate.Integration{Type: "HTTP_PROXY", URI: uri}, map[string]string{"proxy": "a/b c"}, "rid")
		if err != nil || c.url.String() != want {
			t.Errorf("%s: %v %v, want %s", uri, c.url, err, want)
		}
	}
}

// TestAWSQueryMappingReadsTheRequest: a mapping reads the request's query
// as sent, whatever other mappings set on the backend's.
func TestAWSQueryMappingReadsTheRequest(t *testing.T) {
	st := restStage("abc", "prod", nil)
	awsSt := &awsStage{stage: st.Stage, api: st.API}
	in := &certgate.Integration{Type: "HTTP_PROXY", URI: "https://backend.test/x", RequestParameters: map[string]string{
		"integration.request.querystring.q":   "'fixed'",
		"integration.request.header.X-Q":      "method.request.querystring.q",
		"integration.request.querystring.old": "method.request.querystring.q",
	}}
	for range 20 { // map order varies
		r := httptest.NewRequest("GET", "http://gw.test/prod/x?q=sent", nil)
		c, err := awsCall(r, awsSt, in, nil, "rid")
		if err != nil {
			t.Fatal(err)
		}
		if got := c.setHeader.Get("X-Q"); got != "sent" || c.url.RawQuery != "old=sent&q=fixed" {
			t.Fatalf("header %q, query %q", got, c.url.RawQuery)
		}
	}
}
