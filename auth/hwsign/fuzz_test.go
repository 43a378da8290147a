package hwsign

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range parseAuthorizationSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != codeAuth || e.Status != http.StatusUnauthorized || a != nil {
				t.Fatalf("%q: got %v, %v", h, a, err)
			}
			if len(h) > 40 && strings.Contains(e.Message, h) {
				t.Fatalf("%q: message repeats the header", h)
			}
			return
		}
		if a.AccessKeyID == "" || len(a.Signature) != 64 || len(a.SignedHeaders) == 0 || len(a.SignedHeaders) > maxSignedHeaders {
			t.Fatalf("%q: incomplete result %+v", h, a)
		}
		// What was parsed formats back to a header that parses the same.
		h2 := algorithm + " Access=" + a.AccessKeyID + ", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
		b, err := ParseAuthorization(h2)
		if err != nil {
			t.Fatalf("%q reformatted as %q: %v", h, h2, err)
		}
		if b.AccessKeyID != a.AccessKeyID || b.Signature != a.Signature ||
			strings.Join(b.SignedHeaders, ";") != strings.Join(a.SignedHeaders, ";") {
			t.Fatalf("%q: %+v != %+v", h, a, b)
		}
	})
}

// FuzzVerify signs a request built from fuzzed parts, checks that it
// verifies, then mutates a header, the path, the query and the Authorization
// header and checks that Verify neither panics nor returns anything but an
// identity or an *Error that does not leak the secret or the signature.
func FuzzVerify(f *testing.F) {
	f.Add("GET", "/v2/p/apigw/certificates", "instance_id&limit=10&name=cert%20demo%2Bx", "User-Agent", "x", "", []byte(nil))
	f.Add("POST", "/v2/p/apigw/certificates/abc/domains/attach", "", "Content-Type", "application/json", "&q=1", []byte(`{"domains":[]}`+"\n"))
	f.Add("DELETE", "/a b/\u00e9/", "k=a+b&k=%2B&y", "X-Sdk-Date", "20261122T104612Z", "/x", []byte("x"))
	f.Add("PUT", "", "%zz=%", "X-Security-Token", "tok", "", []byte("{}"))
	f.Add("GET", "/", "", "X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD", "SDK-HMAC-SHA256 Access=TESTAK0123456789, SignedHeaders=host, Signature=00", []byte(nil))
	f.Add("GET", "/", "", "Authorization", "SDK-HMAC-SHA256 Access=A, SignedHeaders=host, Signature="+strings.Repeat("0", 64), "Bearer x", []byte(nil))
	f.Add("GET", "//..//", "a=%C3%A9&~=1", "X-Project-Id", "other", ";", []byte(nil))
	v := testVerifier()
	f.Fuzz(func(t *testing.T, method, path, query, hname, hval, mutation string, body []byte) {
		if method == "" || !isToken(method) {
			method = http.MethodGet
		}
		r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Host: "127.0.0.1:43107", Header: http.Header{}}
		r.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
		r.Header.Set("X-Project-Id", testProject)
		if err := Sign(r, body, testAK, testSecret, nil, clock); err != nil {
			if _, ok := canonicalQuery(query); ok {
				t.Fatalf("Sign: %v", err)
			}
			r.URL.RawQuery = "" // an undecodable query cannot be signed
			if err := Sign(r, body, testAK, testSecret, nil, clock); err != nil {
				t.Fatalf("Sign: %v", err)
			}
		}
		sig := authParam(r, "Signature")
		if _, err := v.Verify(context.Background(), r, body); err != nil {
			t.Fatalf("freshly signed request rejected: %v", err)
		}
		check := func(what string) {
			id, err := v.Verify(context.Background(), r, body)
			var e *Error
			switch {
			case err == nil && id == nil:
				t.Fatalf("%s: nil identity without error", what)
			case err != nil && (!errors.As(err, &e) || id != nil):
				t.Fatalf("%s: got %v, %v", what, id, err)
			case err != nil && (strings.Contains(e.Message, testSecret) || strings.Contains(e.Message, sig)):
				t.Fatalf("%s: message %q leaks the secret or signature", what, e.Message)
			case err != nil && (e.Status != http.StatusUnauthorized || e.Code != codeAuth):
				t.Fatalf("%s: %d %s", what, e.Status, e.Code)
			}
		}
		if hname != "" {
			r.Header[hname] = append(r.Header[hname], hval)
			check("header")
		}
		r.URL.Path += mutation
		check("path")
		r.URL.RawQuery += mutation
		check("query")
		if mutation != "" {
			r.Header.Set("Authorization", mutation)
			check("authorization")
		}
		body = append(body, mutation...)
		check("body")
	})
}
