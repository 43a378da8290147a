package hwsign

import (
	"context"
	"testing"
)

// TestPhases: the header phase needs no body and looks the key up; the body
// phase checks the body against the signature.
func TestPhases(t *testing.T) {
	v := testVerifier()
	p, err := v.VerifyHeaders(context.Background(), signedRequest(t, clock))
	if err != nil {
		t.Fatal(err)
	}
	if p.UnsignedPayload() {
		t.Error("a signed body reported unsigned")
	}
	if _, err := p.VerifyBody([]byte(testBody + " ")); err == nil {
		t.Error("another body verified")
	}
	if id, err := p.VerifyBody([]byte(testBody)); err != nil || id.AccessKeyID != testAK {
		t.Errorf("the signed body: %+v %v", id, err)
	}
	r := signedRequest(t, clock)
	r.Header.Set("X-Sdk-Content-Sha256", unsignedPayload)
	if p, err := v.VerifyHeaders(context.Background(), r); err != nil || !p.UnsignedPayload() {
		t.Errorf("UNSIGNED-PAYLOAD: %v", err)
	}
}
