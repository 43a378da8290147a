//go:build unix

package main

// End-to-end tests: they build the real certgate binary, start it as a user
// would (certgate serve on 127.0.0.1:0 with a fresh SQLite database), and
// drive it with the AWS CLI (v1 and v2) and with boto3. The process helpers
// here are shared with lifecycle_test.go.
//
// Only Go is needed to build and run the binary; the AWS CLI and boto3 are
// found with package testtool, which skips (or, with
// CERTGATE_REQUIRE_TOOLS=1, fails) when they are absent.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"

	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/internal/testtool"
)

// ---------------------------------------------------------------------------
// Building the binary, once per test binary run.

var e2eBuild struct {
	once sync.Once
	dir  string // temporary directory holding the binary; removed by TestMain
	bin  string
	err  error
	out  []byte
	took time.Duration
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop() // the private PostgreSQL server, if a test started one
	if e2eBuild.dir != "" {
		_ = os.RemoveAll(e2eBuild.dir)
	}
	os.Exit(code)
}

// certgateBinary builds ./cmd/certgate once and returns the binary's path.
func certgateBinary(t testing.TB) string {
	t.Helper()
	gobin := testtool.LookPath(t, "go")
	e2eBuild.once.Do(func() {
		start := time.Now()
		dir, err := os.MkdirTemp("", "certgate-e2e-bin-")
		if err != nil {
			e2eBuild.err = err
			return
		}
		e2eBuild.dir = dir
		bin := filepath.Join(dir, "certgate")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		// The test's working directory is the package directory.
		cmd := exec.CommandContext(ctx, gobin, "build", "-o", bin, ".")
		e2eBuild.out, e2eBuild.err = cmd.CombinedOutput()
		e2eBuild.bin = bin
		e2eBuild.took = time.Since(start)
	})
	if e2eBuild.err != nil {
		t.Fatalf("go build ./cmd/certgate: %v\n%s", e2eBuild.err, e2eBuild.out)
	}
	return e2eBuild.bin
}

// ---------------------------------------------------------------------------
// Running certgate.

// cgEnv is the environment for certgate processes: the test's own, without
// any CERTGATE_* setting (a developer's shell must not change what the tests
// run), plus extra.
func cgEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CERTGATE_") {
			env = append(env, kv)
		}
	}
	// The gateway runs by default: on free ports, so that servers never
	// collide on 8443 and 8081 (extra, and flags, may say otherwise).
	env = append(env, "CERTGATE_GATEWAY_HTTPS_ADDR=127.0.0.1:0", "CERTGATE_GATEWAY_HTTP_ADDR=127.0.0.1:0")
	return append(env, extra...)
}

// cgOutput collects a process's stderr and notices the "certgate listening"
// log line (text or JSON format).
type cgOutput struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addr  string
	ready chan struct{}
}

var listeningRE = regexp.MustCompile(`(?:msg="certgate listening" addr=|"msg":"certgate listening","addr":")([0-9a-fA-F.:\[\]]+)`)

func (o *cgOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if o.addr == "" {
		if m := listeningRE.FindSubmatch(o.buf.Bytes()); m != nil {
			o.addr = string(m[1])
			close(o.ready)
		}
	}
	return len(p), nil
}

func (o *cgOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Len is the number of bytes written so far; logSince(n) returns what came
// after.
func (o *cgOutput) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Len()
}

func (o *cgOutput) since(n int) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf.Bytes()[n:])
}

// cgProc is a running certgate serve process.
type cgProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	stderr *cgOutput
	stdout *cgOutput
	done   chan struct{} // closed when the process has exited
	URL    string
	Addr   string
}

