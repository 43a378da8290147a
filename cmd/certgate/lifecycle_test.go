//go:build unix

package main

// Lifecycle tests of the real certgate binary: help and settings, the first
// start's files and log, accounts created while serving, the master key
// check, graceful shutdown and restarts. They need only Go (the binary is
// built by certgateBinary in e2e_test.go) and use ECDSA keys unless RSA is
// the point.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// ecdsaServe are the serve flags most lifecycle tests use: fast keys, a
// small pool, no rate limit.
func ecdsaServe(db string, extra ...string) []string {
	return append([]string{"--addr", "127.0.0.1:0", "--database", db,
		"--client-key-type", "ecdsa-p256", "--key-pool-size", "1", "--rate-limit", "0"}, extra...)
}

// bootstrapClient is an SDK client with the keys of a credentials file.
func bootstrapClient(t *testing.T, url, credentialsFile string) *apigateway.Client {
	t.Helper()
	ak, sk := readCredentialsFile(t, credentialsFile)
	return sdkClient(url, ak, sk)
}

func TestLifecycleServeHelp(t *testing.T) {
	stdout, stderr, code := runCertgate(t, 30*time.Second, cgEnv(), "serve", "--help")
	if code != 0 {
		t.Fatalf("certgate serve --help exited %d; stderr %s", code, stderr)
	}
	// Every setting, each with its own environment variable in its entry.
	settings := map[string]string{
		"addr":                       "CERTGATE_ADDR",
		"database":                   "CERTGATE_DATABASE",
		"master-key-file":            "CERTGATE_MASTER_KEY_FILE",
		"bootstrap-credentials-file": "CERTGATE_BOOTSTRAP_CREDENTIALS_FILE",
		"client-certificate-quota":   "CERTGATE_CLIENT_CERTIFICATE_QUOTA",
		"rate-limit":                 "CERTGATE_RATE_LIMIT",
		"rate-burst":                 "CERTGATE_RATE_BURST",
		"key-pool-size":              "CERTGATE_KEY_POOL_SIZE",
		"key-pool-workers":           "CERTGATE_KEY_POOL_WORKERS",
		"client-key-type":            "CERTGATE_CLIENT_KEY_TYPE",
		"client-cert-validity":       "CERTGATE_CLIENT_CERT_VALIDITY",
		"client-cert-subject":        "CERTGATE_CLIENT_CERT_SUBJECT",
		"max-body-bytes":             "CERTGATE_MAX_BODY_BYTES",
		"shutdown-timeout":           "CERTGATE_SHUTDOWN_TIMEOUT",
		"log-level":                  "CERTGATE_LOG_LEVEL",
		"log-format":                 "CERTGATE_LOG_FORMAT",
	}
	entries := helpEntries(stdout)
	listed := len(entries)
	for flag, env := range settings {
		e, ok := entries[flag]
		if !ok {
			t.Errorf("serve --help does not list --%s", flag)
			continue
		}
		if !strings.Contains(e, "(env "+env+")") {
			t.Errorf("serve --help: --%s does not name %s: %q", flag, env, e)
		}
	}
	// Settings added later follow the same rule: --some-flag is
	// CERTGATE_SOME_FLAG.
	for flag, e := range entries {
		env := "CERTGATE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
		if !strings.Contains(e, "(env "+env+")") {
			t.Errorf("serve --help: --%s does not name %s: %q", flag, env, e)
		}
	}
	if !strings.Contains(stdout, "CERTGATE_MASTER_KEY ") && !strings.Contains(stdout, "CERTGATE_MASTER_KEY (") {
		t.Errorf("serve --help does not mention CERTGATE_MASTER_KEY:\n%s", stdout)
	}
	// The values shown are the defaults...
	for flag, def := range map[string]string{"addr": `"127.0.0.1:8080"`, "rate-limit": `"50"`, "client-certificate-quota": `"60"`, "client-key-type": `"rsa2048"`} {
		if !strings.Contains(entries[flag], "(default "+def+")") {
			t.Errorf("serve --help: --%s does not show default %s: %q", flag, def, entries[flag])
		}
	}
	// ...or what the environment sets.
	stdout, _, code = runCertgate(t, 30*time.Second, cgEnv("CERTGATE_RATE_LIMIT=7"), "serve", "--help")
	if e := helpEntries(stdout)["rate-limit"]; code != 0 || !strings.Contains(e, `(default "7")`) {
		t.Errorf("with CERTGATE_RATE_LIMIT=7, serve --help shows --rate-limit as %q", e)
	}

	stdout, _, code = runCertgate(t, 30*time.Second, cgEnv(), "account", "create", "--help")
	entries = helpEntries(stdout)
	if code != 0 || !strings.Contains(entries["database"], "CERTGATE_DATABASE") || !strings.Contains(entries["master-key-file"], "CERTGATE_MASTER_KEY_FILE") || entries["json"] == "" {
		t.Errorf("account create --help (exit %d):\n%s", code, stdout)
	}
	t.Logf("certgate serve --help lists %d settings, each with its environment variable", listed)
}

