package sigv4

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWithRegions(t *testing.T) {
	looked := 0
	lookup := func(ctx context.Context, ak string) (string, error) { looked++; return testLookup(ctx, ak) }
	v := NewVerifier("apigateway", lookup, WithClock(func() time.Time { return clock }), WithRegions([]string{"us-east-1", "eu-west-1"}))
	for _, region := range []string{"zz-fake-1", "us-east-1 ", strings.Repeat("x", 8000)} {
		r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:18080/clientcertificates", nil)
		if err := Sign(r, nil, "AKIDUNKNOWN", testSecret, region, "apigateway", clock); err != nil {
			t.Fatal(err)
		}
		_, err := v.VerifyHeaders(context.Background(), r)
		e, ok := err.(*Error)
		if !ok || e.Code != codeInvalid || e.Status != 403 || !strings.HasPrefix(e.Message, "Credential should be scoped to a valid region, not '") || len(e.Message) > 200 {
			t.Errorf("region %.20q: %v", region, err)
		}
	}
	if looked != 0 {
		t.Errorf("the access key was looked up %d times for regions not served", looked)
	}
	r := signedRequest(t, clock, "apigateway")
	if _, err := v.Verify(context.Background(), r, []byte(testBody)); err != nil {
		t.Errorf("us-east-1: %v", err)
	}
}

// TestPhases: the header phase does not need the body, and the body phase
// checks it.
func TestPhases(t *testing.T) {
	v := testVerifier()
	r := signedRequest(t, clock, "apigateway")
	p, err := v.VerifyHeaders(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.VerifyBody([]byte(testBody + " ")); err == nil {
		t.Error("another body verified")
	}
	id, err := p.VerifyBody([]byte(testBody))
	if err != nil || id.Region != "us-east-1" || id.AccessKeyID != "AKIDEXAMPLE" {
		t.Errorf("the signed body: %+v %v", id, err)
	}
	// An unknown key is refused in the header phase.
	r = signedRequest(t, clock, "apigateway")
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AKIDEXAMPLE", "AKIDNOPE", 1))
	if _, err := v.VerifyHeaders(context.Background(), r); err == nil || err.(*Error).Code != codeUnrecognized {
		t.Errorf("unknown key: %v", err)
	}
}

// TestVerifyDeclaredHash: with X-Amz-Content-Sha256 the signature is decided
// from the headers, so a wrong one is refused before any body is read; the
// body must still match the declared hash.
func TestVerifyDeclaredHash(t *testing.T) {
	v := testVerifier()
	declared := func(t *testing.T, hash string) *http.Request {
		r := signedRequest(t, clock, "apigateway")
		r.Header.Set("X-Amz-Content-Sha256", hash)
		if err := Sign(r, []byte(testBody), "AKIDEXAMPLE", testSecret, "us-east-1", "apigateway", clock); err != nil {
			t.Fatal(err)
		}
		return r
	}
	pending := func(t *testing.T, r *http.Request) *Pending {
		p, err := v.VerifyHeaders(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	wrongSig := func(r *http.Request) {
		setAuth(r, authParam(r, "Credential"), authParam(r, "SignedHeaders"), strings.Repeat("0", 64))
	}

	r := declared(t, hexSHA256([]byte(testBody)))
	p := pending(t, r)
	if ok, err := p.VerifyDeclaredHash(); !ok || err != nil {
		t.Fatalf("signed with its hash declared: %v, %v; want verified", ok, err)
	}
	if _, err := p.VerifyBody([]byte(testBody)); err != nil {
		t.Errorf("the declared body: %v", err)
	}
	_, err := p.VerifyBody([]byte(testBody + " "))
	wantCode(t, "another body than declared", err, codeInvalid)

	wrongSig(r)
	_, err = pending(t, r).VerifyDeclaredHash()
	if e, ok := err.(*Error); !ok || e.Code != codeInvalid || e.Message != msgSignatureWrong {
		t.Errorf("wrong signature over a declared hash: %v; want SignatureDoesNotMatch before the body", err)
	}

	// Upper-case hex is the client's own spelling, which it signed.
	r = declared(t, strings.ToUpper(hexSHA256([]byte(testBody))))
	if ok, err := pending(t, r).VerifyDeclaredHash(); !ok || err != nil {
		t.Errorf("upper-case declared hash: %v, %v", ok, err)
	}

	r = declared(t, "UNSIGNED-PAYLOAD")
	_, err = pending(t, r).VerifyDeclaredHash()
	if e, ok := err.(*Error); !ok || e.Code != codeInvalid || e.Message != msgContentSHA {
		t.Errorf("UNSIGNED-PAYLOAD: %v; want the content-sha256 refusal", err)
	}

	// Without a declared hash only the body decides.
	r = signedRequest(t, clock, "apigateway")
	wrongSig(r)
	p = pending(t, r)
	if ok, err := p.VerifyDeclaredHash(); ok || err != nil {
		t.Errorf("no declared hash: %v, %v; want not verified, no error (nothing to check yet)", ok, err)
	}
	_, err = p.VerifyBody([]byte(testBody))
	wantCode(t, "wrong signature, no declared hash", err, codeInvalid)
}