// startCertgate starts `certgate serve` with args and waits until it
// listens and /healthz answers 200. The process is killed at cleanup if it
// is still running.
func startCertgate(t testing.TB, env []string, args ...string) *cgProc {
	t.Helper()
	p := launchCertgate(t, env, append([]string{"serve"}, args...)...)
	select {
	case <-p.stderr.ready:
	case <-p.done:
		t.Fatalf("certgate serve %s exited with code %d before listening:\n%s",
			strings.Join(args, " "), p.cmd.ProcessState.ExitCode(), p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("certgate serve did not log that it listens within 30s:\n%s", p.stderr.String())
	}
	p.stderr.mu.Lock()
	p.Addr = p.stderr.addr
	p.stderr.mu.Unlock()
	p.URL = "http://" + p.Addr
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := hc.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz never answered 200 (last: %v %v); log:\n%s", resp, err, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// launchCertgate starts the binary with args without waiting for anything.
func launchCertgate(t testing.TB, env []string, args ...string) *cgProc {
	t.Helper()
	bin := certgateBinary(t)
	p := &cgProc{
		t:      t,
		stderr: &cgOutput{ready: make(chan struct{})},
		stdout: &cgOutput{ready: make(chan struct{})},
		done:   make(chan struct{}),
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Dir = t.TempDir() // relative defaults must not land in the source tree
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start certgate: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				t.Errorf("certgate (pid %d) did not die after SIGKILL", p.cmd.Process.Pid)
			}
		}
		if out := p.stderr.String(); t.Failed() && out != "" {
			t.Logf("certgate %s stderr:\n%s", strings.Join(args, " "), out)
		}
	})
	return p
}

// wait waits up to timeout for the process to exit and returns its exit code.
func (p *cgProc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("certgate did not exit within %v; killed it. stderr:\n%s", timeout, p.stderr.String())
		return -1
	}
}

// stop sends SIGTERM and returns the exit code.
func (p *cgProc) stop() int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	return p.wait(30 * time.Second)
}