// helpEntries splits usage output ("  --flag\n      text") by flag.
func helpEntries(usage string) map[string]string {
	out := map[string]string{}
	cur := ""
	for _, line := range strings.Split(usage, "\n") {
		if rest, ok := strings.CutPrefix(line, "  --"); ok {
			cur = strings.Fields(rest)[0]
			out[cur] = ""
			continue
		}
		if cur != "" && strings.HasPrefix(line, "      ") {
			out[cur] += strings.TrimSpace(line) + " "
		}
	}
	return out
}

func TestLifecycleEnvAndFlags(t *testing.T) {
	dir := t.TempDir()
	envDB := "sqlite:" + filepath.Join(dir, "env", "certgate.db")
	env := cgEnv(
		"CERTGATE_ADDR=127.0.0.1:0",
		"CERTGATE_DATABASE="+envDB,
		"CERTGATE_CLIENT_KEY_TYPE=ecdsa-p256",
		"CERTGATE_KEY_POOL_SIZE=0",
		"CERTGATE_RATE_LIMIT=0",
		"CERTGATE_CLIENT_CERTIFICATE_QUOTA=1",
		"CERTGATE_LOG_FORMAT=json",
	)

	t.Run("environment only", func(t *testing.T) {
		srv := startCertgate(t, env)
		var listening map[string]any
		for _, line := range strings.Split(strings.TrimSpace(srv.stderr.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("CERTGATE_LOG_FORMAT=json, but a log line is not JSON: %q", line)
			}
			if m["msg"] == "certgate listening" {
				listening = m
			}
		}
		if listening["database"] != envDB || listening["client_key_type"] != "ecdsa-p256" || listening["key_pool_size"] != float64(0) {
			t.Errorf("listening line %v does not reflect the environment", listening)
		}
		if _, err := os.Stat(filepath.Join(dir, "env", "credentials")); err != nil {
			t.Errorf("no credentials beside CERTGATE_DATABASE: %v", err)
		}
		api := bootstrapClient(t, srv.URL, filepath.Join(dir, "env", "credentials"))
		ctx := context.Background()
		out, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
		if err != nil {
			t.Fatal(err)
		}
		checkClientCert(t, aws.ToString(out.PemEncodedCertificate), "ecdsa-p256")
		// CERTGATE_CLIENT_CERTIFICATE_QUOTA=1.
		_, err = api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
		if code, status := sdkErr(err); code != "LimitExceededException" || status != 429 {
			t.Errorf("second certificate with quota 1: %v (%s %d), want LimitExceededException 429", err, code, status)
		}
		srv.stopClean()
	})

	t.Run("flags override environment", func(t *testing.T) {
		flagDB := "sqlite:" + filepath.Join(dir, "flag", "certgate.db")
		srv := startCertgate(t, env, "--database", flagDB, "--client-key-type", "rsa2048",
			"--client-certificate-quota", "2", "--log-format", "text")
		log := srv.stderr.String()
		if !strings.Contains(log, `msg="certgate listening"`) || !strings.Contains(log, "client_key_type=rsa2048") ||
			!strings.Contains(log, "database=sqlite:"+filepath.Join(dir, "flag", "certgate.db")) {
			t.Errorf("flags did not override the environment; log:\n%s", log)
		}
		api := bootstrapClient(t, srv.URL, filepath.Join(dir, "flag", "credentials"))
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			out, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
			if err != nil {
				t.Fatalf("certificate %d with --client-certificate-quota 2: %v", i+1, err)
			}
			checkClientCert(t, aws.ToString(out.PemEncodedCertificate), "rsa2048")
		}
		_, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
		if code, _ := sdkErr(err); code != "LimitExceededException" {
			t.Errorf("third certificate with --client-certificate-quota 2: %v", err)
		}
		srv.stopClean()
	})

	t.Run("invalid environment value", func(t *testing.T) {
		_, stderr, code := runCertgate(t, 30*time.Second, cgEnv("CERTGATE_RATE_LIMIT=fast"), "serve")
		if code != 2 || !strings.Contains(stderr, `CERTGATE_RATE_LIMIT="fast"`) || !strings.Contains(stderr, "not a number") {
			t.Errorf("CERTGATE_RATE_LIMIT=fast: exit %d, stderr %q; want 2 and a message naming the variable", code, stderr)
		}
		_, stderr, code = runCertgate(t, 30*time.Second, cgEnv("CERTGATE_ADDR=127.0.0.1:0", "CERTGATE_DATABASE="+envDB), "serve", "--key-pool-size", "-1", "--log-format", "xml")
		if code != 1 || !strings.Contains(stderr, "--key-pool-size must be between 0 and 10000") || !strings.Contains(stderr, "--log-format must be text or json") {
			t.Errorf("invalid flags: exit %d, stderr %q; want 1 and every problem listed", code, stderr)
		}
	})
}

