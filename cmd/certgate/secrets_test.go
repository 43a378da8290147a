package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/internal/testtool"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/seal"
)

// TestDatabaseHoldsNoSecrets reads the raw SQLite files (database, WAL and
// shared memory) and looks for private key material, secret access keys and
// raw tokens.
func TestDatabaseHoldsNoSecrets(t *testing.T) {
	s := startServer(t, nil)
	checkNoSecretsAtRest(t, s, s.rawDatabase)
}

// TestPostgresDumpHoldsNoSecrets does the same with pg_dump of a PostgreSQL
// database.
func TestPostgresDumpHoldsNoSecrets(t *testing.T) {
	url := pgtest.URL(t)
	_, binDir := pgtest.Server(t)
	pgDump := filepath.Join(binDir, "pg_dump")
	if _, err := exec.LookPath(pgDump); err != nil {
		pgDump = testtool.LookPath(t, "pg_dump")
	}
	key, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, func(c *Config) {
		c.Database = url
		c.MasterKey, c.MasterKeyFile = key.Encode(), ""
		c.BootstrapCredentialsFile = filepath.Join(t.TempDir(), "credentials")
	})
	checkNoSecretsAtRest(t, s, func() []byte {
		out, err := exec.Command(pgDump, "--data-only", "--dbname="+url).Output()
		if err != nil {
			t.Fatalf("pg_dump: %v", err)
		}
		return out
	})
}

func checkNoSecretsAtRest(t *testing.T, s *testServer, dump func() []byte) {
	ctx := context.Background()
	other := s.newAccount()
	var keys [][]byte
	api := s.client(s.Bootstrap, "us-east-1")
	for i := 0; i < 4; i++ {
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
	ch := newChain(t, "rsa")
	if _, err := s.hwClient(s.Bootstrap, "").CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("uploaded", ch.chainPEM(), ch.leaf.keyPEM(t))}); err != nil {
		t.Fatal(err)
	}
	uploaded, err := pki.MarshalPrivateKey(ch.leaf.key)
	if err != nil {
		t.Fatal(err)
	}
	keys = append(keys, uploaded)
	token, _, err := s.Accounts.CreateToken(ctx, s.Bootstrap.AccessKeyID, 0)
	if err != nil {
		t.Fatal(err)
	}

	raw := dump()
	// Sanity: the scan finds what is stored in the clear.
	for _, clear := range []string{s.Bootstrap.AccessKeyID, "uploaded"} {
		if !bytes.Contains(raw, []byte(clear)) {
			t.Fatalf("%q not found in the dump: the scan reads the wrong bytes", clear)
		}
	}
	// Any 24-byte window of a key's DER, raw, hex or base64, would betray it.
	for i, der := range keys {
		for off := 0; off+24 <= len(der); off += 12 {
			w := der[off : off+24]
			if bytes.Contains(raw, w) || bytes.Contains(raw, []byte(hex.EncodeToString(w))) {
				t.Fatalf("private key %d found in the dump at DER offset %d", i, off)
			}
		}
		b64 := base64.StdEncoding.EncodeToString(der)
		for off := 0; off+32 <= len(b64); off += 64 {
			if bytes.Contains(raw, []byte(b64[off:off+32])) {
				t.Fatalf("private key %d found base64-encoded in the dump", i)
			}
		}
	}
	for what, secret := range map[string]string{"secret access key": s.Bootstrap.SecretAccessKey, "other secret": other.SecretAccessKey, "token": token} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the %s is stored in the clear", what)
		}
	}
	for _, marker := range []string{"PRIVATE KEY", "aws_secret_access_key"} {
		if bytes.Contains(raw, []byte(marker)) {
			t.Errorf("the dump contains %q", marker)
		}
	}
	t.Logf("scanned %d bytes of dump for %d private keys, 2 secrets and 1 token: none found", len(raw), len(keys))
}