// stopClean sends SIGTERM and fails unless certgate exits 0 saying so.
func (p *cgProc) stopClean() {
	p.t.Helper()
	if code := p.stop(); code != 0 {
		p.t.Fatalf("certgate exited with code %d after SIGTERM, want 0; stderr:\n%s", code, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "shut down cleanly") {
		p.t.Errorf("log after SIGTERM lacks \"shut down cleanly\":\n%s", p.stderr.String())
	}
}

// runCertgate runs a certgate command that is expected to exit, bounded by
// timeout, and returns its stdout, stderr and exit code.
func runCertgate(t *testing.T, timeout time.Duration, env []string, args ...string) (string, string, int) {
	t.Helper()
	p := launchCertgate(t, env, args...)
	code := p.wait(timeout)
	return p.stdout.String(), p.stderr.String(), code
}

// accountKeys is the output of `certgate account create --json`.
type accountKeys struct {
	AccountID       string `json:"accountId"`
	ProjectID       string `json:"projectId"`
	InstanceID      string `json:"instanceId"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

func createAccount(t *testing.T, database string, extraEnv ...string) accountKeys {
	t.Helper()
	stdout, stderr, code := runCertgate(t, 30*time.Second, cgEnv(extraEnv...), "account", "create", "--database", database, "--json")
	if code != 0 {
		t.Fatalf("certgate account create exited %d: %s", code, stderr)
	}
	var k accountKeys
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&k); err != nil {
		t.Fatalf("account create --json printed %q: %v", stdout, err)
	}
	if !regexp.MustCompile(`^[0-9]{12}$`).MatchString(k.AccountID) ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(k.ProjectID) ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(k.InstanceID) ||
		len(k.AccessKeyID) != 20 || len(k.SecretAccessKey) < 30 {
		t.Fatalf("account create --json printed malformed values: %s", stdout)
	}
	return k
}

// readCredentialsFile reads the certgate profile of an AWS shared-credentials
// file.
func readCredentialsFile(t *testing.T, path string) (accessKeyID, secret string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("bootstrap credentials: %v", err)
	}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "certgate" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			accessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if accessKeyID == "" || secret == "" {
		t.Fatalf("%s has no [certgate] profile with both keys:\n%s", path, b)
	}
	return accessKeyID, secret
}

// sdkClient is an aws-sdk-go-v2 API Gateway client for a running certgate,
// with retries off so that each call is one request, and a bounded timeout.
func sdkClient(url, accessKeyID, secret string) *apigateway.Client {
	return apigateway.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(accessKeyID, secret, ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 60 * time.Second},
	})
}

// sdkErr returns the AWS error code and HTTP status of an SDK error.
func sdkErr(err error) (code string, status int) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// parseCertificatePEM parses a PEM that must hold exactly one certificate.
func parseCertificatePEM(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	blk, rest := pem.Decode([]byte(s))
	if blk == nil || blk.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("not a single PEM certificate: %q", s)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return c
}

// checkClientCert checks the shape of a generated client certificate:
// AWS's subject, self-signed, and the expected key type.
func checkClientCert(t *testing.T, s, keyType string) *x509.Certificate {
	t.Helper()
	c := parseCertificatePEM(t, s)
	if got := c.Subject.String(); got != "CN=ApiGateway,L=Seattle,C=US" {
		t.Errorf("subject %q, want CN=ApiGateway,L=Seattle,C=US", got)
	}
	if c.Issuer.String() != c.Subject.String() {
		t.Errorf("issuer %q differs from subject", c.Issuer)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Errorf("certificate is not self-signed: %v", err)
	}
	switch keyType {
	case "rsa2048":
		if k, ok := c.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
			t.Errorf("public key %T, want RSA 2048", c.PublicKey)
		}
	case "ecdsa-p256":
		if k, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
			t.Errorf("public key %T, want ECDSA P-256", c.PublicKey)
		}
	}
	return c
}

var certIDRE = regexp.MustCompile(`^[a-z0-9]{10}$`)

func certARN(id string) string { return "arn:aws:apigateway:us-east-1::/clientcertificates/" + id }

// countRequests counts access-log lines for method and path with status.
func countRequests(log, method, path string, status int) int {
	n := 0
	want := fmt.Sprintf("method=%s path=%s status=%d ", method, path, status)
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `msg=request `) && strings.Contains(line, want) {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// The AWS CLI.

// awsCLI is one installed AWS CLI.
type awsCLI struct {
	path    string // as found (may be a pyenv shim)
	version string // first line of --version
}

var awsVersionRE = regexp.MustCompile(`aws-cli/(\d+)\.\S+`)

// cliBaseEnv is an isolated environment for the AWS CLI: PATH (and pyenv's
// version selection, so that a pyenv shim finds the same Python), a private
// HOME and an empty config file, and nothing else of the caller's AWS_*.
func cliBaseEnv(home string) []string {
	cfg := filepath.Join(home, "aws-config")
	if _, err := os.Stat(cfg); err != nil {
		_ = os.WriteFile(cfg, nil, 0o600)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + cfg,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// findAWSCLIs returns the AWS CLIs on this machine by major version: every
// `aws` on PATH (as `which -a` lists them) and /usr/bin/aws (Debian's
// awscli package, which is v2), deduplicated by resolved path.
func findAWSCLIs(t *testing.T) map[int]awsCLI {
	t.Helper()
	var candidates []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir != "" {
			candidates = append(candidates, filepath.Join(dir, "aws"))
		}
	}
	candidates = append(candidates, "/usr/bin/aws")
	home := t.TempDir()
	seen := map[string]bool{}
	found := map[int]awsCLI{}
	for _, c := range candidates {
		st, err := os.Stat(c)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			continue
		}
		real, err := filepath.EvalSymlinks(c)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, c, "--version")
		cmd.Env = cliBaseEnv(home)
		cmd.Dir = home
		out, err := cmd.CombinedOutput()
		cancel()
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		m := awsVersionRE.FindStringSubmatch(first)
		if err != nil || m == nil {
			t.Logf("%s --version: %v %q: not usable", c, err, first)
			continue
		}
		major, _ := strconv.Atoi(m[1])
		if _, dup := found[major]; dup {
			t.Logf("%s: %s (another v%d was found first; not used)", c, first, major)
			continue
		}
		found[major] = awsCLI{path: c, version: first}
		t.Logf("found %s: %s", c, first)
	}
	return found
}

type cliResult struct {
	stdout, stderr string
	code           int
}

var pemRE = regexp.MustCompile(`-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\n]*-----END CERTIFICATE-----(\\n)?`)

// elide shortens output for the test log: PEMs are replaced by a marker.
func elide(s string) string {
	s = pemRE.ReplaceAllString(s, "-----BEGIN CERTIFICATE-----…-----END CERTIFICATE-----")
	if len(s) > 6000 {
		s = s[:6000] + "\n…(truncated)"
	}
	return s
}

// shellQuote renders args as a shell command line, for the log.
func shellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"{}$\\*?;&|<>()!#`") {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// TestE2EAWSCLI drives a real certgate with AWS CLI v1 and v2: the whole
// client-certificate lifecycle, pagination (automatic and manual), tagging,
// modeled errors and exit codes, and credentials from the bootstrap
// credentials file as well as from environment variables.
func TestE2EAWSCLI(t *testing.T) {
	certgateBinary(t) // build before the subtests run in parallel
	clis := findAWSCLIs(t)
	for _, v := range []struct {
		name     string
		major    int
		missing  string
		errorRC  int    // exit code of a service error
		dateKind string // how the CLI prints dates with an empty config
	}{
		{"v1", 1, "AWS CLI v1", 255, "number"},
		{"v2", 2, "AWS CLI v2 (Debian package awscli)", 254, "string"},
	} {
		t.Run(v.name, func(t *testing.T) {
			cli, ok := clis[v.major]
			if !ok {
				testtool.Missing(t, v.missing)
			}
			t.Parallel()
			cliScenario(t, cli, v.errorRC, v.dateKind)
		})
	}
}

func cliScenario(t *testing.T, cli awsCLI, errorRC int, dateKind string) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "certgate.db")
	srv := startCertgate(t, cgEnv(), "--addr", "127.0.0.1:0", "--database", db,
		"--client-key-type", "rsa2048", "--key-pool-size", "4")
	credsFile := filepath.Join(dir, "credentials")
	home := t.TempDir()
	fileEnv := append(cliBaseEnv(home), "AWS_SHARED_CREDENTIALS_FILE="+credsFile, "AWS_PROFILE=certgate")
	t.Logf("%s (%s) against %s; environment: AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=certgate AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=<empty> HOME=<temp>",
		cli.path, cli.version, srv.URL, credsFile)

	run := func(env []string, args ...string) cliResult {
		t.Helper()
		full := append(append([]string{"apigateway"}, args...), "--endpoint-url", srv.URL, "--output", "json")
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli.path, full...)
		cmd.Env = env
		cmd.Dir = home
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("aws %s: %v\n%s", shellQuote(full), err, stderr.String())
		}
		r := cliResult{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
		msg := fmt.Sprintf("$ aws %s\n  (exit %d, %.1fs)", shellQuote(full), r.code, time.Since(start).Seconds())
		if s := strings.TrimSpace(r.stdout); s != "" {
			msg += "\n" + elide(s)
		}
		if s := strings.TrimSpace(r.stderr); s != "" {
			msg += "\n[stderr] " + elide(s)
		}
		t.Log(msg)
		return r
	}
	// ok runs a command that must succeed and decodes its JSON output.
	ok := func(env []string, out any, args ...string) {
		t.Helper()
		r := run(env, args...)
		if r.code != 0 {
			t.Fatalf("aws %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		if out != nil {
			if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
				t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
			}
		}
	}
	// fails runs a command that must fail with a service error.
	fails := func(env []string, code, message string, args ...string) {
		t.Helper()
		r := run(env, args...)
		if r.code != errorRC || !strings.Contains(r.stderr, code) || !strings.Contains(r.stderr, message) {
			t.Errorf("aws %s: exit %d, stderr %q; want exit %d and %s: %s", strings.Join(args, " "), r.code, r.stderr, errorRC, code, message)
		}
		if strings.TrimSpace(r.stdout) != "" {
			t.Errorf("aws %s printed to stdout on error: %q", strings.Join(args, " "), r.stdout)
		}
	}

	// Generate, with shorthand tags.
	var gen cliCert
	ok(fileEnv, &gen, "generate-client-certificate", "--description", "cli cert", "--tags", "env=dev,team=edge")
	id := gen.ID
	if !certIDRE.MatchString(id) {
		t.Fatalf("clientCertificateId %q: want 10 lowercase alphanumerics", id)
	}
	if gen.Description != "cli cert" || !sameTags(gen.Tags, map[string]string{"env": "dev", "team": "edge"}) {
		t.Errorf("generate returned description %q tags %v", gen.Description, gen.Tags)
	}
	cert := checkClientCert(t, gen.PEM, "rsa2048")
	created, expires := gen.dates(t)
	if d := expires.Sub(created); d != 31536000*time.Second {
		t.Errorf("expirationDate - createdDate = %v, want 31536000s (365 days)", d)
	}
	if !expires.Equal(cert.NotAfter) || created.After(cert.NotBefore.Add(time.Second)) || cert.NotBefore.After(created.Add(time.Second)) {
		t.Errorf("dates %v..%v do not match the certificate's %v..%v", created, expires, cert.NotBefore, cert.NotAfter)
	}
	// certgate sends epoch seconds; v1 prints them as they came, v2 formats
	// them as ISO-8601 (the default cli_timestamp_format of each).
	kind := "string"
	if _, isNumber := gen.Created.(float64); isNumber {
		kind = "number"
	}
	if kind != dateKind {
		t.Errorf("createdDate printed as a %s (%v), want a %s for this CLI version", kind, gen.Created, dateKind)
	}
	bits := 0
	if k, ok := cert.PublicKey.(*rsa.PublicKey); ok {
		bits = k.N.BitLen()
	}
	t.Logf("generated %s: dates printed as %T (%v, %v), expirationDate-createdDate=%ds, subject %s, RSA %d bits",
		id, gen.Created, gen.Created, gen.Expiration, int(expires.Sub(created).Seconds()), cert.Subject, bits)

	var got cliCert
	ok(fileEnv, &got, "get-client-certificate", "--client-certificate-id", id)
	if got.ID != id || got.PEM != gen.PEM || got.Description != "cli cert" || !sameTags(got.Tags, gen.Tags) {
		t.Errorf("get-client-certificate returned %+v, want what generate returned", got)
	}

	// Seven certificates in all: one more through the CLI, five through the
	// Go SDK (to keep the test fast; the CLI is the subject here).
	want := []string{id}
	var gen2 cliCert
	ok(fileEnv, &gen2, "generate-client-certificate", "--description", "cli cert 2")
	want = append(want, gen2.ID)
	ak, sk := readCredentialsFile(t, credsFile)
	api := sdkClient(srv.URL, ak, sk)
	for i := 0; i < 5; i++ {
		out, err := api.GenerateClientCertificate(context.Background(), &apigateway.GenerateClientCertificateInput{Description: aws.String(fmt.Sprint("sdk cert ", i))})
		if err != nil {
			t.Fatalf("SDK GenerateClientCertificate: %v", err)
		}
		want = append(want, aws.ToString(out.ClientCertificateId))
	}

	// Automatic pagination: 7 certificates in pages of 3 take 3 requests.
	before := srv.stderr.Len()
	var all cliList
	ok(fileEnv, &all, "get-client-certificates", "--page-size", "3")
	requests := countRequests(srv.stderr.since(before), "GET", "/clientcertificates", 200)
	if !slices.Equal(all.ids(), want) || all.NextToken != "" {
		t.Errorf("get-client-certificates --page-size 3 listed %v (NextToken %q), want %v in creation order", all.ids(), all.NextToken, want)
	}
	if requests != 3 {
		t.Errorf("get-client-certificates --page-size 3 made %d list requests, want 3 (pages of 3, 3, 1)", requests)
	}
	t.Logf("auto-pagination: --page-size 3 returned %d items (%d unique) in %d server requests", len(all.Items), len(uniq(all.ids())), requests)

	// Manual pagination with --max-items and --starting-token, over pages
	// smaller than what each CLI call prints, so that the NextToken must
	// carry a server position token across processes.
	var paged []string
	var counts []int
	token := ""
	for call := 0; ; call++ {
		if call == 5 {
			t.Fatalf("manual pagination did not end after 5 calls: %v", counts)
		}
		args := []string{"get-client-certificates", "--max-items", "3", "--page-size", "2"}
		if token != "" {
			args = append(args, "--starting-token", token)
		}
		var page cliList
		ok(fileEnv, &page, args...)
		paged = append(paged, page.ids()...)
		counts = append(counts, len(page.Items))
		if page.NextToken == "" {
			break
		}
		token = page.NextToken
	}
	if !slices.Equal(paged, want) || !slices.Equal(counts, []int{3, 3, 1}) {
		t.Errorf("manual pagination printed %v in calls of %v items, want %v in calls of [3 3 1]", paged, counts, want)
	}
	t.Logf("manual pagination: --max-items 3 --page-size 2 with --starting-token: %d calls printing %v items, %d unique ids", len(counts), counts, len(uniq(paged)))

	// Update, and an invalid patch.
	var upd cliCert
	ok(fileEnv, &upd, "update-client-certificate", "--client-certificate-id", id,
		"--patch-operations", "op=replace,path=/description,value=renamed")
	if upd.Description != "renamed" || upd.PEM != gen.PEM {
		t.Errorf("update-client-certificate returned description %q", upd.Description)
	}
	fails(fileEnv, "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]",
		"update-client-certificate", "--client-certificate-id", id, "--patch-operations", "op=add,path=/description,value=x")

	// Tags by ARN. (The CLI's shorthand cannot express a key with a space:
	// `--tags 'k=v,a b=c'` fails in the CLI's own parser, so JSON it is.)
	arn := certARN(id)
	ok(fileEnv, nil, "tag-resource", "--resource-arn", arn, "--tags", `{"k":"v","a b":"c/d"}`)
	ok(fileEnv, nil, "untag-resource", "--resource-arn", arn, "--tag-keys", "k")
	var tags struct{ Tags map[string]string }
	ok(fileEnv, &tags, "get-tags", "--resource-arn", arn)
	if wantTags := map[string]string{"env": "dev", "team": "edge", "a b": "c/d"}; !sameTags(tags.Tags, wantTags) {
		t.Errorf("get-tags returned %v, want %v", tags.Tags, wantTags)
	}
	ok(fileEnv, &got, "get-client-certificate", "--client-certificate-id", id)
	if got.Description != "renamed" || got.PEM != gen.PEM || !sameTags(got.Tags, tags.Tags) {
		t.Errorf("after update and tagging, get returned description %q tags %v", got.Description, got.Tags)
	}
	if c, e := got.dates(t); !c.Equal(created) || !e.Equal(expires) {
		t.Errorf("dates changed: %v %v, want %v %v", c, e, created, expires)
	}

	// Delete; the id is then unknown.
	ok(fileEnv, nil, "delete-client-certificate", "--client-certificate-id", id)
	fails(fileEnv, "NotFoundException", "Invalid Client Certificate identifier specified",
		"get-client-certificate", "--client-certificate-id", id)

	// Credentials from the environment, for an account created while the
	// server runs: it works at once and sees only its own certificates.
	keys := createAccount(t, db)
	emptyCreds := filepath.Join(home, "no-credentials")
	if err := os.WriteFile(emptyCreds, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	keyEnv := append(cliBaseEnv(home), "AWS_SHARED_CREDENTIALS_FILE="+emptyCreds,
		"AWS_ACCESS_KEY_ID="+keys.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+keys.SecretAccessKey)
	t.Logf("now with AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=<secret> from `certgate account create --json` (account %s)", keys.AccessKeyID, keys.AccountID)
	var own cliCert
	ok(keyEnv, &own, "generate-client-certificate", "--description", "env keys")
	var ownList cliList
	ok(keyEnv, &ownList, "get-client-certificates")
	if !slices.Equal(ownList.ids(), []string{own.ID}) {
		t.Errorf("the new account lists %v, want only its own %s", ownList.ids(), own.ID)
	}
	fails(keyEnv, "NotFoundException", "Invalid Client Certificate identifier specified",
		"get-client-certificate", "--client-certificate-id", gen2.ID)

	srv.stopClean()
	for _, secret := range []string{sk, keys.SecretAccessKey} {
		if strings.Contains(srv.stderr.String(), secret) {
			t.Error("the server log contains a secret access key")
		}
	}
}

