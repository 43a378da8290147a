package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/rotation"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// rotConfig is the configuration of the rotation and backup tests: a
// database in dir, fast ECDSA keys and no quota.
func rotConfig(dir string, mutate func(*Config)) Config {
	cfg := testConfig(dir)
	cfg.ClientKeyType = string(pki.ECDSAP256)
	cfg.ClientCertificateQuota = 0
	if mutate != nil {
		mutate(&cfg)
	}
	return cfg
}

// serveAt runs a server on the database in dir (unlike startServer, which
// makes a new one) until the returned stop is called; tests restart servers
// on one database with different keys.
func serveAt(t *testing.T, dir string, mutate func(*Config)) (*testServer, func()) {
	t.Helper()
	logs := &syncBuffer{}
	m := &Main{Config: rotConfig(dir, mutate), Logger: slog.New(slog.NewTextHandler(logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		cancel()
		t.Fatalf("open server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			m.Close()
		})
	}
	t.Cleanup(stop)
	return &testServer{Main: m, t: t, dir: dir, logs: logs}, stop
}

// openErrAt returns why a server refuses to start on dir ("" if it starts).
func openErrAt(dir string, mutate func(*Config)) string {
	m := &Main{Config: rotConfig(dir, mutate)}
	err := m.Open(context.Background())
	m.Close()
	if err == nil {
		return ""
	}
	return err.Error()
}

func keyID(t *testing.T, path string) string {
	t.Helper()
	k, err := seal.LoadMasterKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID()
}

// genKey runs `certgate master-key generate` and returns the file.
func genKey(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"master-key", "generate", "--out", path}, &stdout, &stderr, noEnv); code != 0 {
		t.Fatalf("master-key generate: %d %s", code, stderr.String())
	}
	if got := strings.TrimSpace(stdout.String()); got != keyID(t, path) {
		t.Fatalf("master-key generate printed %q, the file holds %s", got, keyID(t, path))
	}
	return path
}

func noEnv(string) string { return "" }

// certRef locates a certificate for the checks after a rotation.
type certRef struct {
	scope certgate.Scope
	kind  certgate.Kind
}

// inventory is every certificate a test created, by id.
type inventory struct {
	mu sync.Mutex
	m  map[string]certRef
}

func (inv *inventory) add(id string, scope certgate.Scope, kind certgate.Kind) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.m == nil {
		inv.m = map[string]certRef{}
	}
	inv.m[id] = certRef{scope, kind}
}

// checkKeys opens every certificate's private key with s's keys and checks
// it belongs to the certificate. It returns how many certificates the store
// holds.
func (inv *inventory) checkKeys(t *testing.T, s *testServer) int {
	t.Helper()
	ctx := context.Background()
	for id, ref := range inv.m {
		c, err := s.Certs.Get(ctx, ref.scope, ref.kind, id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		chain, err := pki.ParseChain(c.CertificatePEM)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		key, err := s.Certs.PrivateKey(ctx, ref.scope, ref.kind, id)
		if err != nil {
			t.Fatalf("private key of %s: %v", id, err)
		}
		if !pki.PublicKeysEqual(key.Public(), chain[0].PublicKey) {
			t.Fatalf("private key of %s does not match its certificate", id)
		}
	}
	items, err := s.Store.ListSealed(ctx, "none", store.SealedCursor{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range items {
		if it.Type == store.SealedCertificateKey {
			n++
		}
	}
	return n
}

// checkAll is checkKeys, and the store holds nothing else.
func (inv *inventory) checkAll(t *testing.T, s *testServer) {
	t.Helper()
	if n := inv.checkKeys(t, s); n != len(inv.m) {
		t.Fatalf("the store holds %d certificates, the test made %d", n, len(inv.m))
	}
}

// seed creates client certificates for two accounts in two regions and
// uploads server certificates, through both APIs and the core.
func seed(t *testing.T, s *testServer, other *accounts.Created, inv *inventory, n int) {
	t.Helper()
	ctx := context.Background()
	for i, acct := range []*accounts.Created{s.Bootstrap, other} {
		region := []string{"us-east-1", "eu-west-1"}[i]
		out, err := s.client(acct, region).GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("via the SDK")})
		if err != nil {
			t.Fatal(err)
		}
		inv.add(*out.ClientCertificateId, certgate.Scope{AccountID: acct.Account.ID, Region: region}, certgate.KindClient)
		for range n {
			scope := certgate.Scope{AccountID: acct.Account.ID, Region: region}
			c, err := s.Certs.GenerateClientCertificate(ctx, scope, certs.GenerateInput{})
			if err != nil {
				t.Fatal(err)
			}
			inv.add(c.ID, scope, certgate.KindClient)
		}
	}
	hw := s.hwClient(s.Bootstrap, "")
	for i := range 3 {
		chain := newChain(t, "p256")
		out, err := hw.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form(fmt.Sprintf("seed_%d", i), chain.chainPEM(), chain.leaf.keyPEM(t))})
		if err != nil {
			t.Fatal(err)
		}
		inv.add(*out.Id, certgate.Scope{AccountID: s.Bootstrap.Account.ID}, certgate.KindServer)
	}
}