func TestLifecycleFirstStart(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "certgate.db")
	srv := startCertgate(t, cgEnv(), ecdsaServe(db, "--log-level", "debug")...)

	keyFile := filepath.Join(dir, "master.key")
	credsFile := filepath.Join(dir, "credentials")
	for _, f := range []string{keyFile, credsFile} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatalf("first start did not create %s: %v", filepath.Base(f), err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(f), st.Mode().Perm())
		}
	}
	keyText, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rawKey, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(keyText)))
	if err != nil || len(rawKey) != 32 {
		t.Fatalf("master.key is not 32 bytes of base64: %q", keyText)
	}
	ak, sk := readCredentialsFile(t, credsFile)

	// Exercise the server: success, client errors, a bad signature, and an
	// account created on the side.
	ctx := context.Background()
	api := sdkClient(srv.URL, ak, sk)
	gen, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: gen.ClientCertificateId}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String("nosuchcert")}); err == nil {
		t.Error("get of an unknown id succeeded")
	}
	_, err = sdkClient(srv.URL, ak, sk+"x").GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
	if code, status := sdkErr(err); code != "InvalidSignatureException" || status != 403 {
		t.Errorf("wrong secret: %v", err)
	}
	other := createAccount(t, db)
	srv.stopClean()

	log := srv.stderr.String()
	for what, secret := range map[string]string{
		"the bootstrap secret access key":     sk,
		"the created account's secret":        other.SecretAccessKey,
		"the master key (as in master.key)":   strings.TrimSpace(string(keyText)),
		"the master key (hex)":                hex.EncodeToString(rawKey),
		"the master key (unpadded base64)":    base64.RawStdEncoding.EncodeToString(rawKey),
		"the master key (URL-safe base64)":    base64.RawURLEncoding.EncodeToString(rawKey),
		"a PEM private key":                   "PRIVATE KEY",
		"a request signature (Signature=...)": "Signature=",
	} {
		if strings.Contains(log, secret) {
			t.Errorf("the server log contains %s", what)
		}
	}
	// What it should say: where the key and credentials are.
	for _, want := range []string{"created a new master key file", keyFile, "created the bootstrap account", credsFile, "access_key_id=" + ak} {
		if !strings.Contains(log, want) {
			t.Errorf("the first start's log lacks %q:\n%s", want, log)
		}
	}
	if out := srv.stdout.String(); out != "" {
		t.Errorf("certgate serve wrote to stdout: %q", out)
	}
}

func TestLifecycleAccountCreateWhileServing(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "certgate.db")
	srv := startCertgate(t, cgEnv(), ecdsaServe(db)...)
	ctx := context.Background()
	alice := bootstrapClient(t, srv.URL, filepath.Join(dir, "credentials"))
	aliceCert, err := alice.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}

	keys := createAccount(t, db)
	t.Logf("account create --json while serving: account %s, project %s, access key %s", keys.AccountID, keys.ProjectID, keys.AccessKeyID)
	bob := sdkClient(srv.URL, keys.AccessKeyID, keys.SecretAccessKey)
	// The new key works at once.
	list, err := bob.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
	if err != nil {
		t.Fatalf("the new account's first request: %v", err)
	}
	if len(list.Items) != 0 {
		t.Errorf("the new account sees %d certificates", len(list.Items))
	}
	bobCert, err := bob.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	// Neither sees the other's certificate.
	for name, c := range map[string]struct {
		api *apigateway.Client
		id  *string
	}{"bob gets alice's": {bob, aliceCert.ClientCertificateId}, "alice gets bob's": {alice, bobCert.ClientCertificateId}} {
		_, err := c.api.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: c.id})
		var nf *types.NotFoundException
		if _, status := sdkErr(err); !errors.As(err, &nf) || status != 404 || !strings.Contains(err.Error(), "Invalid Client Certificate identifier specified") {
			t.Errorf("%s: %v, want NotFoundException 404", name, err)
		}
	}
	for name, c := range map[string]*apigateway.Client{"alice": alice, "bob": bob} {
		list, err := c.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
		if err != nil || len(list.Items) != 1 {
			t.Errorf("%s lists %d certificates (%v), want 1", name, len(list.Items), err)
		}
	}
	// A second account is another tenant again.
	if k2 := createAccount(t, db); k2.AccountID == keys.AccountID || k2.AccessKeyID == keys.AccessKeyID || k2.ProjectID == keys.ProjectID {
		t.Errorf("two accounts share identifiers: %+v %+v", keys, k2)
	}
	srv.stopClean()
	if strings.Contains(srv.stderr.String(), keys.SecretAccessKey) {
		t.Error("the server log contains the new account's secret")
	}
}

