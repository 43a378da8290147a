package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/internal/testtool"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// seedRun runs certgate bench seed in process on s's database.
func seedRun(t *testing.T, s *testServer, env map[string]string, args ...string) (seedResult, int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	full := append([]string{"bench", "seed", "--database", s.Config.Database, "--json"}, args...)
	if s.Config.MasterKey == "" {
		full = append(full, "--master-key-file", filepath.Join(s.dir, "master.key"))
	}
	code := run(context.Background(), full, &stdout, &stderr, func(k string) string { return env[k] })
	var res seedResult
	if code == 0 {
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("seed %v: output is not JSON: %v\n%s", args, err, stdout.String())
		}
	}
	return res, code, stdout.String(), stderr.String()
}

// profileAccount reads one profile of a seed credentials file as the
// accounts it names.
func profileAccount(t *testing.T, file, profile string) *accounts.Created {
	t.Helper()
	akid, secret, project, err := readProfile(file, profile)
	if err != nil {
		t.Fatal(err)
	}
	return &accounts.Created{Account: &certgate.Account{ProjectID: project}, AccessKeyID: akid, SecretAccessKey: secret}
}

// countAWS pages through an account's client certificates with the AWS SDK.
func countAWS(t *testing.T, c *apigateway.Client) (n int, ids []string) {
	t.Helper()
	var pos *string
	for {
		out, err := c.GetClientCertificates(context.Background(), &apigateway.GetClientCertificatesInput{Limit: aws.Int32(500), Position: pos})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			ids = append(ids, *it.ClientCertificateId)
		}
		if out.Position == nil {
			return len(ids), ids
		}
		pos = out.Position
	}
}

// checkKeyPair checks that certPEM parses (crypto/x509 and, when present,
// openssl), and that the record's sealed key opens and is the
// certificate's key.
func checkKeyPair(t *testing.T, s *testServer, scope certgate.Scope, kind certgate.Kind, id, certPEM string) {
	t.Helper()
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		t.Fatalf("%s %s: no PEM certificate: %q", kind, id, certPEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s %s: %v", kind, id, err)
	}
	key, err := s.Certs.PrivateKey(context.Background(), scope, kind, id)
	if err != nil {
		t.Fatalf("%s %s: open sealed key: %v", kind, id, err)
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		t.Errorf("%s %s: the sealed key is not the certificate's", kind, id)
	}
	// The same envelope under another record's AAD does not open: the key
	// is bound to its record.
	rec, err := s.Store.GetCertificate(context.Background(), scope, kind, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sealer.Open(rec.KeySealed, rec.SealKeyID, certgate.KeyAAD(id+"x", scope.AccountID, kind)); err == nil {
		t.Errorf("%s %s: the sealed key opens under another record's AAD", kind, id)
	}
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		testtool.Missing(t, "openssl")
		return
	}
	cmd := exec.Command(openssl, "x509", "-noout", "-subject")
	cmd.Stdin = strings.NewReader(certPEM)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s %s: openssl x509: %v\n%s", kind, id, err, out)
	}
}

