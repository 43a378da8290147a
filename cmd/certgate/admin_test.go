package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

// cliFunc runs one certgate command and returns its stdout, stderr and
// exit code.
type cliFunc func(t *testing.T, args ...string) (string, string, int)

// inProcessCLI runs commands through run, on srv's database and master key,
// with an empty environment.
func inProcessCLI(srv *testServer) cliFunc {
	return func(t *testing.T, args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(args, "--database", srv.Config.Database, "--master-key-file", srv.Config.MasterKeyFile)
		code := run(context.Background(), args, &out, &errb, func(string) string { return "" })
		return out.String(), errb.String(), code
	}
}

// binaryCLI runs the real binary on a database with a master key in env.
func binaryCLI(database, keyEnv string) cliFunc {
	return func(t *testing.T, args ...string) (string, string, int) {
		t.Helper()
		return runCertgate(t, 30*time.Second, cgEnv(keyEnv), append(args, "--database", database)...)
	}
}

// mustJSON runs a command that must succeed and decodes its --json output.
func (cli cliFunc) mustJSON(t *testing.T, v any, args ...string) string {
	t.Helper()
	stdout, stderr, code := cli(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("certgate %s exited %d: %s", strings.Join(args, " "), code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), v); err != nil {
		t.Fatalf("certgate %s --json printed %q: %v", strings.Join(args, " "), stdout, err)
	}
	return stdout
}

// mustFail runs a command that must exit 1 with a message containing want.
func (cli cliFunc) mustFail(t *testing.T, want string, args ...string) {
	t.Helper()
	_, stderr, code := cli(t, args...)
	t.Logf("certgate %s: exit %d: %s", strings.Join(args, " "), code, strings.TrimSpace(stderr))
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("certgate %s: exit %d, stderr %q; want exit 1 and %q", strings.Join(args, " "), code, stderr, want)
	}
}

type createdKeyJSON struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	AccountID       string `json:"accountId"`
	CreatedAt       string `json:"createdAt"`
}

type keyListJSON struct {
	AccountID  string `json:"accountId"`
	AccessKeys []struct {
		AccessKeyID string `json:"accessKeyId"`
		CreatedAt   string `json:"createdAt"`
	} `json:"accessKeys"`
}

type tokenListJSON struct {
	Tokens []struct {
		Hash        string `json:"hash"`
		AccessKeyID string `json:"accessKeyId"`
		ExpiresAt   string `json:"expiresAt"`
		Expired     bool   `json:"expired"`
	} `json:"tokens"`
}

type tokenJSON struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
}

// awsStatus sends one signed AWS request and returns the status and error
// type ("" on success).
func awsStatus(t *testing.T, url string, k accountKeys) (int, string, string) {
	t.Helper()
	_, err := awsClientFor(url, k).GetClientCertificates(context.Background(), &apigateway.GetClientCertificatesInput{})
	if err == nil {
		return 200, "", ""
	}
	code, status := sdkErr(err)
	return status, code, err.Error()
}

// hwStatus sends one signed Huawei request and returns the status.
func hwStatus(t *testing.T, url string, k accountKeys) (int, string) {
	t.Helper()
	_, err := hwClientFor(t, url, k).ListCertificatesV2(&model.ListCertificatesV2Request{})
	if err == nil {
		return 200, ""
	}
	st, code, _ := hwErr(err)
	return st, code
}

