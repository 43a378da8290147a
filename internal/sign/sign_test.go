package sign

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/auth/hwsign"
	"github.com/certgate/certgate/auth/sigv4"
)

const (
	awsSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	hwSecret  = "testsecretkey"
	hwProject = "0123456789abcdef0123456789abcdef"
)

// The get-vanilla case of AWS's SigV4 test suite: a signature AWS
// published, not one this package computed.
func TestSigV4Vector(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://example.amazonaws.com/", nil)
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	if err := SigV4(sigv4.CanonicalRequest, r, nil, "AKIDEXAMPLE", awsSecret, "us-east-1", "service", time.Time{}); err != nil {
		t.Fatal(err)
	}
	want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
		"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	if got := r.Header.Get("Authorization"); got != want {
		t.Fatalf("Authorization\n got %s\nwant %s", got, want)
	}
}

// Each signer's requests pass its verifier, and a changed body does not.
func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	body := []byte(`{"description":"x"}`)

	aws := sigv4.NewVerifier("apigateway", func(context.Context, string) (string, error) { return awsSecret, nil },
		sigv4.WithClock(func() time.Time { return now }))
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/clientcertificates?x=a+b&y=%2F", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	if err := SigV4(sigv4.CanonicalRequest, r, body, "CGAKEXAMPLE", awsSecret, "us-east-1", "apigateway", now); err != nil {
		t.Fatal(err)
	}
	if _, err := aws.Verify(ctx, r, body); err != nil {
		t.Errorf("SigV4: %v", err)
	}
	if _, err := aws.Verify(ctx, r, []byte(`{"description":"y"}`)); err == nil {
		t.Error("SigV4: a changed body verified")
	}

	hw := hwsign.NewVerifier(func(context.Context, string) (string, error) { return hwSecret, nil },
		hwsign.WithClock(func() time.Time { return now }))
	for _, signed := range [][]string{nil, {"Host", "x-sdk-date", "x-project-id", "content-length"}} {
		r, _ := http.NewRequest(http.MethodPut, "http://127.0.0.1:8080/v2/"+hwProject+"/apigw/certificates/abc?name=a%20b", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Project-Id", hwProject)
		if err := Huawei(hwsign.CanonicalRequest, r, body, "TESTAK0123456789", hwSecret, signed, now); err != nil {
			t.Fatal(err)
		}
		if _, err := hw.Verify(ctx, r, body); err != nil {
			t.Errorf("Huawei %v: %v", signed, err)
		}
		if _, err := hw.Verify(ctx, r, []byte(`{"description":"y"}`)); err == nil {
			t.Errorf("Huawei %v: a changed body verified", signed)
		}
	}
}

func TestHuaweiRefuses(t *testing.T) {
	now := time.Now()
	r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	for name, signed := range map[string][]string{
		"absent header": {"x-absent"},
		"not a token":   {"bad name"},
	} {
		if err := Huawei(hwsign.CanonicalRequest, r, nil, "AK", "SK", signed, now); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	if err := Huawei(hwsign.CanonicalRequest, r, nil, "", "SK", nil, now); err == nil {
		t.Error("no access key: signed")
	}
}