// TestMasterKeyRotationWhileServing rotates from key A to key B with the
// CLI while clients keep generating, reading, tagging and uploading
// certificates and new accounts make their first calls; no request may
// fail, and afterwards key A is no longer needed.
func TestMasterKeyRotationWhileServing(t *testing.T) {
	dir := t.TempDir()
	keyA := filepath.Join(dir, "master.key") // created by the first start
	inv := &inventory{}

	s1, stop1 := serveAt(t, dir, nil)
	boot := s1.Bootstrap
	other := s1.newAccount()
	seed(t, s1, other, inv, 150)
	stop1()
	idA := keyID(t, keyA)

	keyB := genKey(t, dir, "master-b.key")
	idB := keyID(t, keyB)
	withB := func(c *Config) { c.MasterKeyFile, c.PreviousMasterKeyFiles = keyB, keyA }
	s2, stop2 := serveAt(t, dir, withB)
	if got := s2.Sealer.KeyIDs(); !slices.Equal(got, []string{idB, idA}) {
		t.Fatalf("loaded keys %v, want [%s %s]", got, idB, idA)
	}

	// Load: each worker loops over one kind of request until told to stop.
	ctx := context.Background()
	var ids []string
	for id, ref := range inv.m {
		if ref.kind == certgate.KindClient && ref.scope.AccountID == boot.Account.ID {
			ids = append(ids, id)
		}
	}
	api := s2.client(boot, "us-east-1")
	hw := s2.hwClient(boot, "")
	chains := []pki3{newChain(t, "p256"), newChain(t, "p256")}
	keyPEMs := []string{chains[0].leaf.keyPEM(t), chains[1].leaf.keyPEM(t)}
	var (
		stop               atomic.Bool
		rotating           atomic.Bool
		ok, failed, during atomic.Int64
		errMu              sync.Mutex
		errs               []string
		wg                 sync.WaitGroup
	)
	record := func(what string, err error) {
		if err != nil {
			failed.Add(1)
			errMu.Lock()
			errs = append(errs, what+": "+err.Error())
			errMu.Unlock()
			return
		}
		ok.Add(1)
		if rotating.Load() {
			during.Add(1)
		}
	}
	workers := map[string]func(i int){
		"generate": func(i int) {
			out, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
			if err == nil {
				inv.add(*out.ClientCertificateId, certgate.Scope{AccountID: boot.Account.ID, Region: "us-east-1"}, certgate.KindClient)
			}
			record("GenerateClientCertificate", err)
		},
		"get": func(i int) {
			_, err := api.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String(ids[i%len(ids)])})
			record("GetClientCertificate", err)
		},
		"tag": func(i int) {
			// Tagging rewrites the record, racing the re-seal of the same one.
			_, err := api.TagResource(ctx, &apigateway.TagResourceInput{
				ResourceArn: aws.String(arnOf("us-east-1", ids[(i*7)%len(ids)])), Tags: map[string]string{"round": fmt.Sprint(i)}})
			record("TagResource", err)
		},
		"huawei": func(i int) {
			ch := i % len(chains)
			out, err := hw.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form(fmt.Sprintf("load_%d", i), chains[ch].chainPEM(), keyPEMs[ch])})
			record("Huawei CreateCertificateV2", err)
			if err != nil {
				return
			}
			inv.add(*out.Id, certgate.Scope{AccountID: boot.Account.ID}, certgate.KindServer)
			_, err = hw.ShowDetailsOfCertificateV2(&model.ShowDetailsOfCertificateV2Request{CertificateId: *out.Id})
			record("Huawei ShowDetailsOfCertificateV2", err)
		},
		"new account": func(i int) {
			// A new key's secret is opened from the store on its first call.
			created, err := s2.Accounts.Create(ctx, accounts.CreateInput{})
			if err != nil {
				record("create account", err)
				return
			}
			_, err = s2.client(created, "us-east-1").GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
			record("first call of a new account", err)
		},
	}
	for _, fn := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				fn(i)
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)

	rotating.Store(true)
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"master-key", "rotate", "--database", s2.Config.Database,
		"--master-key-file", keyB, "--previous-master-key-files", keyA, "--batch-size", "20"}, &stdout, &stderr, noEnv)
	elapsed := time.Since(start)
	rotating.Store(false)
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if code != 0 {
		t.Fatalf("master-key rotate exited %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	t.Logf("rotate output:\n%s%s", stderr.String(), stdout.String())
	t.Logf("requests: %d succeeded (%d while the rotation ran, %v), %d failed", ok.Load(), during.Load(), elapsed.Round(time.Millisecond), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d requests failed during the rotation, e.g. %v", failed.Load(), errs[:min(len(errs), 5)])
	}
	if during.Load() < 10 {
		t.Errorf("only %d requests ran during the rotation: the test did not overlap them", during.Load())
	}
	want := fmt.Sprintf("All records are sealed under %s. Remove %s from --previous-master-key-files on every node", idB, idA)
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, stdout.String())
	}

	left, err := s2.Store.ListSealed(ctx, idB, store.SealedCursor{}, 10)
	if err != nil || len(left) != 0 {
		t.Fatalf("still sealed under other keys: %d (%v)", len(left), err)
	}
	if got, err := s2.Store.SealKeyIDs(ctx); err != nil || !slices.Equal(got, []string{idB}) {
		t.Fatalf("SealKeyIDs = %v, %v", got, err)
	}
	stop2()

	// Only B: everything opens and every access key works.
	s3, stop3 := serveAt(t, dir, func(c *Config) { c.MasterKeyFile = keyB })
	inv.checkAll(t, s3)
	for i, acct := range []*accounts.Created{boot, other} {
		region := []string{"us-east-1", "eu-west-1"}[i]
		if _, err := s3.client(acct, region).GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{}); err != nil {
			t.Errorf("access key %s after rotation: %v", acct.AccessKeyID, err)
		}
		if _, err := s3.hwClient(acct, "").ListCertificatesV2(&model.ListCertificatesV2Request{}); err != nil {
			t.Errorf("access key %s (Huawei) after rotation: %v", acct.AccessKeyID, err)
		}
	}
	t.Logf("after rotation, %d certificate keys open with %s alone", len(inv.m), idB)
	stop3()

	// Only A: refused at start, naming B.
	msg := openErrAt(dir, func(c *Config) { c.MasterKeyFile = keyA })
	if !strings.Contains(msg, "master key mismatch") || !strings.Contains(msg, idB) {
		t.Errorf("start with only the old key: %q", msg)
	}
}