// cliCert is a ClientCertificate as the CLI prints it. The dates are JSON
// numbers (epoch seconds) from v1 and ISO-8601 strings from v2.
type cliCert struct {
	ID          string            `json:"clientCertificateId"`
	Description string            `json:"description"`
	PEM         string            `json:"pemEncodedCertificate"`
	Created     any               `json:"createdDate"`
	Expiration  any               `json:"expirationDate"`
	Tags        map[string]string `json:"tags"`
}

func (c cliCert) dates(t *testing.T) (created, expires time.Time) {
	t.Helper()
	return cliTime(t, "createdDate", c.Created), cliTime(t, "expirationDate", c.Expiration)
}

func cliTime(t *testing.T, name string, v any) time.Time {
	t.Helper()
	switch v := v.(type) {
	case float64:
		sec := int64(v)
		return time.Unix(sec, int64((v-float64(sec))*1e9)).UTC()
	case string:
		tm, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatalf("%s %q: %v", name, v, err)
		}
		return tm.UTC()
	}
	t.Fatalf("%s is %T (%v), want a number or an ISO-8601 string", name, v, v)
	return time.Time{}
}

type cliList struct {
	Items     []cliCert `json:"items"`
	NextToken string    `json:"NextToken"`
}

func (l cliList) ids() []string {
	var ids []string
	for _, it := range l.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func uniq(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return slices.Compact(c)
}

func sameTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// boto3.

// boto3Summary is what testdata/boto3_e2e.py prints on success.
type boto3Summary struct {
	OK           bool              `json:"ok"`
	Boto3        string            `json:"boto3"`
	Botocore     string            `json:"botocore"`
	ID           string            `json:"id"`
	PEM          string            `json:"pem"`
	CreatedDate  string            `json:"createdDate"`
	Expiration   string            `json:"expirationDate"`
	DateType     string            `json:"dateType"`
	ValidityDays float64           `json:"validityDays"`
	Generated    []string          `json:"generated"`
	PageSizes    []int             `json:"pageSizes"`
	Listed       int               `json:"listed"`
	Description  string            `json:"description"`
	Tags         map[string]string `json:"tags"`
	Remaining    []string          `json:"remaining"`
	Errors       map[string]struct {
		Class   string `json:"class"`
		Code    string `json:"code"`
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"errors"`
}

// TestE2EBoto3 runs testdata/boto3_e2e.py against a real certgate: boto3's
// paginator, modeled exceptions and datetime parsing.
func TestE2EBoto3(t *testing.T) {
	python := testtool.LookPath(t, "python3")
	home := t.TempDir()
	pyEnv := append(cliBaseEnv(home), "PYTHONDONTWRITEBYTECODE=1")
	probe := exec.Command(python, "-c", "import boto3")
	probe.Env, probe.Dir = pyEnv, home
	if out, err := probe.CombinedOutput(); err != nil {
		t.Logf("python3 -c 'import boto3': %v %s", err, out)
		testtool.Missing(t, "python3 with boto3")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_e2e.py"))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	srv := startCertgate(t, cgEnv(), "--addr", "127.0.0.1:0", "--database", "sqlite:"+filepath.Join(dir, "certgate.db"),
		"--client-key-type", "ecdsa-p256", "--key-pool-size", "2")
	ak, sk := readCredentialsFile(t, filepath.Join(dir, "credentials"))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, "--endpoint", srv.URL)
	cmd.Env = append(pyEnv, "AWS_ACCESS_KEY_ID="+ak, "AWS_SECRET_ACCESS_KEY="+sk)
	cmd.Dir = home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	t.Logf("$ AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=<secret> python3 testdata/boto3_e2e.py --endpoint %s\n  (exit %d, %.1fs)\n%s%s",
		ak, srv.URL, code, time.Since(start).Seconds(), elide(stdout.String()), stderr.String())
	if err != nil {
		t.Fatalf("boto3_e2e.py failed: %v\n%s", err, stderr.String())
	}
	var s boto3Summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("boto3_e2e.py printed no JSON summary: %v\n%s", err, stdout.String())
	}
	if !s.OK || !certIDRE.MatchString(s.ID) || len(s.Generated) != 5 || s.Generated[0] != s.ID {
		t.Errorf("summary: ok=%v id=%q generated=%v", s.OK, s.ID, s.Generated)
	}
	checkClientCert(t, s.PEM, "ecdsa-p256")
	if s.DateType != "datetime" || s.ValidityDays != 365 {
		t.Errorf("dates: type %s, validity %v days; want datetime and 365", s.DateType, s.ValidityDays)
	}
	if !slices.Equal(s.PageSizes, []int{2, 2, 1}) || s.Listed != 5 {
		t.Errorf("paginator pages %v (%d ids), want [2 2 1] (5)", s.PageSizes, s.Listed)
	}
	if s.Description != "renamed by boto3" || !sameTags(s.Tags, map[string]string{"env": "dev", "team": "edge"}) {
		t.Errorf("after update and tagging: description %q tags %v", s.Description, s.Tags)
	}
	for name, want := range map[string]struct {
		code   string
		status int
		msg    string
	}{
		"get_deleted":    {"NotFoundException", 404, "Invalid Client Certificate identifier specified"},
		"delete_deleted": {"NotFoundException", 404, "Invalid Client Certificate identifier specified"},
		"patch_add":      {"BadRequestException", 400, "Invalid patch operation specified"},
	} {
		e, ok := s.Errors[name]
		if !ok || e.Class != want.code || e.Code != want.code || e.Status != want.status || !strings.Contains(e.Message, want.msg) {
			t.Errorf("error %s: %+v, want modeled %s %d %q", name, e, want.code, want.status, want.msg)
		}
	}

	// Cross-check from Go: what the script left behind is what it reports.
	list, err := sdkClient(srv.URL, ak, sk).GetClientCertificates(context.Background(), &apigateway.GetClientCertificatesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, it := range list.Items {
		left = append(left, aws.ToString(it.ClientCertificateId))
	}
	if !slices.Equal(left, s.Remaining) || slices.Contains(left, s.ID) || len(left) != 4 {
		t.Errorf("server lists %v after the script, which reports %v remaining (deleted %s)", left, s.Remaining, s.ID)
	}
	srv.stopClean()
	if strings.Contains(srv.stderr.String(), sk) {
		t.Error("the server log contains the secret access key")
	}
}
