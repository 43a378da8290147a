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
