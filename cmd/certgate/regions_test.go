package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/internal/sign"
)

// signedIn sends a request signed by acct for region, and returns the status,
// the error type and the message.
func (s *testServer) signedIn(acct *accounts.Created, region, method, path string, body []byte) (int, string, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := sign.SigV4(sigv4.CanonicalRequest, req, body, acct.AccessKeyID, acct.SecretAccessKey, region, "apigateway", time.Now()); err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]string
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), m["message"]
}

// TestRegionsServed checks item 3 of issue 7: a credential scope naming a
// region the server does not serve is refused as AWS refuses it, before the
// access key is looked up and before the body is read, so that a tenant
// cannot open fresh quota scopes by inventing regions.
func TestRegionsServed(t *testing.T) {
	s := startServer(t, nil)
	acct := s.newAccount()
	const wantType = "InvalidSignatureException"
	for _, region := range []string{"zz-fake-1", "us-east-1 ", " us-east-1", "US-EAST-1", strings.Repeat("r", 8000)} {
		st, typ, msg := s.signedIn(acct, region, "POST", "/clientcertificates", []byte(`{}`))
		shown := region
		if len(shown) > 64 {
			shown = shown[:64] + "..."
		}
		want := "Credential should be scoped to a valid region, not '" + shown + "'. "
		if st != 403 || typ != wantType || msg != want {
			t.Errorf("region %.20q: %d %s %q; want 403 %s %q", region, st, typ, msg, wantType, want)
		}
	}
	// The check comes before the key lookup: an unknown key gets the same
	// answer, so nothing about keys is learnt from made-up regions.
	unknown := *acct
	unknown.AccessKeyID = "AKIAUNKNOWNKEY000000"
	if st, typ, _ := s.signedIn(&unknown, "zz-fake-1", "GET", "/clientcertificates", nil); st != 403 || typ != wantType {
		t.Errorf("unknown key in an unknown region: %d %s", st, typ)
	}
	// Public regions are served, each its own scope.
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-southeast-7", "mx-central-1"} {
		if st, typ, msg := s.signedIn(acct, region, "GET", "/clientcertificates", nil); st != 200 {
			t.Errorf("region %s: %d %s %q", region, st, typ, msg)
		}
	}
	// And through the SDK, as a user sees it.
	_, err := s.client(acct, "zz-fake-1").GetClientCertificates(context.Background(), &apigateway.GetClientCertificatesInput{})
	if apiCode(err) != wantType || !strings.Contains(err.Error(), "Credential should be scoped to a valid region, not 'zz-fake-1'.") {
		t.Errorf("SDK in zz-fake-1: %v", err)
	}
}

// TestRegionsConfigured checks --regions: only the listed regions are served.
func TestRegionsConfigured(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Regions = "eu-west-1, zz-private-1" })
	acct := s.newAccount()
	for region, want := range map[string]int{"eu-west-1": 200, "zz-private-1": 200, "us-east-1": 403} {
		if st, typ, msg := s.signedIn(acct, region, "GET", "/clientcertificates", nil); st != want {
			t.Errorf("--regions eu-west-1,zz-private-1, region %s: %d %s %q; want %d", region, st, typ, msg, want)
		}
	}
}

func TestRegionsValidate(t *testing.T) {
	for _, bad := range []string{"us-east-1,,eu-west-1", "us-east-1 x", "US-EAST-1", strings.Repeat("a", 70) + "-1", "east"} {
		cfg := testConfig(t.TempDir())
		cfg.MasterKeyFile = "x"
		cfg.Regions = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--regions") {
			t.Errorf("--regions %q: %v; want refused", bad, err)
		}
	}
	cfg := testConfig(t.TempDir())
	cfg.MasterKeyFile = "x"
	cfg.Regions = "us-east-1,eu-west-1"
	if err := cfg.Validate(); err != nil {
		t.Errorf("--regions us-east-1,eu-west-1: %v", err)
	}
}
