package sigv4

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
	for _, c := range suiteCases {
		f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + c.sig)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != codeIncomplete || e.Status != http.StatusBadRequest || a != nil {
				t.Fatalf("%q: got %v, %v", h, a, err)
			}
			return
		}
		if a.AccessKeyID == "" || len(a.Date) != 8 || a.Region == "" || a.Service == "" || a.Signature == "" || len(a.SignedHeaders) == 0 {
			t.Fatalf("%q: incomplete result %+v", h, a)
		}
		// What was parsed formats back to a header that parses the same.
		h2 := algorithm + " Credential=" + a.AccessKeyID + "/" + scopeString(a.Date, a.Region, a.Service) +
			", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
		b, err := ParseAuthorization(h2)
		if err != nil {
			t.Fatalf("%q reformatted as %q: %v", h, h2, err)
		}
		if b.AccessKeyID != a.AccessKeyID || b.Region != a.Region || b.Signature != a.Signature ||
			strings.Join(b.SignedHeaders, ";") != strings.Join(a.SignedHeaders, ";") {
			t.Fatalf("%q: %+v != %+v", h, a, b)
		}
	})
}

// FuzzVerify signs a request built from fuzzed parts, checks that it
// verifies, then mutates a header, the raw path, the query and the
// Authorization header and checks that Verify neither panics nor returns
// anything but an identity or an *Error.
func FuzzVerify(f *testing.F) {
	f.Add("GET", "/clientcertificates/abc123", "", "limit=5", "", "", "", []byte(nil))
	f.Add("PUT", "/tags/arn:aws:apigateway:us-east-1::/clientcertificates/x", "/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fclientcertificates%2Fx",
		"tagKeys=k1&tagKeys=k%202", "Accept", "application/json", "", []byte(`{"tags":{"k":"v"}}`))
	f.Add("DELETE", "/a b/\u00e9", "", "position=a%2Bb&x=a+b&y", "X-Amz-Date", "20261122T101805Z", "&q=1", []byte("x"))
	f.Add("POST", "/", "", "%zz=%", "X-Amz-Security-Token", "tok", "", []byte("{}"))
	f.Add("GET", "", "", "", "", "", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=00", []byte(nil))
	f.Add("GET", "/", "", "", "Content-Length", "12", "Bearer x", []byte(nil))
	v := testVerifier()
	f.Fuzz(func(t *testing.T, method, path, rawPath, query, hname, hval, mutation string, body []byte) {
		r := &http.Request{Method: method, URL: &url.URL{Path: path, RawPath: rawPath, RawQuery: query}, Host: "127.0.0.1:18080", Header: http.Header{}}
		r.Header.Set("Accept", "application/json")
		if err := Sign(r, body, "AKIDEXAMPLE", testSecret, "us-east-1", "apigateway", clock); err != nil {
			t.Fatalf("Sign: %v", err)
		}
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
			case err != nil && strings.Contains(e.Message, testSecret):
				t.Fatalf("%s: message echoes the secret", what)
			}
		}
		if hname != "" {
			r.Header[hname] = append(r.Header[hname], hval)
			check("header")
		}
		r.URL.RawPath = hval
		check("raw path")
		r.URL.RawQuery += mutation
		check("query")
		if mutation != "" {
			r.Header.Set("Authorization", mutation)
			check("authorization")
		}
	})
}
