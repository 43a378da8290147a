package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestLogsHoldNoDatabasePassword starts servers on PostgreSQL URLs that
// carry a password in each form libpq accepts in a URL (userinfo, plain and
// percent-encoded; ?password=; ?sslpassword=), serves a request, and scans
// the server's logs for the password. pgtest's server trusts local
// connections, so the password is carried but never checked. It also feeds
// a keyword/value string (rejected, but echoed in the error) to serve and
// backup.
func TestLogsHoldNoDatabasePassword(t *testing.T) {
	base := pgtest.URL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	if _, has := u.User.Password(); has {
		t.Skip("the test server checks passwords; this test needs one that carries a password it ignores")
	}
	user := u.User.Username()
	key, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	forms := []struct {
		name, url string
		secrets   []string // every spelling that must not show
	}{
		{"userinfo", strings.Replace(base, user+"@", user+":hunter2-userinfo@", 1), []string{"hunter2-userinfo"}},
		{"userinfo percent-encoded", strings.Replace(base, user+"@", user+":hunt%40er2%2Fx@", 1), []string{"hunt%40er2%2Fx", "hunt@er2/x"}},
		{"query password", base + "&password=hunter2-query", []string{"hunter2-query"}},
		{"query password encoded", base + "&password=hunt%26er2%3Dq", []string{"hunt%26er2%3Dq", "hunt&er2=q"}},
		{"query sslpassword", base + "&sslpassword=hunter2-sslpw", []string{"hunter2-sslpw"}},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			s := startServer(t, func(c *Config) {
				c.Database = f.url
				c.MasterKey, c.MasterKeyFile = key.Encode(), ""
				c.BootstrapCredentialsFile = "" // first form bootstraps; later ones find accounts
			})
			if resp, _ := s.do(nil, "GET", "/healthz", nil, nil); resp.StatusCode != 200 {
				t.Fatalf("/healthz: %d", resp.StatusCode)
			}
			logs := s.logs.String()
			if !strings.Contains(logs, "certgate listening") {
				t.Fatalf("the start-up log line is missing:\n%s", logs)
			}
			assertNoSecrets(t, "server log", logs, f.secrets...)
			if !strings.Contains(logs, "xxxxx") {
				t.Errorf("the start-up log does not show the masked password:\n%s", logs)
			}
		})
	}

	const kvPassword = "hunter2-keyword"
	kv := "host=127.0.0.1 user=certgate dbname=certgate password=" + kvPassword
	env := map[string]string{"CERTGATE_MASTER_KEY": key.Encode()}
	code, stderr := runServe(t, env, "--addr", "127.0.0.1:0", "--database", kv)
	if code == 0 || !strings.Contains(stderr, "--database must be") {
		t.Errorf("serve with a keyword/value string: exit %d, stderr %q", code, stderr)
	}
	assertNoSecrets(t, "serve's error", stderr, kvPassword)
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	run(context.Background(), []string{"backup", "--out", filepath.Join(t.TempDir(), "b"), "--database", kv}, &out, &errb, getenv)
	assertNoSecrets(t, "backup's error", errb.String()+out.String(), kvPassword)
	run(context.Background(), []string{"backup", "--out", filepath.Join(t.TempDir(), "b"), "--database", forms[2].url}, &out, &errb, getenv)
	assertNoSecrets(t, "backup's advice", errb.String()+out.String(), forms[2].secrets...)
}

// Usage text never prints a database password: not from the environment's
// URL (userinfo or ?password=), whatever the command, and not after a bad flag.
func TestUsageHoldsNoDatabasePassword(t *testing.T) {
	for _, url := range []string{
		"postgres://u:HelpLeakPW@db.invalid/certgate",
		"postgres://u@db.invalid/certgate?sslmode=disable&password=HelpLeakPW",
		"host=db.invalid password=HelpLeakPW",
	} {
		for _, args := range [][]string{
			{"serve", "--help"}, {"serve", "--bogus"}, {"account", "create", "--bogus"},
			{"token", "create", "--bogus"}, {"backup", "--bogus"}, {"master-key", "rotate", "--bogus"},
			{"access-key", "list", "--bogus"},
		} {
			var out, errOut bytes.Buffer
			env := map[string]string{"CERTGATE_DATABASE": url}
			run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
			if text := out.String() + errOut.String(); strings.Contains(text, "HelpLeakPW") {
				t.Errorf("%v with CERTGATE_DATABASE=%s printed the password:\n%s", args, url, text)
			}
		}
	}
}