func TestLifecycleMasterKey(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "certgate.db")
	keyFile := filepath.Join(dir, "master.key")
	args := ecdsaServe(db)
	srv := startCertgate(t, cgEnv(), args...)
	keyID := regexp.MustCompile(`master_key_id=(mk-[0-9a-f]+)`).FindStringSubmatch(srv.stderr.String())
	if keyID == nil {
		t.Fatalf("no master_key_id in the listening line:\n%s", srv.stderr.String())
	}
	ak, sk := readCredentialsFile(t, filepath.Join(dir, "credentials"))
	ctx := context.Background()
	gen, err := sdkClient(srv.URL, ak, sk).GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("sealed")})
	if err != nil {
		t.Fatal(err)
	}
	srv.stopClean()
	rightKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	// refused starts certgate expecting it to refuse quickly, and returns
	// its stderr.
	refused := func(env []string, args ...string) string {
		t.Helper()
		start := time.Now()
		_, stderr, code := runCertgate(t, 20*time.Second, env, args...)
		took := time.Since(start)
		if code == 0 {
			t.Fatalf("certgate %s started (exit 0), want a refusal", strings.Join(args, " "))
		}
		if took > 10*time.Second {
			t.Errorf("refusing took %v", took)
		}
		if strings.Contains(stderr, "certgate listening") {
			t.Errorf("certgate listened before refusing:\n%s", stderr)
		}
		t.Logf("certgate %s → exit %d in %v:\n%s", args[0], code, took.Round(time.Millisecond), stderr)
		return stderr
	}

	t.Run("wrong key", func(t *testing.T) {
		wrong := make([]byte, 32)
		_, _ = rand.Read(wrong)
		wrongText := base64.StdEncoding.EncodeToString(wrong)
		if err := os.WriteFile(keyFile, []byte(wrongText+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		stderr := refused(cgEnv(), append([]string{"serve"}, args...)...)
		for _, want := range []string{"master key mismatch", "the database was sealed with master key " + keyID[1], "the configured master key is mk-", "--master-key-file", "CERTGATE_MASTER_KEY"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q", want)
			}
		}
		if strings.Contains(stderr, wrongText) || strings.Contains(stderr, strings.TrimSpace(string(rightKey))) {
			t.Error("stderr shows master key material")
		}
		// account create refuses too, rather than sealing a secret under
		// the wrong key.
		stderr = refused(cgEnv(), "account", "create", "--database", db, "--json")
		if !strings.Contains(stderr, "master key mismatch") {
			t.Errorf("account create with the wrong key: %q", stderr)
		}
	})

	t.Run("missing key", func(t *testing.T) {
		if err := os.Remove(keyFile); err != nil {
			t.Fatal(err)
		}
		stderr := refused(cgEnv(), append([]string{"serve"}, args...)...)
		for _, want := range []string{keyFile + " does not exist", "the database holds data sealed under a master key", "restore that key file"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q", want)
			}
		}
		if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused start created %s (%v): a new key must never replace a lost one", keyFile, err)
		}
	})

	t.Run("key in CERTGATE_MASTER_KEY", func(t *testing.T) {
		keyText := strings.TrimSpace(string(rightKey))
		srv := startCertgate(t, cgEnv("CERTGATE_MASTER_KEY="+keyText), args...)
		got, err := sdkClient(srv.URL, ak, sk).GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: gen.ClientCertificateId})
		if err != nil || aws.ToString(got.PemEncodedCertificate) != aws.ToString(gen.PemEncodedCertificate) {
			t.Errorf("with CERTGATE_MASTER_KEY: %v", err)
		}
		srv.stopClean()
		if strings.Contains(srv.stderr.String(), keyText) {
			t.Error("the log shows CERTGATE_MASTER_KEY")
		}
		if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("with CERTGATE_MASTER_KEY, a key file appeared: %v", err)
		}
	})

	t.Run("restored key", func(t *testing.T) {
		if err := os.WriteFile(keyFile, rightKey, 0o600); err != nil {
			t.Fatal(err)
		}
		srv := startCertgate(t, cgEnv(), args...)
		if !strings.Contains(srv.stderr.String(), "master_key_id="+keyID[1]) {
			t.Errorf("restarted with another key id:\n%s", srv.stderr.String())
		}
		got, err := sdkClient(srv.URL, ak, sk).GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: gen.ClientCertificateId})
		if err != nil {
			t.Fatalf("old certificate after restoring the key: %v", err)
		}
		if aws.ToString(got.PemEncodedCertificate) != aws.ToString(gen.PemEncodedCertificate) || aws.ToString(got.Description) != "sealed" {
			t.Error("old certificate changed")
		}
		// The restored key still seals: an account created now works.
		k := createAccount(t, db)
		if _, err := sdkClient(srv.URL, k.AccessKeyID, k.SecretAccessKey).GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{}); err != nil {
			t.Errorf("new account after restoring the key: %v", err)
		}
		srv.stopClean()
	})
}

func TestLifecycleGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "certgate.db")
	// RSA without a pool: each Generate pays for a 2048-bit key inline.
	args := []string{"--addr", "127.0.0.1:0", "--database", db, "--client-key-type", "rsa2048",
		"--key-pool-size", "0", "--rate-limit", "0", "--shutdown-timeout", "30s"}
	srv := startCertgate(t, cgEnv(), args...)
	ak, sk := readCredentialsFile(t, filepath.Join(dir, "credentials"))
	api := sdkClient(srv.URL, ak, sk)

	const n = 10
	type result struct {
		id, pem string
		err     error
		at      time.Time
	}
	results := make(chan result, n)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String(fmt.Sprint("inflight ", i))})
			r := result{err: err, at: time.Now()}
			if err == nil {
				r.id, r.pem = aws.ToString(out.ClientCertificateId), aws.ToString(out.PemEncodedCertificate)
			}
			results <- r
		}()
	}
	// SIGTERM as soon as the first answer arrives: the others are then in
	// flight, generating their keys.
	var got []result
	select {
	case r := <-results:
		got = append(got, r)
	case <-time.After(60 * time.Second):
		t.Fatal("no Generate answered within 60s")
	}
	sigAt := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(90 * time.Second):
		t.Fatal("in-flight Generate calls did not finish within 90s of SIGTERM")
	}
	close(results)
	for r := range results {
		got = append(got, r)
	}
	code := srv.wait(30 * time.Second)
	log := srv.stderr.String()
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	shutdownAt := strings.Index(log, "shutting down: finishing in-flight requests")
	if shutdownAt < 0 || !strings.Contains(log[shutdownAt:], "shut down cleanly") {
		t.Errorf("the log does not say it drained and shut down cleanly:\n%s", log)
	}

	acked := map[string]string{}
	after := 0
	var unanswered []string
	for _, r := range got {
		if r.err != nil {
			// A request the server had not begun to read when it started
			// shutting down gets no answer at all (connection refused, or
			// EOF: net/http drops a request it reads after Shutdown began).
			// What must never happen is an HTTP error, or a commit without
			// an answer (checked after the restart below).
			if _, status := sdkErr(r.err); status != 0 {
				t.Errorf("a Generate in flight at SIGTERM got HTTP %d: %v", status, r.err)
			}
			unanswered = append(unanswered, r.err.Error())
			continue
		}
		acked[r.id] = r.pem
		if r.at.After(sigAt) {
			after++
		}
	}
	// Proof that requests were in flight: the server answered some of them
	// after it logged that it was shutting down. (Counting answers the
	// client received after sending SIGTERM is not exact: one written just
	// before the signal may be read just after it.)
	drained := 0
	if shutdownAt >= 0 {
		drained = countRequests(log[shutdownAt:], "POST", "/clientcertificates", 201)
	}
	if drained == 0 {
		t.Error("no Generate was answered after the server began shutting down: nothing was in flight")
	}
	t.Logf("%d concurrent RSA Generate calls; SIGTERM after the first answer; %d answered 201, %d of them received after SIGTERM, %d logged after \"shutting down\"; exit code %d",
		n, len(acked), after, drained, code)
	for _, e := range unanswered {
		t.Logf("unanswered (no HTTP response, nothing committed): %s", e)
	}

	// Every acknowledged certificate survives, and nothing unacknowledged
	// appeared.
	srv2 := startCertgate(t, cgEnv(), args...)
	api2 := sdkClient(srv2.URL, ak, sk)
	for id, pem := range acked {
		c, err := api2.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String(id)})
		if err != nil {
			t.Errorf("acknowledged certificate %s is gone after restart: %v", id, err)
		} else if aws.ToString(c.PemEncodedCertificate) != pem {
			t.Errorf("certificate %s changed across restart", id)
		}
	}
	list, err := api2.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Limit: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != len(acked) {
		t.Errorf("after restart %d certificates exist, but %d were acknowledged", len(list.Items), len(acked))
	}
	srv2.stopClean()
}

func TestLifecycleRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "certgate.db")
	credsFile := filepath.Join(dir, "credentials")
	srv := startCertgate(t, cgEnv(), ecdsaServe(db)...)
	creds, err := os.ReadFile(credsFile)
	if err != nil {
		t.Fatal(err)
	}
	ak, sk := readCredentialsFile(t, credsFile)
	ctx := context.Background()
	gen, err := sdkClient(srv.URL, ak, sk).GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{
		Description: aws.String("keep me"), Tags: map[string]string{"env": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	srv.stopClean()

	srv = startCertgate(t, cgEnv(), ecdsaServe(db)...)
	if strings.Contains(srv.stderr.String(), "created the bootstrap account") || strings.Contains(srv.stderr.String(), "created a new master key file") {
		t.Errorf("the second start bootstrapped again:\n%s", srv.stderr.String())
	}
	if now, _ := os.ReadFile(credsFile); string(now) != string(creds) {
		t.Error("the second start rewrote the credentials file")
	}
	got, err := sdkClient(srv.URL, ak, sk).GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: gen.ClientCertificateId})
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	if aws.ToString(got.PemEncodedCertificate) != aws.ToString(gen.PemEncodedCertificate) {
		t.Error("the PEM changed across restart")
	}
	if aws.ToString(got.Description) != "keep me" || got.Tags["env"] != "prod" ||
		!got.CreatedDate.Equal(*gen.CreatedDate) || !got.ExpirationDate.Equal(*gen.ExpirationDate) {
		t.Errorf("after restart: %q %v %v %v", aws.ToString(got.Description), got.Tags, got.CreatedDate, got.ExpirationDate)
	}
	srv.stopClean()
}

// TestLifecycleShutdownDelay: with --shutdown-delay, SIGTERM first turns
// /healthz to 503 while requests are still served, so a load balancer can
// stop sending traffic; then the server shuts down cleanly.
func TestLifecycleShutdownDelay(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "certgate.db")
	srv := startCertgate(t, cgEnv(), ecdsaServe(db, "--shutdown-delay", "1500ms")...)
	api := bootstrapClient(t, srv.URL, filepath.Join(dir, "credentials"))
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatalf("healthz while draining: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "draining") {
		t.Errorf("healthz while draining: %d %s", resp.StatusCode, body)
	}
	if _, err := api.GenerateClientCertificate(context.Background(), &apigateway.GenerateClientCertificateInput{}); err != nil {
		t.Errorf("a request while draining: %v", err)
	}
	if code := srv.wait(10 * time.Second); code != 0 {
		t.Errorf("exit code %d", code)
	}
	if log := srv.stderr.String(); !strings.Contains(log, "draining") || !strings.Contains(log, "shut down cleanly") {
		t.Errorf("log:\n%s", log)
	}
}

// TestLifecycleAccountCreateNeedsDatabase: a mistyped path must not create a
// new database with a new master key.
func TestLifecycleAccountCreateNeedsDatabase(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo", "certgat.db")
	for _, args := range [][]string{
		{"account", "create", "--database", "sqlite:" + missing, "--json"},
		{"token", "create", "--database", "sqlite:" + missing, "--access-key-id", "CGAKAAAAAAAAAAAAAAAA"},
	} {
		stdout, stderr, code := runCertgate(t, 30*time.Second, cgEnv(), args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "does not exist") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", args[0], code, stdout, stderr)
		}
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the mistyped path was created: %v", err)
	}
}
