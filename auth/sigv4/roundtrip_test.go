package sigv4

import (
	"bufio"
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

// wire sends r through HTTP/1.1 serialisation and parses it back as the
// server would, so the round trip covers what actually reaches Verify.
func wire(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	if r.GetBody != nil {
		r.Body, _ = r.GetBody() // r may be sent more than once
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write: %v", err)
	}
	s, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read %q: %v", buf.String(), err)
	}
	return s
}

var randomRunes = []rune("aZ09-_.~ /?#[]@!$&'()*+,;=%:\"<>{}|\\^`\t\u00e9\u4e2d\U0001F600\u00a0\u2028")

func randomString(rng *rand.Rand, max int) string {
	n := rng.IntN(max + 1)
	var b strings.Builder
	for range n {
		b.WriteRune(randomRunes[rng.IntN(len(randomRunes))])
	}
	return b.String()
}

// randomURL builds a URL the way different clients would: a plain path, or a
// path whose labels are fully escaped (as SDKs send ARNs); a query encoded the
// AWS way, with url.QueryEscape ('+' for space) or with url.PathEscape.
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
	escape := []func(string) string{func(s string) string { return uriEncode(s, false) }, url.QueryEscape, url.PathEscape}[rng.IntN(3)]
	var q []string
	for range rng.IntN(5) {
		k, v := escape(randomString(rng, 6)), escape(randomString(rng, 6))
		switch rng.IntN(3) {
		case 0:
			q = append(q, k) // bare key
		default:
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
		r.Header.Set("Accept", "application/json")
		r.Header.Set("X-Custom", "  a   b\tc  ")
		if err := Sign(r, body, "AKIDEXAMPLE", testSecret, "us-east-1", "apigateway", clock); err != nil {
			t.Fatal(err)
		}
		s := wire(t, r)
		if _, err := v.Verify(context.Background(), s, body); err != nil {
			t.Fatalf("%d: %s %s: %v", i, s.Method, s.RequestURI, err)
		}
		// Any change of path or query must break the signature, unless it
		// only changes the spelling of an unreserved character.
		s2 := wire(t, r)
		s2.URL.RawQuery += "&z=1"
		if _, err := v.Verify(context.Background(), s2, body); err == nil {
			t.Fatalf("%d: added parameter accepted: %s", i, s2.URL.RawQuery)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"":                        "",
		"a":                       "a=",
		"a=":                      "a=",
		"b=2&a=1&&a=0":            "a=0&a=1&b=2",
		"k=a+b":                   "k=a%2Bb",
		"k=a%2Bb":                 "k=a%2Bb",
		"k=a%20b":                 "k=a%20b",
		"k=%7e%2d":                "k=~-",
		"k=%zz":                   "k=%25zz",
		"k=%2F/":                  "k=%2F%2F",
		"%C3%A9=1&z=2&%41=3":      "%C3%A9=1&A=3&z=2",
		"a=b=c":                   "a=b%3Dc",
		"x-id=1;y":                "x-id=1%3By",
		"tagKeys=k&tagKeys=k%202": "tagKeys=k&tagKeys=k%202",
	} {
		if got := canonicalQuery(raw); got != want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "/",
		"/":                   "/",
		"/a b":                "/a%20b",
		"/a%20b":              "/a%2520b",
		"/tags/arn%3Aaws":     "/tags/arn%253Aaws",
		"/-_.~/x%2Fy":         "/-_.~/x%252Fy",
		"/\u00e9":             "/%C3%A9",
		"/clientcertificates": "/clientcertificates",
	} {
		if got := canonicalURI(in); got != want {
			t.Errorf("canonicalURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTrimAll(t *testing.T) {
	for in, want := range map[string]string{
		"":               "",
		"  a  ":          "a",
		"\ta   b    c\t": "a b c",
		"\"a   b   c\"":  "\"a b c\"",
		"a\tb":           "a\tb",
	} {
		if got := trimAll(in); got != want {
			t.Errorf("trimAll(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSignErrors(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://h/", nil)
	r.Header.Set("X-Amz-Date", "yesterday")
	if err := Sign(r, nil, "AK", "s", "r", "s", clock); err == nil {
		t.Fatal("bad X-Amz-Date accepted")
	}
	if err := Sign(&http.Request{Method: "GET", URL: &url.URL{Path: "/"}}, nil, "AK", "s", "r", "s", clock); err == nil {
		t.Fatal("request without host accepted")
	}
	if err := Sign(&http.Request{Method: "GET"}, nil, "AK", "s", "r", "s", clock); err == nil {
		t.Fatal("request without URL accepted")
	}
	// An existing X-Amz-Date is kept and signed.
	r, _ = http.NewRequest(http.MethodGet, "http://h/", nil)
	r.Header.Set("X-Amz-Date", "20261122T101000Z")
	if err := Sign(r, nil, "AKIDEXAMPLE", testSecret, "us-east-1", "apigateway", time.Time{}); err != nil {
		t.Fatal(err)
	}
	id, err := testVerifier().Verify(context.Background(), r, nil)
	if err != nil || id.Date.Format(amzDateLayout) != "20261122T101000Z" {
		t.Fatalf("%v %v", id, err)
	}
}

// Content-Length signed by a client (as aws-sdk-go-v2 does) verifies both on
// a parsed server request and on an in-process request that keeps the length
// only in ContentLength.
func TestSignedContentLength(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:18080/clientcertificates", strings.NewReader(testBody))
	r.Header.Set("Content-Length", fmt.Sprint(len(testBody)))
	if err := Sign(r, []byte(testBody), "AKIDEXAMPLE", testSecret, "us-east-1", "apigateway", clock); err != nil {
		t.Fatal(err)
	}
	// Sign leaves content-length out; sign it by hand like the Go SDK.
	signed := []string{"content-length", "host", "x-amz-date"}
	sts := StringToSign(clock.Format(amzDateLayout), scopeString("20261122", "us-east-1", "apigateway"), CanonicalRequest(r, signed, hexSHA256([]byte(testBody))))
	setAuth(r, "AKIDEXAMPLE/"+scopeString("20261122", "us-east-1", "apigateway"), strings.Join(signed, ";"),
		signature(SigningKey(testSecret, "20261122", "us-east-1", "apigateway"), sts))
	s := wire(t, r)
	if _, err := testVerifier().Verify(context.Background(), s, []byte(testBody)); err != nil {
		t.Fatalf("server view: %v", err)
	}
	r.Header.Del("Content-Length")
	if _, err := testVerifier().Verify(context.Background(), r, []byte(testBody)); err != nil {
		t.Fatalf("in-process view: %v", err)
	}
}

func TestCache(t *testing.T) {
	v := testVerifier(WithCacheSize(2))
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1", "sa-east-1", "us-west-2"}
	for _, region := range regions {
		r, _ := http.NewRequest(http.MethodGet, "http://h/clientcertificates", nil)
		if err := Sign(r, nil, "AKIDEXAMPLE", testSecret, region, "apigateway", clock); err != nil {
			t.Fatal(err)
		}
		for range 2 { // second pass hits the cache
			if _, err := v.Verify(context.Background(), r, nil); err != nil {
				t.Fatalf("%s: %v", region, err)
			}
		}
		if n := v.cache.len(); n > 2 {
			t.Fatalf("cache holds %d entries, limit 2", n)
		}
	}
	// Failed verifications do not add keys.
	v = testVerifier()
	r, _ := http.NewRequest(http.MethodGet, "http://h/clientcertificates", nil)
	Sign(r, nil, "AKIDEXAMPLE", "not the secret", "made-up-region", "apigateway", clock)
	if _, err := v.Verify(context.Background(), r, nil); err == nil {
		t.Fatal("wrong secret accepted")
	}
	if n := v.cache.len(); n != 0 {
		t.Fatalf("failed verification cached %d keys", n)
	}
	for k := range v.cache.m {
		if strings.Contains(fmt.Sprint(k), testSecret) {
			t.Fatal("secret in cache key")
		}
	}
	// A disabled cache still verifies.
	v = testVerifier(WithCacheSize(0))
	if _, err := v.Verify(context.Background(), signedRequest(t, clock, "apigateway"), []byte(testBody)); err != nil || v.cache.len() != 0 {
		t.Fatalf("cache size 0: %v, %d entries", err, v.cache.len())
	}
	// A rotated secret must not be served from the cache.
	v = testVerifier()
	if _, err := v.Verify(context.Background(), signedRequest(t, clock, "apigateway"), []byte(testBody)); err != nil {
		t.Fatal(err)
	}
	rotated := NewVerifier("apigateway", staticLookup("rotated"), WithClock(func() time.Time { return clock }))
	rotated.cache = v.cache
	if _, err := rotated.Verify(context.Background(), signedRequest(t, clock, "apigateway"), []byte(testBody)); err == nil {
		t.Fatal("old secret accepted after rotation")
	}
}

func TestVerifyConcurrent(t *testing.T) {
	v := testVerifier(WithCacheSize(3))
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1", "sa-east-1"}
	reqs := make([]*http.Request, len(regions))
	for i, region := range regions {
		r, _ := http.NewRequest(http.MethodPut, "http://h/tags/arn%3Aaws%3Aapigateway%3A%3A%2Fclientcertificates%2Fx", strings.NewReader(testBody))
		if err := Sign(r, []byte(testBody), "AKIDEXAMPLE", testSecret, region, "apigateway", clock); err != nil {
			t.Fatal(err)
		}
		reqs[i] = r
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
	r := signedRequest(b, clock, "apigateway")
	body := []byte(testBody)
	if _, err := v.Verify(context.Background(), r, body); err != nil { // warm the cache
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), r, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyNoCache(b *testing.B) {
	v := testVerifier(WithCacheSize(0))
	r := signedRequest(b, clock, "apigateway")
	body := []byte(testBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), r, body); err != nil {
			b.Fatal(err)
		}
	}
}