// TestMasterKeyRotationResumes interrupts a rotation and finishes it with a
// second run, the server serving throughout.
func TestMasterKeyRotationResumes(t *testing.T) {
	dir := t.TempDir()
	keyA := filepath.Join(dir, "master.key")
	inv := &inventory{}
	s1, stop1 := serveAt(t, dir, nil)
	seed(t, s1, s1.newAccount(), inv, 30)
	stop1()
	keyB := genKey(t, dir, "b.key")
	s, _ := serveAt(t, dir, func(c *Config) { c.MasterKeyFile, c.PreviousMasterKeyFiles = keyB, keyA })
	idA, idB := keyID(t, keyA), keyID(t, keyB)
	ctx := context.Background()

	rctx, cancel := context.WithCancel(ctx)
	stats, err := rotation.Run(rctx, s.Store, s.Sealer, rotation.Options{
		BatchSize: 5,
		Progress: func(done, _ int) {
			if done >= 20 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) || stats.Resealed != 20 {
		t.Fatalf("interrupted: %+v, %v", stats, err)
	}
	got, _ := s.Store.SealKeyIDs(ctx)
	if !slices.Contains(got, idA) || !slices.Contains(got, idB) {
		t.Fatalf("after the interruption keys in use are %v, want both", got)
	}
	canary, _ := s.Store.GetMeta(ctx, metaSealCanary)
	if rotation.CanaryKeyID(canary) != idA {
		t.Error("the canary moved before the rotation finished")
	}
	// The server works in the partial state.
	inv.checkAll(t, s)

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"master-key", "rotate", "--database", s.Config.Database,
		"--master-key-file", keyB, "--previous-master-key-files", keyA}, &stdout, &stderr, noEnv)
	if code != 0 {
		t.Fatalf("resumed rotate exited %d: %s", code, stderr.String())
	}
	if total := len(inv.m) + 2; !strings.Contains(stdout.String(), fmt.Sprintf("Re-sealed %d records", total-20)) {
		t.Errorf("resumed run should re-seal the %d left:\n%s", total-20, stdout.String())
	}
	if got, _ := s.Store.SealKeyIDs(ctx); !slices.Equal(got, []string{idB}) {
		t.Fatalf("after resuming keys in use are %v", got)
	}
	inv.checkAll(t, s)
	if code := run(ctx, []string{"master-key", "rotate", "--database", s.Config.Database,
		"--master-key-file", keyB, "--previous-master-key-files", keyA}, &stdout, &stderr, noEnv); code != 0 {
		t.Errorf("a third run (nothing to do) exited %d", code)
	}
}

