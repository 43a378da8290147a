package hwsign

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

var randomRunes = []rune("aZ09-_.~ /?#[]@!$&'()*+,;=%:\"<>{}|\\^`\t\u00e9\u4e2d\U0001F600\u00a0\u2028")

func randomString(rng *rand.Rand, max int) string {
	n := rng.IntN(max + 1)
	var b strings.Builder
	for range n {
		b.WriteRune(randomRunes[rng.IntN(len(randomRunes))])
	}
	return b.String()
}

// sdkQueryEscape is how the Go SDK writes query components on the wire:
// url.Values.Encode, then '+' as %20.
func sdkQueryEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// randomURL builds a URL the way different clients would: a plain path (Go
// escapes it on the wire) or one with escaped '/' inside labels, an optional
// trailing slash, and a query written by the SDK, url.QueryEscape ('+' for
// space) or url.PathEscape.
func randomURL(rng *rand.Rand) *url.URL {
	u := &url.URL{Scheme: "http", Host: "certgate.example:8443"}
	segs := make([]string, 1+rng.IntN(4))
	for i := range segs {
		segs[i] = randomString(rng, 8)
	}
	u.Path = "/" + strings.Join(segs, "/")
	if rng.IntN(2) == 0 {
		esc := make([]string, len(segs))
		for i, s := range segs {
			esc[i] = url.PathEscape(s) // '/' inside a label becomes %2F
		}
		u.RawPath = "/" + strings.Join(esc, "%2F")
		u.Path, _ = url.PathUnescape(u.RawPath)
	}
	if rng.IntN(4) == 0 {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	escape := []func(string) string{sdkQueryEscape, url.QueryEscape, url.PathEscape}[rng.IntN(3)]
	var q []string
	for range rng.IntN(5) {
		k, v := escape(randomString(rng, 6)), escape(randomString(rng, 6))
		if rng.IntN(3) == 0 {
			q = append(q, k) // bare key
		} else {
			q = append(q, k+"="+v)
		}
	}
	u.RawQuery = strings.Join(q, "&")
	return u
}

func TestSignVerifyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	v := testVerifier()
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	for i := range 2000 {
		u := randomURL(rng)
		body := []byte(randomString(rng, 40))
		if rng.IntN(3) == 0 {
			body = nil
		}
		r, err := http.NewRequest(methods[rng.IntN(len(methods))], u.String(), bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%d: NewRequest(%q): %v", i, u.String(), err)
		}
		if body == nil {
			r.Body, r.ContentLength = nil, 0
		}
		r.URL = u // keep RawPath exactly as built
		r.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
		r.Header.Set("X-Project-Id", testProject)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Custom", "  a   b\tc  ")
		signed := []string{"user-agent", "x-project-id", "x-sdk-date"}
		switch rng.IntN(3) {
		case 0:
			signed = nil // default set: adds host and content-type
		case 1:
			signed = append(signed, "X-Custom", "host")
		}
		if err := Sign(r, body, testAK, testSecret, signed, clock); err != nil {
			t.Fatal(err)
		}
		s := wire(t, r)
		if _, err := v.Verify(context.Background(), s, body); err != nil {
			t.Fatalf("%d: %s %s (%s): %v", i, s.Method, s.RequestURI, authParam(r, "SignedHeaders"), err)
		}
		// Any added parameter must break the signature.
		s2 := wire(t, r)
		s2.URL.RawQuery += "&z=1"
		if _, err := v.Verify(context.Background(), s2, body); err == nil {
			t.Fatalf("%d: added parameter accepted: %s", i, s2.URL.RawQuery)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"":                               "",
		"a":                              "a=",
		"a=":                             "a=",
		"b=2&a=1&&a=0":                   "a=0&a=1&b=2",
		"k=a+b":                          "k=a%20b",
		"k=a%2Bb":                        "k=a%2Bb",
		"k=a%20b":                        "k=a%20b",
		"k=%7e%2d":                       "k=~-",
		"k=%2F/":                         "k=%2F%2F",
		"a=b=c":                          "a=b%3Dc",
		"x-id=1;y":                       "x-id=1%3By",
		"instance_id&limit=10&name=x%2B": "instance_id=&limit=10&name=x%2B",
		// Sorted before escaping, as the SDK does: 'é' (0xC3) sorts after
		// '~' although %C3 sorts before it.
		"%C3%A9=1&~=2&A=3": "A=3&~=2&%C3%A9=1",
		"k=%C3%A9&k=~":     "k=~&k=%C3%A9",
	} {
		got, ok := canonicalQuery(raw)
		if !ok || got != want {
			t.Errorf("canonicalQuery(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{"k=%zz", "%=1", "k=%2", "a=1&b=%G0"} {
		if got, ok := canonicalQuery(raw); ok {
			t.Errorf("canonicalQuery(%q) = %q, want failure", raw, got)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "/",
		"/":                   "/",
		"//":                  "//",
		"/a b":                "/a%20b/",
		"/a%20b":              "/a%2520b/",
		"/-_.~/x":             "/-_.~/x/",
		"/\u00e9":             "/%C3%A9/",
		"/v2/p/apigw/certs":   "/v2/p/apigw/certs/",
		"/v2/p/apigw/certs/":  "/v2/p/apigw/certs/",
		"/a+b:c@d;e=f,g!h*'(": "/a%2Bb%3Ac%40d%3Be%3Df%2Cg%21h%2A%27%28/",
	} {
		if got := canonicalURI(in); got != want {
			t.Errorf("canonicalURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHeaderValues(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://h:8080/", strings.NewReader("abc"))
	r.Header.Add("X-Multi", " b ")
	r.Header.Add("X-Multi", "a")
	r.Header.Set("X-Space", "\t a  b \u00a0")
	for name, want := range map[string]string{
		"host":           "h:8080",
		"content-length": "3",
		"x-multi":        "a|b",
		"x-space":        "a  b",
	} {
		vs, ok := headerValues(r, name)
		if got := strings.Join(vs, "|"); !ok || got != want {
			t.Errorf("%s: %q, %v; want %q", name, got, ok, want)
		}
	}
	if _, ok := headerValues(r, "x-absent"); ok {
		t.Error("absent header present")
	}
	creq, _ := CanonicalRequest(r, []string{"x-multi"}, "h")
	if !strings.Contains(creq, "\nx-multi:a\nx-multi:b\n\nx-multi\nh") {
		t.Errorf("repeated header lines: %q", creq)
	}
}

func TestSignErrors(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://h/", nil)
	r.Header.Set("X-Sdk-Date", "yesterday")
	if err := Sign(r, nil, testAK, testSecret, nil, clock); err == nil {
		t.Fatal("bad X-Sdk-Date accepted")
	}
	if err := Sign(&http.Request{Method: "GET"}, nil, testAK, testSecret, nil, clock); err == nil {
		t.Fatal("request without URL accepted")
	}
	r, _ = http.NewRequest(http.MethodGet, "http://h/", nil)
	if err := Sign(r, nil, "", testSecret, nil, clock); err == nil {
		t.Fatal("empty access key accepted")
	}
	if err := Sign(r, nil, testAK, testSecret, []string{"x-absent"}, clock); err == nil {
		t.Fatal("absent signed header accepted")
	}
	if err := Sign(r, nil, testAK, testSecret, []string{"bad name"}, clock); err == nil {
		t.Fatal("invalid header name accepted")
	}
	r.URL.RawQuery = "a=%zz"
	if err := Sign(r, nil, testAK, testSecret, nil, clock); err == nil {
		t.Fatal("invalid query accepted")
	}
	// An existing X-Sdk-Date is kept and signed; names are normalised.
	r, _ = http.NewRequest(http.MethodGet, "http://h/", nil)
	r.Header.Set("X-Sdk-Date", "20261122T104000Z")
	r.Header.Set("X-Project-Id", testProject)
	if err := Sign(r, nil, testAK, testSecret, []string{"X-Sdk-Date", "x-project-id", "x-sdk-date"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := authParam(r, "SignedHeaders"); got != "x-project-id;x-sdk-date" {
		t.Fatalf("signed %s", got)
	}
	id, err := testVerifier().Verify(context.Background(), r, nil)
	if err != nil || id.Date.Format(dateLayout) != "20261122T104000Z" {
		t.Fatalf("%v %v", id, err)
	}
	// The default set, on a request carrying all of its headers.
	r, _ = http.NewRequest(http.MethodPost, "http://h/", nil)
	for _, h := range []string{"Content-Type", "User-Agent", "X-Project-Id", "X-Sdk-Content-Sha256", "X-Security-Token", "Accept"} {
		r.Header.Set(h, "v")
	}
	r.Header.Set("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := Sign(r, nil, testAK, testSecret, nil, clock); err != nil {
		t.Fatal(err)
	}
	if got, want := authParam(r, "SignedHeaders"), "content-type;host;user-agent;x-project-id;x-sdk-content-sha256;x-sdk-date;x-security-token"; got != want {
		t.Fatalf("default signed headers %s, want %s", got, want)
	}
}

// Content-Length signed by a client verifies both on a parsed server request
// and on an in-process request that keeps the length only in ContentLength.
func TestSignedContentLength(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:43107/v2/p/apigw/certificates", strings.NewReader(testBody))
	if err := Sign(r, []byte(testBody), testAK, testSecret, []string{"content-length", "host", "x-sdk-date"}, clock); err != nil {
		t.Fatal(err)
	}
	if _, err := testVerifier().Verify(context.Background(), wire(t, r), []byte(testBody)); err != nil {
		t.Fatalf("server view: %v", err)
	}
	if _, err := testVerifier().Verify(context.Background(), r, []byte(testBody)); err != nil {
		t.Fatalf("in-process view: %v", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	v := testVerifier()
	reqs := make([]*http.Request, 4)
	for i := range reqs {
		reqs[i] = signedRequest(t, clock.Add(time.Duration(i)*time.Minute))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				r := reqs[(g+i)%len(reqs)]
				body := []byte(testBody)
				wantOK := i%5 != 0
				if !wantOK {
					body = []byte("tampered")
				}
				_, err := v.Verify(context.Background(), r, body)
				if (err == nil) != wantOK {
					errs <- fmt.Errorf("goroutine %d, request %d: err = %v", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkVerify(b *testing.B) {
	v := testVerifier()
	r := signedRequest(b, clock)
	body := []byte(testBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), r, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCapture(b *testing.B) {
	var c capture
	for _, x := range loadCaptures(b) {
		if x.method == http.MethodPost && len(x.body) > 100 {
			c = x
			break
		}
	}
	r := c.request(b, c.target)
	v := captureVerifier(testSecret, c.date(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), r, c.body); err != nil {
			b.Fatal(err)
		}
	}
}
