package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/pki"
)

// TestDatabaseHoldsNoSecrets reads the raw SQLite files (database and WAL)
// and looks for any private key material and any secret access key.
func TestDatabaseHoldsNoSecrets(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	other := s.newAccount()
	api := s.client(s.Bootstrap, "us-east-1")
	var keys [][]byte
	for i := 0; i < 5; i++ {
		out, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
		if err != nil {
			t.Fatal(err)
		}
		k, err := s.Certs.PrivateKey(ctx, certgate.Scope{AccountID: s.Bootstrap.Account.ID, Region: "us-east-1"}, certgate.KindClient, *out.ClientCertificateId)
		if err != nil {
			t.Fatal(err)
		}
		der, err := pki.MarshalPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, der)
	}
	raw := s.rawDatabase()
	// Sanity: the scan does find what is stored in the clear.
	if !bytes.Contains(raw, []byte(s.Bootstrap.AccessKeyID)) {
		t.Fatal("access key id not found in the raw files: the scan reads the wrong bytes")
	}
	for i, der := range keys {
		// Any 32-byte window of the key's DER would betray it; check them all.
		for off := 0; off+32 <= len(der); off += 16 {
			if bytes.Contains(raw, der[off:off+32]) {
				t.Fatalf("private key %d found in the database at DER offset %d", i, off)
			}
		}
	}
	for _, secret := range []string{s.Bootstrap.SecretAccessKey, other.SecretAccessKey} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Error("a secret access key is stored in the clear")
		}
	}
	for _, marker := range []string{"PRIVATE KEY", "aws_secret_access_key"} {
		if bytes.Contains(raw, []byte(marker)) {
			t.Errorf("database contains %q", marker)
		}
	}
}