// Seeding 2,000 records of both kinds over 3 new accounts of a database a
// server runs on: the server lists every one through both SDKs, with the
// counts the tool reported; a sampled record of each kind is real X.509
// with its key sealed to the record; the credentials file, and only it,
// holds the keys, and the load tool runs with it.
func TestBenchSeed(t *testing.T) {
	s := startServer(t, nil)
	credsFile := filepath.Join(t.TempDir(), "seed-credentials")
	res, code, stdout, stderr := seedRun(t, s, nil, "--count", "2000", "--accounts", "3", "--kind", "both", "--region", "eu-west-1",
		"--credentials-file", credsFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("SQLite: %d records in %.2fs: %.0f records/s", res.Records, res.Elapsed, res.RecordsPerSecond)
	if res.Records != 2000 || res.Client != 1000 || res.Server != 1000 || len(res.Accounts) != 3 || res.RecordsPerSecond <= 0 {
		t.Fatalf("result: %+v", res)
	}
	if fi, err := os.Stat(credsFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	var secrets []string
	for i, a := range res.Accounts {
		acct := profileAccount(t, credsFile, fmt.Sprintf("seed-%d", i+1))
		acct.Account.ID = a.AccountID
		secrets = append(secrets, acct.SecretAccessKey)
		if acct.Account.ProjectID != a.ProjectID {
			t.Errorf("account %d: project %s in the file, %s reported", i+1, acct.Account.ProjectID, a.ProjectID)
		}
		if a.Client+a.Server < 666 || a.Client < 300 || a.Server < 300 {
			t.Errorf("account %d: records not spread: %+v", i+1, a)
		}
		n, ids := countAWS(t, s.client(acct, "eu-west-1"))
		if int64(n) != a.Client {
			t.Errorf("account %d: the AWS SDK lists %d client certificates, seed reported %d", i+1, n, a.Client)
		}
		if other, _ := countAWS(t, s.client(acct, "us-east-1")); other != 0 {
			t.Errorf("account %d: %d client certificates in another region", i+1, other)
		}
		hw, err := s.hwClient(acct, "").ListCertificatesV2(&model.ListCertificatesV2Request{Limit: ptr(int32(500))})
		if err != nil {
			t.Fatal(err)
		}
		if hw.Total != a.Server {
			t.Errorf("account %d: the Huawei SDK lists %v server certificates, seed reported %d", i+1, hw.Total, a.Server)
		}
		// A sample of each kind, the last of the account.
		last := ids[len(ids)-1]
		got, err := s.client(acct, "eu-west-1").GetClientCertificate(context.Background(), &apigateway.GetClientCertificateInput{ClientCertificateId: &last})
		if err != nil {
			t.Fatal(err)
		}
		checkKeyPair(t, s, certgate.Scope{AccountID: a.AccountID, Region: "eu-west-1"}, certgate.KindClient, last, *got.PemEncodedCertificate)
		sc := (*hw.Certs)[len(*hw.Certs)-1]
		rec, err := s.Store.GetCertificate(context.Background(), certgate.Scope{AccountID: a.AccountID}, certgate.KindServer, *sc.Id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(rec.Name, "seed_") || rec.CommonName == "" || rec.KeyAlgorithm != "ECC" {
			t.Errorf("server record: name %q, CN %q, key %q", rec.Name, rec.CommonName, rec.KeyAlgorithm)
		}
		checkKeyPair(t, s, certgate.Scope{AccountID: a.AccountID}, certgate.KindServer, rec.ID, rec.CertificatePEM)
	}
	assertNoSecrets(t, "seed's stdout", stdout, secrets...)
	assertNoSecrets(t, "seed's stderr", stderr, secrets...)
	assertNoSecrets(t, "the server's log", s.logs.String(), secrets...)

	// The file works with the load tool: its default profile (the first
	// account) and a named one, with the Huawei project id it carries.
	for _, args := range [][]string{{"aws-list"}, {"hw-list", "--profile", "seed-3"}, {"aws-list", "--profile", "seed-2", "--region", "eu-west-1"}} {
		br, code, berr := benchRun(t, append(args, "--endpoint", s.URL(), "--credentials-file", credsFile, "--requests", "20")...)
		if code != 0 || br.Requests != 20 || br.Errors != 0 {
			t.Errorf("bench %v with the seed's credentials: exit %d, %+v, %s", args, code, br, berr)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Existing accounts, RSA keys, one kind: the records go to the accounts
// named, and no new account is made. Names differ between runs, so a
// second run into the same account does not collide.
func TestBenchSeedExistingAccounts(t *testing.T) {
	s := startServer(t, nil)
	other := s.newAccount()
	before, err := s.Store.CountAccounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		res, code, _, stderr := seedRun(t, s, nil, "--count", "6", "--kind", "server", "--key-type", "rsa2048", "--keys", "2",
			"--account-id", s.Bootstrap.Account.ID, "--account-id", other.Account.ID)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if res.Records != 6 || res.Server != 6 || len(res.Accounts) != 2 || res.Accounts[0].Server != 3 || res.KeyType != "rsa2048" {
			t.Errorf("result: %+v", res)
		}
	}
	after, _ := s.Store.CountAccounts(context.Background())
	if after != before {
		t.Errorf("accounts: %d before, %d after", before, after)
	}
	items, err := s.Store.ListCertificates(context.Background(), store.ListQuery{Scope: certgate.Scope{AccountID: other.Account.ID}, Kind: certgate.KindServer})
	if err != nil || len(items) != 6 {
		t.Fatalf("other account: %d records, %v", len(items), err)
	}
	if items[0].KeyAlgorithm != "RSA" {
		t.Errorf("key algorithm %q", items[0].KeyAlgorithm)
	}
	checkKeyPair(t, s, items[0].Scope, certgate.KindServer, items[0].ID, items[0].CertificatePEM)
	// An account that does not exist stops the run before any record.
	_, code, _, stderr := seedRun(t, s, nil, "--count", "1", "--account-id", "999999999999")
	if code != 1 || !strings.Contains(stderr, "999999999999") {
		t.Errorf("unknown account: exit %d, %q", code, stderr)
	}
}

// Bad flags are usage errors (exit 2) before anything is opened or
// written; a missing database is exit 1.
func TestBenchSeedUsage(t *testing.T) {
	s := startServer(t, nil)
	existing := filepath.Join(s.dir, "credentials") // the bootstrap file
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--count is required"},
		{[]string{"--count", "0"}, "--count is required"},
		{[]string{"--count", "x"}, "invalid value"},
		{[]string{"--count", "10", "--accounts", "0"}, "--accounts must be"},
		{[]string{"--count", "10", "--kind", "other"}, "--kind must be"},
		{[]string{"--count", "10", "--region", "US_EAST"}, "--region"},
		{[]string{"--count", "10", "--key-type", "dsa"}, "--key-type"},
		{[]string{"--count", "10", "--keys", "0"}, "--keys"},
		{[]string{"--count", "10", "--workers", "0"}, "--workers"},
		{[]string{"--count", "10", "--account-id", "12345"}, "12 digits"},
		{[]string{"--count", "10", "--account-id", s.Bootstrap.Account.ID, "--accounts", "2"}, "not both"},
		{[]string{"--count", "10", "--account-id", s.Bootstrap.Account.ID, "--credentials-file", "x"}, "no account is created"},
		{[]string{"--count", "10", "--credentials-file", existing}, "exists"},
		{[]string{"--count", "10", "extra"}, "unexpected argument"},
	} {
		_, code, _, stderr := seedRun(t, s, nil, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q in %q", c.args, code, c.want, stderr)
		}
	}
	n, _ := s.Store.CountAccounts(context.Background())
	if n != 1 {
		t.Errorf("%d accounts after the refused runs", n)
	}
	if b, err := os.ReadFile(existing); err != nil || !strings.Contains(string(b), s.Bootstrap.SecretAccessKey) {
		t.Errorf("the bootstrap credentials file was changed: %v", err)
	}
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"bench", "seed", "--count", "1", "--database", "sqlite:" + filepath.Join(t.TempDir(), "none.db")},
		&bytes.Buffer{}, &stderr, func(string) string { return "" })
	if code != 1 || !strings.Contains(stderr.String(), "does not exist") {
		t.Errorf("missing database: exit %d, %q", code, stderr.String())
	}
}

// The same on PostgreSQL, with the master key in the environment as an
// operator would give it.
func TestBenchSeedPostgres(t *testing.T) {
	url := pgtest.URL(t)
	key, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, func(c *Config) { c.Database = url; c.MasterKey, c.MasterKeyFile = key.Encode(), "" })
	res, code, _, stderr := seedRun(t, s, map[string]string{"CERTGATE_MASTER_KEY": key.Encode()}, "--count", "2000", "--accounts", "2", "--kind", "both")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("PostgreSQL: %d records in %.2fs: %.0f records/s", res.Records, res.Elapsed, res.RecordsPerSecond)
	if res.Workers != seedPostgresWorkers {
		t.Errorf("%d workers by default on PostgreSQL, want %d", res.Workers, seedPostgresWorkers)
	}
	for _, a := range res.Accounts {
		for _, k := range []struct {
			scope certgate.Scope
			kind  certgate.Kind
			want  int64
		}{{certgate.Scope{AccountID: a.AccountID, Region: "us-east-1"}, certgate.KindClient, a.Client}, {certgate.Scope{AccountID: a.AccountID}, certgate.KindServer, a.Server}} {
			n, err := s.Store.CountCertificates(context.Background(), store.ListQuery{Scope: k.scope, Kind: k.kind})
			if err != nil || n != k.want || n != 500 {
				t.Errorf("%s %s: %d stored, %d reported, %v", a.AccountID, k.kind, n, k.want, err)
			}
		}
		items, err := s.Store.ListCertificates(context.Background(), store.ListQuery{Scope: certgate.Scope{AccountID: a.AccountID, Region: "us-east-1"}, Kind: certgate.KindClient, Limit: 1})
		if err != nil || len(items) != 1 {
			t.Fatal(err)
		}
		checkKeyPair(t, s, items[0].Scope, certgate.KindClient, items[0].ID, items[0].CertificatePEM)
	}
}

// The text output is the credentials file's path and the final line;
// the secrets are in the file only.
func TestBenchSeedText(t *testing.T) {
	s := startServer(t, nil)
	credsFile := filepath.Join(t.TempDir(), "creds")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"bench", "seed", "--database", s.Config.Database, "--master-key-file", filepath.Join(s.dir, "master.key"),
		"--count", "10", "--accounts", "2", "--credentials-file", credsFile}, &stdout, &stderr, func(string) string { return "" })
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "seeded 10 records (10 client, 0 server) over 2 accounts in ") || !strings.Contains(out, credsFile) {
		t.Errorf("output: %q", out)
	}
	for _, p := range []string{"certgate", "seed-1", "seed-2"} {
		acct := profileAccount(t, credsFile, p)
		assertNoSecrets(t, "seed's output", out+stderr.String(), acct.SecretAccessKey)
	}
}
