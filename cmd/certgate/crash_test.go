package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	apig "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/postgres"
)

// backend is a database the process tests run certgate on.
type backend struct {
	name string
	url  string // --database
}

// sqliteBackend is a fresh SQLite file.
func sqliteBackend(t *testing.T) backend {
	return backend{name: "sqlite", url: "sqlite:" + filepath.Join(t.TempDir(), "certgate.db")}
}

// masterKeyEnv returns a fresh master key as CERTGATE_MASTER_KEY, so every
// process of a test (nodes, CLI commands, in-test checks) shares it.
func masterKeyEnv(t *testing.T) (string, *seal.MasterKey) {
	t.Helper()
	k, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return "CERTGATE_MASTER_KEY=" + k.Encode(), k
}

func awsClientFor(url string, k accountKeys) *apigateway.Client {
	return apigateway.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	})
}

func hwClientFor(t *testing.T, url string, k accountKeys) *apig.ApigClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(k.AccessKeyID).WithSk(k.SecretAccessKey).WithProjectId(k.ProjectID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := apig.ApigClientBuilder().WithEndpoints([]string{url}).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return apig.NewApigClient(hc)
}

// checkStored opens the database in-process and checks every certificate
// record of the account: its PEM parses, and its sealed private key opens
// with the master key and matches the certificate. It returns the ids found
// per kind.
func checkStored(t *testing.T, b backend, key *seal.MasterKey, accountID string) map[certgate.Kind]map[string]bool {
	t.Helper()
	ctx := context.Background()
	st, err := openStore(ctx, b.url, postgres.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", b.name, err)
	}
	defer st.Close()
	svc := certs.New(st, seal.NewSealer(key), nil, certs.NewPager(make([]byte, 32)), certs.Config{})
	found := map[certgate.Kind]map[string]bool{}
	for _, sc := range []struct {
		scope certgate.Scope
		kind  certgate.Kind
	}{{certgate.Scope{AccountID: accountID, Region: "us-east-1"}, certgate.KindClient}, {certgate.Scope{AccountID: accountID}, certgate.KindServer}} {
		found[sc.kind] = map[string]bool{}
		recs, err := st.ListCertificates(ctx, store.ListQuery{Scope: sc.scope, Kind: sc.kind})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range recs {
			blk, _ := pem.Decode([]byte(c.CertificatePEM))
			if blk == nil {
				t.Errorf("%s %s: PEM does not parse (half-written record?)", sc.kind, c.ID)
				continue
			}
			leaf, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				t.Errorf("%s %s: certificate does not parse: %v", sc.kind, c.ID, err)
				continue
			}
			priv, err := svc.PrivateKey(ctx, sc.scope, sc.kind, c.ID)
			if err != nil {
				t.Errorf("%s %s: private key does not open: %v", sc.kind, c.ID, err)
				continue
			}
			if !pki.PublicKeysEqual(priv.Public(), leaf.PublicKey) {
				t.Errorf("%s %s: private key does not match the certificate", sc.kind, c.ID)
				continue
			}
			found[sc.kind][c.ID] = true
		}
	}
	return found
}

// crashTest streams Generate (AWS) and Create (Huawei) calls at a certgate
// process, kills it with SIGKILL mid-stream, restarts it, and checks that
// every acknowledged certificate is present and intact and that no
// half-written record is visible.
func crashTest(t *testing.T, b backend) {
	keyEnv, key := masterKeyEnv(t)
	env := cgEnv(keyEnv)
	args := []string{"--addr", "127.0.0.1:0", "--database", b.url, "--client-key-type", "ecdsa-p256",
		"--rate-limit", "0", "--client-certificate-quota", "0", "--server-certificate-quota", "0", "--bootstrap-credentials-file", "none"}

	// Certificates to upload are made before the clock starts.
	const uploads = 24
	var chains []pki3
	for i := 0; i < uploads; i++ {
		chains = append(chains, newChain(t, "p256"))
	}

	p := startCertgate(t, env, args...)
	acct := createAccount(t, b.url, keyEnv)
	awsC := awsClientFor(p.URL, acct)
	hwC := hwClientFor(t, p.URL, acct)

	var (
		mu        sync.Mutex
		ackClient = map[string]bool{}
		ackServer = map[string]bool{}
		failed    atomic.Int64
		next      atomic.Int64
		wg        sync.WaitGroup
	)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ctx.Err() == nil {
				if w%2 == 0 {
					out, err := awsC.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String(fmt.Sprint("crash ", w))})
					if err != nil {
						failed.Add(1)
						continue
					}
					mu.Lock()
					ackClient[*out.ClientCertificateId] = true
					mu.Unlock()
					continue
				}
				i := next.Add(1) - 1
				if i >= uploads {
					i = i % uploads
				}
				ch := chains[i]
				out, err := hwC.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form(fmt.Sprintf("crash_%d_%d", w, next.Load()), ch.chainPEM(), ch.leaf.keyPEM(t))})
				if err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				ackServer[*out.Id] = true
				mu.Unlock()
			}
		}(w)
	}
	// Let the stream run, then kill the server mid-stream.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(ackClient) + len(ackServer)
		mu.Unlock()
		if n >= 150 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	mu.Lock()
	acked := map[certgate.Kind]map[string]bool{certgate.KindClient: copySet(ackClient), certgate.KindServer: copySet(ackServer)}
	mu.Unlock()
	stop()
	wg.Wait()
	if len(acked[certgate.KindClient]) == 0 || len(acked[certgate.KindServer]) == 0 {
		t.Fatalf("the stream acknowledged %d generates and %d creates before the kill; need both", len(acked[certgate.KindClient]), len(acked[certgate.KindServer]))
	}

	// Restart on the same database.
	p2 := startCertgate(t, env, args...)
	found := checkStored(t, b, key, acct.AccountID)
	for kind, ids := range acked {
		missing := 0
		for id := range ids {
			if !found[kind][id] {
				missing++
				t.Errorf("%s %s was acknowledged but is missing after the restart", kind, id)
			}
		}
		extra := len(found[kind]) - (len(ids) - missing)
		t.Logf("%s, %s: acknowledged %d, found after restart %d (%d complete records whose answer the kill cut off), missing %d",
			b.name, kind, len(ids), len(found[kind]), extra, missing)
	}
	// The restarted server serves them.
	for id := range acked[certgate.KindClient] {
		if _, err := awsClientFor(p2.URL, acct).GetClientCertificate(context.Background(), &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String(id)}); err != nil {
			t.Errorf("get %s after restart: %v", id, err)
		}
		break
	}
	p2.stopClean()
}

func copySet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// postgresBackend is a fresh database on the private PostgreSQL server (or
// on CERTGATE_TEST_DATABASE's); it skips without PostgreSQL.
func postgresBackend(t *testing.T) backend {
	return backend{name: "postgres", url: pgtest.URL(t)}
}

func TestCrashSafetySQLite(t *testing.T) {
	crashTest(t, sqliteBackend(t))
}

func TestCrashSafetyPostgres(t *testing.T) {
	crashTest(t, postgresBackend(t))
}