// tokenStatus sends one Huawei request authenticated by an X-Auth-Token.
func tokenStatus(t *testing.T, url, projectID, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/v2/"+projectID+"/apigw/certificates", nil)
	req.Header.Set("X-Auth-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]string
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out["error_code"]
}

// checkRefused asserts that a revoked key is refused in both dialects, as
// AWS and Huawei refuse an unknown key.
func checkRefused(t *testing.T, node string, url string, k accountKeys) {
	t.Helper()
	if st, code, msg := awsStatus(t, url, k); st != 403 || code != "UnrecognizedClientException" ||
		!strings.Contains(msg, "The security token included in the request is invalid.") {
		t.Errorf("%s, AWS, revoked key %s: %d %s %q; want 403 UnrecognizedClientException", node, k.AccessKeyID, st, code, msg)
	}
	if st, code := hwStatus(t, url, k); st != 401 || code != "APIGW.0301" {
		t.Errorf("%s, Huawei, revoked key %s: %d %s; want 401 APIGW.0301", node, k.AccessKeyID, st, code)
	}
}

func checkAccepted(t *testing.T, node string, url string, k accountKeys) {
	t.Helper()
	if st, code, msg := awsStatus(t, url, k); st != 200 {
		t.Errorf("%s, AWS, key %s: %d %s %s; want 200", node, k.AccessKeyID, st, code, msg)
	}
	if st, code := hwStatus(t, url, k); st != 200 {
		t.Errorf("%s, Huawei, key %s: %d %s; want 200", node, k.AccessKeyID, st, code)
	}
}

// sleepPast sleeps until d has passed since start. It is a lower bound, not
// a race: a key cached before the revocation committed expires at most d
// after it, whatever the machine's speed.
func sleepPast(start time.Time, d time.Duration) {
	time.Sleep(time.Until(start.Add(d + 100*time.Millisecond)))
}

// TestAdminRevocationMultiNodePostgres: two nodes on PostgreSQL with a 1s
// access-key cache. A key and tokens revoked with the CLI (another process)
// are refused by both nodes once the cache lifetime has passed; a token at
// once; and an account deleted with --force takes its key and certificates.
func TestAdminRevocationMultiNodePostgres(t *testing.T) {
	const ttl = time.Second
	c := startCluster(t, postgresBackend(t), 2, "--access-key-cache-ttl", ttl.String())
	cli := binaryCLI(c.b.url, c.keyEnv)
	first := c.acct
	nodes := map[string]string{"node 1": c.nodes[0].URL, "node 2": c.nodes[1].URL}

	var k2 createdKeyJSON
	out := cli.mustJSON(t, &k2, "access-key", "create", "--account-id", first.AccountID)
	t.Logf("access-key create --json: %s", strings.Replace(strings.TrimSpace(out), k2.SecretAccessKey, "<secret>", 1))
	if k2.AccountID != first.AccountID || len(k2.AccessKeyID) != 20 || len(k2.SecretAccessKey) != 40 || k2.CreatedAt == "" {
		t.Fatalf("access-key create printed %+v", k2)
	}
	second := accountKeys{AccountID: first.AccountID, ProjectID: first.ProjectID, AccessKeyID: k2.AccessKeyID, SecretAccessKey: k2.SecretAccessKey}
	cli.mustFail(t, "already has the most access keys allowed (2)", "access-key", "create", "--account-id", first.AccountID)

	var list keyListJSON
	out = cli.mustJSON(t, &list, "access-key", "list", "--account-id", first.AccountID)
	if len(list.AccessKeys) != 2 || list.AccessKeys[0].AccessKeyID != first.AccessKeyID || list.AccessKeys[1].AccessKeyID != second.AccessKeyID {
		t.Errorf("access-key list = %s", out)
	}
	assertNoSecrets(t, "access-key list", out, first.SecretAccessKey, second.SecretAccessKey)

	var tok1 tokenJSON
	cli.mustJSON(t, &tok1, "token", "create", "--access-key-id", first.AccessKeyID)
	for node, url := range nodes {
		checkAccepted(t, node, url, first) // both nodes now cache the first key
		checkAccepted(t, node, url, second)
		if st, code := tokenStatus(t, url, first.ProjectID, tok1.Token); st != 200 {
			t.Fatalf("%s: token before revocation: %d %s", node, st, code)
		}
	}

	// Revoke the first key; it takes its token along.
	cli.mustFail(t, "has no access key", "access-key", "delete", "--account-id", "999999999999", "--access-key-id", first.AccessKeyID)
	_, stderr, code := cli(t, "access-key", "delete", "--account-id", first.AccountID, "--access-key-id", first.AccessKeyID)
	revoked := time.Now()
	if code != 0 {
		t.Fatalf("access-key delete exited %d: %s", code, stderr)
	}
	for node, url := range nodes {
		if st, code := tokenStatus(t, url, first.ProjectID, tok1.Token); st != 401 || code != "APIG.1002" {
			t.Errorf("%s: token of the deleted key, at once: %d %s; want 401 APIG.1002", node, st, code)
		}
	}
	sleepPast(revoked, ttl)
	for node, url := range nodes {
		checkRefused(t, node, url, first)
		checkAccepted(t, node, url, second)
	}

	// Revoke a token by the hash prefix that token list shows.
	var tok2 tokenJSON
	cli.mustJSON(t, &tok2, "token", "create", "--access-key-id", second.AccessKeyID)
	var tl tokenListJSON
	out = cli.mustJSON(t, &tl, "token", "list", "--account-id", first.AccountID)
	if len(tl.Tokens) != 1 || tl.Tokens[0].AccessKeyID != second.AccessKeyID || len(tl.Tokens[0].Hash) != 64 || tl.Tokens[0].Expired {
		t.Fatalf("token list = %s", out)
	}
	if strings.Contains(out, tok2.Token) {
		t.Error("token list shows the token")
	}
	for node, url := range nodes {
		if st, code := tokenStatus(t, url, first.ProjectID, tok2.Token); st != 200 {
			t.Fatalf("%s: second token: %d %s", node, st, code)
		}
	}
	cli.mustFail(t, "8 to 64 hexadecimal", "token", "revoke", "--hash-prefix", "abc")
	if _, stderr, code := cli(t, "token", "revoke", "--hash-prefix", tl.Tokens[0].Hash[:10]); code != 0 {
		t.Fatalf("token revoke exited %d: %s", code, stderr)
	}
	for node, url := range nodes {
		if st, code := tokenStatus(t, url, first.ProjectID, tok2.Token); st != 401 || code != "APIG.1002" {
			t.Errorf("%s: revoked token, at once: %d %s; want 401 APIG.1002", node, st, code)
		}
	}

	// Delete the account: refused while it holds a certificate.
	if _, err := awsClientFor(c.nodes[0].URL, second).GenerateClientCertificate(context.Background(), &apigateway.GenerateClientCertificateInput{}); err != nil {
		t.Fatal(err)
	}
	cli.mustFail(t, "--force", "account", "delete", "--account-id", first.AccountID)
	checkAccepted(t, "node 2", c.nodes[1].URL, second)
	_, stderr, code = cli(t, "account", "delete", "--account-id", first.AccountID, "--force")
	deleted := time.Now()
	if code != 0 {
		t.Fatalf("account delete --force exited %d: %s", code, stderr)
	}
	var accts struct {
		Accounts []struct {
			AccountID string `json:"accountId"`
		} `json:"accounts"`
	}
	out = cli.mustJSON(t, &accts, "account", "list")
	if strings.Contains(out, first.AccountID) {
		t.Errorf("account list after delete: %s", out)
	}
	sleepPast(deleted, ttl)
	for node, url := range nodes {
		checkRefused(t, node, url, second)
	}
	for _, p := range c.nodes {
		assertNoSecrets(t, "server log", p.stderr.String(), first.SecretAccessKey, second.SecretAccessKey, tok1.Token, tok2.Token)
	}
}

// TestAdminRevocationCache: on a node with a long cache lifetime, a key
// deleted by the CLI (another store handle) is still accepted within the
// lifetime, which is what the flag bounds; a key revoked through the
// node's own accounts.Service is refused at once.
func TestAdminRevocationCache(t *testing.T) {
	srv := startServer(t, func(c *Config) { c.AccessKeyCacheTTL = time.Hour })
	cli := inProcessCLI(srv)
	a := srv.newAccount()
	first := accountKeys{AccountID: a.Account.ID, ProjectID: a.Account.ProjectID, AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey}
	var k2 createdKeyJSON
	cli.mustJSON(t, &k2, "access-key", "create", "--account-id", a.Account.ID)
	second := first
	second.AccessKeyID, second.SecretAccessKey = k2.AccessKeyID, k2.SecretAccessKey
	checkAccepted(t, "node", srv.URL(), first)
	checkAccepted(t, "node", srv.URL(), second)

	if _, stderr, code := cli(t, "access-key", "delete", "--account-id", a.Account.ID, "--access-key-id", first.AccessKeyID); code != 0 {
		t.Fatalf("access-key delete exited %d: %s", code, stderr)
	}
	checkAccepted(t, "node within its 1h cache lifetime", srv.URL(), first)

	if err := srv.Accounts.DeleteAccessKey(context.Background(), a.Account.ID, second.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	checkRefused(t, "node that revoked the key", srv.URL(), second)
}

// TestAdminCommands: usage errors, text output, and the refusals, on
// SQLite.
func TestAdminCommands(t *testing.T) {
	srv := startServer(t, nil)
	cli := inProcessCLI(srv)
	a := srv.newAccount()

	for _, args := range [][]string{
		{"access-key"}, {"access-key", "rotate"}, {"access-key", "list"}, {"access-key", "delete", "--account-id", a.Account.ID},
		{"token", "revoke"}, {"token", "revoke", "--token", "x", "--hash-prefix", "abcdabcd"}, {"token", "list"},
		{"account", "delete"}, {"account", "list", "extra"},
	} {
		if _, stderr, code := cli(t, args...); code != 2 || stderr == "" {
			t.Errorf("certgate %s: exit %d, stderr %q; want a usage error (2)", strings.Join(args, " "), code, stderr)
		}
	}
	cli.mustFail(t, "account id must be exactly 12 digits", "access-key", "list", "--account-id", "12")
	cli.mustFail(t, "account 999999999999 does not exist", "access-key", "create", "--account-id", "999999999999")
	cli.mustFail(t, "account 999999999999 does not exist", "account", "delete", "--account-id", "999999999999")
	cli.mustFail(t, "not a certgate token", "token", "revoke", "--token", "nope")
	cli.mustFail(t, "no token hash starts with", "token", "revoke", "--hash-prefix", "0123456789abcdef")

	stdout, _, code := cli(t, "access-key", "list", "--account-id", a.Account.ID)
	if code != 0 || !strings.Contains(stdout, "ACCESS KEY ID") || !strings.Contains(stdout, a.AccessKeyID) {
		t.Errorf("access-key list (text): %d %q", code, stdout)
	}
	stdout, _, code = cli(t, "account", "list")
	if code != 0 || !strings.Contains(stdout, a.Account.ID) || !strings.Contains(stdout, srv.Bootstrap.Account.ID) {
		t.Errorf("account list (text): %d %q", code, stdout)
	}
	// Deleting the last key is allowed, with a note on stderr.
	_, stderr, code := cli(t, "access-key", "delete", "--account-id", a.Account.ID, "--access-key-id", a.AccessKeyID)
	if code != 0 || !strings.Contains(stderr, "no access key left") {
		t.Errorf("delete the last key: %d %q", code, stderr)
	}
	checkRefused(t, "node", srv.URL(), accountKeys{AccountID: a.Account.ID, ProjectID: a.Account.ProjectID, AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey})
	stdout, _, code = cli(t, "help")
	for _, c := range []string{"access-key create", "access-key list", "access-key delete", "token revoke", "token list", "account list", "account delete"} {
		if code != 0 || !strings.Contains(stdout, c) {
			t.Errorf("certgate help does not list %q", c)
		}
	}
}

// TestAccessKeyCacheTTLSetting: the cache lifetime is a setting like the
// others: flag, environment variable, default 0s shown in serve --help,
// 0 allowed (no cache), and validated.
func TestAccessKeyCacheTTLSetting(t *testing.T) {
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "CERTGATE_ACCESS_KEY_CACHE_TTL" {
			return "5s"
		}
		return ""
	}
	if code := run(context.Background(), []string{"serve", "--help"}, &out, &errb, func(string) string { return "" }); code != 0 {
		t.Fatalf("serve --help: %d %s", code, errb.String())
	}
	e := helpEntries(out.String())["access-key-cache-ttl"]
	if !strings.Contains(e, "(env CERTGATE_ACCESS_KEY_CACHE_TTL)") || !strings.Contains(e, `(default "0s")`) || !strings.Contains(e, "0 disables") {
		t.Errorf("serve --help: --access-key-cache-ttl is %q", e)
	}
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{{nil, 5 * time.Second}, {[]string{"--access-key-cache-ttl", "0"}, 0}, {[]string{"--access-key-cache-ttl", "1m"}, time.Minute}} {
		cfg := DefaultConfig()
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		if err := cfg.bind(fs, env, serveScope); err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if cfg.AccessKeyCacheTTL != tc.want {
			t.Errorf("env 5s, flags %v: %v, want %v", tc.args, cfg.AccessKeyCacheTTL, tc.want)
		}
	}
	for _, bad := range []time.Duration{-time.Second, 2 * time.Hour} {
		cfg := DefaultConfig()
		cfg.MasterKeyFile = "x"
		cfg.AccessKeyCacheTTL = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--access-key-cache-ttl") {
			t.Errorf("Validate with %v: %v", bad, err)
		}
	}
}
