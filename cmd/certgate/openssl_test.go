package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/internal/testtool"
	"github.com/certgate/certgate/pki"
)

// TestGeneratedCertificateWithOpenSSL checks a certificate generated through
// the API with openssl, and checks that its public key matches the private
// key the service holds (as openssl derives it from that key).
func TestGeneratedCertificateWithOpenSSL(t *testing.T) {
	openssl := testtool.LookPath(t, "openssl")
	s := startServer(t, func(c *Config) { c.ClientKeyType = "rsa2048" })
	ctx := context.Background()
	out, err := s.client(s.Bootstrap, "us-east-1").GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("openssl")})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certPath, []byte(aws.ToString(out.PemEncodedCertificate)), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		b, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	text := run("x509", "-noout", "-text", "-in", certPath)
	for _, want := range []string{
		"Version: 3 (0x2)",
		"Signature Algorithm: sha256WithRSAEncryption",
		"Issuer: C = US, L = Seattle, CN = ApiGateway",
		"Subject: C = US, L = Seattle, CN = ApiGateway",
		"Public-Key: (2048 bit)",
		"TLS Web Client Authentication",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("openssl x509 -text lacks %q:\n%s", want, text)
		}
	}
	t.Logf("openssl x509 -noout -text (excerpt):\n%s", firstLines(text, 14))

	// The key the service holds, written out only inside this test.
	key, err := s.Certs.PrivateKey(ctx, certgate.Scope{AccountID: s.Bootstrap.Account.ID, Region: "us-east-1"}, certgate.KindClient, *out.ClientCertificateId)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	fromCert := run("x509", "-in", certPath, "-noout", "-pubkey")
	fromKey := run("pkey", "-in", keyPath, "-pubout")
	if fromCert != fromKey || !strings.Contains(fromCert, "BEGIN PUBLIC KEY") {
		t.Errorf("public keys differ:\ncertificate: %s\nprivate key: %s", fromCert, fromKey)
	}
	// And openssl accepts the certificate as its own trust anchor for client
	// authentication, which is how backends are told to trust it.
	if v := run("verify", "-purpose", "sslclient", "-CAfile", certPath, certPath); !strings.Contains(v, "OK") {
		t.Errorf("openssl verify: %s", v)
	}
	if bytes.Contains([]byte(s.logs.String()), []byte("PRIVATE KEY")) {
		t.Error("server log contains a private key")
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