// TestMasterKeyStartupRefusals: a server with a key missing, or the wrong
// key, refuses to start and says which key it needs.
func TestMasterKeyStartupRefusals(t *testing.T) {
	dir := t.TempDir()
	keyA := filepath.Join(dir, "master.key")
	_, stop := serveAt(t, dir, nil)
	stop()
	keyB := genKey(t, dir, "b.key")
	keyC := genKey(t, dir, "c.key")
	idA, idB, idC := keyID(t, keyA), keyID(t, keyB), keyID(t, keyC)

	// B current, A previous: new records are sealed under B.
	s, stop := serveAt(t, dir, func(c *Config) { c.MasterKeyFile, c.PreviousMasterKeyFiles = keyB, keyA })
	s.newAccount()
	stop()

	cases := []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"old key only, records under the new one", func(c *Config) { c.MasterKeyFile = keyA },
			[]string{"records sealed under master key " + idB + ", which is not loaded", "--previous-master-key-files"}},
		{"new key only, rotation not run", func(c *Config) { c.MasterKeyFile = keyB },
			[]string{"master key mismatch", idA, idB, "--previous-master-key-files"}},
		{"wrong key", func(c *Config) { c.MasterKeyFile = keyC },
			[]string{"master key mismatch: the database was sealed with master key " + idA + ", but the configured master key is " + idC}},
		{"previous key file missing", func(c *Config) {
			c.MasterKeyFile, c.PreviousMasterKeyFiles = keyB, filepath.Join(dir, "nope.key")
		}, []string{"--previous-master-key-files", "nope.key does not exist"}},
	}
	for _, tc := range cases {
		msg := openErrAt(dir, tc.mutate)
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q lacks %q", tc.name, msg, w)
			}
		}
	}
	// The account and token commands use the same check.
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"account", "create", "--database", "sqlite:" + filepath.Join(dir, "certgate.db"),
		"--master-key-file", keyA}, &stdout, &stderr, noEnv)
	if code == 0 || !strings.Contains(stderr.String(), idB) {
		t.Errorf("account create with a missing key: exit %d, %s", code, stderr.String())
	}
	// And the environment variable works like the flag.
	env := func(k string) string {
		return map[string]string{"CERTGATE_MASTER_KEY_FILE": keyB, "CERTGATE_PREVIOUS_MASTER_KEY_FILES": " " + keyA + " , "}[k]
	}
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"account", "create", "--database", "sqlite:" + filepath.Join(dir, "certgate.db"), "--json"}, &stdout, &stderr, env)
	if code != 0 {
		t.Errorf("account create with CERTGATE_PREVIOUS_MASTER_KEY_FILES: exit %d, %s", code, stderr.String())
	}
}

func TestMasterKeyCLI(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	path := genKey(t, dir, "k/new.key")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v %v", fi, err)
	}
	before, _ := os.ReadFile(path)
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"master-key", "generate", "--out", path}, &stdout, &stderr, noEnv); code != 1 || !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("generate over an existing key: exit %d, %s", code, stderr.String())
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("an existing key file was overwritten")
	}
	for _, args := range [][]string{{"master-key"}, {"master-key", "generate"}, {"master-key", "frobnicate"}} {
		stdout.Reset()
		stderr.Reset()
		if code := run(ctx, args, &stdout, &stderr, noEnv); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}

	stdout.Reset()
	if code := run(ctx, []string{"master-key", "rotate", "--help"}, &stdout, &stderr, noEnv); code != 0 {
		t.Errorf("rotate --help exited %d", code)
	}
	entries := helpEntries(stdout.String())
	for flag, env := range map[string]string{"database": "CERTGATE_DATABASE", "master-key-file": "CERTGATE_MASTER_KEY_FILE",
		"previous-master-key-files": "CERTGATE_PREVIOUS_MASTER_KEY_FILES"} {
		if !strings.Contains(entries[flag], env) {
			t.Errorf("rotate --help: --%s %q", flag, entries[flag])
		}
	}
	for _, step := range []string{"master-key generate", "--previous-master-key-files", "master-key rotate", "destroyed"} {
		if !strings.Contains(stdout.String(), step) {
			t.Errorf("rotate --help does not describe %q:\n%s", step, stdout.String())
		}
	}

	// Rotating a database that does not exist creates nothing.
	stderr.Reset()
	missing := filepath.Join(dir, "none", "certgate.db")
	if code := run(ctx, []string{"master-key", "rotate", "--database", "sqlite:" + missing, "--master-key-file", path}, &stdout, &stderr, noEnv); code != 1 {
		t.Errorf("rotate on a missing database: exit %d %s", code, stderr.String())
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("rotate created a database")
	}
}
