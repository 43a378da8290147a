package gateway

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/certgate/certgate"
)

// The request path made leaner where the wrk profile showed allocations
// and the GC they cause: tests check that the lean forms still say and do
// the same; the benchmarks report the allocations (a test counting them
// would count every goroutine's, and fail on a busy process).

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
	if p.rp.BufferPool == nil {
		t.Error("the ReverseProxy has no buffer pool: every response allocates a 32 KB copy buffer")
	}
	// A buffer of another size is not pooled, and a pooled one is whole.
	copyBuffers{}.Put(make([]byte, 10))
	if b := (copyBuffers{}).Get(); len(b) != 32<<10 {
		t.Errorf("pooled buffer of %d bytes", len(b))
	}
}

// TestAccessLogLine: the access line is written with typed
// attributes, and says the same.
func TestAccessLogLine(t *testing.T) {
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
}

// BenchmarkAccessLog reports the allocations of an access line (11 before
// it was written from typed attributes; 2 after) and of a disabled one
// (0): counted by a benchmark, since testing.AllocsPerRun counts every
// goroutine's allocations and a test would fail on a busy process.
func BenchmarkAccessLog(b *testing.B) {
	r := httptest.NewRequest("GET", "http://gw.test/prod/x?secret=1", nil)
	w := &statusWriter{status: 200}
	e := &accessEntry{requestID: "0123456789abcdef0123456789abcdef", dialect: "aws", route: "abc/prod/{x}", upstream: 200}
	for _, c := range []struct {
		name  string
		level slog.Level
	}{{"on", slog.LevelInfo}, {"off", slog.LevelWarn}} {
		b.Run(c.name, func(b *testing.B) {
			g := &Gateway{access: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: c.level}))}
			b.ReportAllocs()
			for range b.N {
				g.logAccess(r, w, e, 1500000)
			}
		})
	}
}

// BenchmarkAWSCall reports the allocations of building a literal
// integration call (15 before the expressions were skipped; 6 after).
func BenchmarkAWSCall(b *testing.B) {
	st := restStage("abc", "prod", nil)
	awsSt := &awsStage{stage: st.Stage, api: st.API}
	r := httptest.NewRequest("GET", "http://gw.test/prod/a/b", nil)
	literal := &certgate.Integration{Type: "HTTP_PROXY", HTTPMethod: "ANY", URI: "https://backend.test/fixed"}
	vars := map[string]string{"proxy": "a/b"}
	b.ReportAllocs()
	for range b.N {
		_, _ = awsCall(r, awsSt, literal, vars, "rid")
	}
}

// TestAWSCallFillsURIs: a URI without variables skips the expressions,
// and one with them is still filled (raw and escaped forms, stage
// variables).
func TestAWSCallFillsURIs(t *testing.T) {
	st := restStage("abc", "prod", nil)
	awsSt := &awsStage{stage: st.Stage, api: st.API}
	r := httptest.NewRequest("GET", "http://gw.test/prod/a/b", nil)
	literal := &certgate.Integration{Type: "HTTP_PROXY", HTTPMethod: "ANY", URI: "https://backend.test/fixed"}
	c, err := awsCall(r, awsSt, literal, map[string]string{"proxy": "a/b"}, "rid")
	if err != nil || c.url.String() != "https://backend.test/fixed" {
		t.Fatalf("%v %v", c, err)
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
