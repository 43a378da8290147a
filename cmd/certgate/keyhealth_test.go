package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store/postgres"
)

// TestMultiNodeRotationToAKeyANodeLacks: node A holds K1 and K2, node B
// only K1. Rotating to K2 is refused, naming B, and changes nothing. With
// --force it proceeds; B then says on /healthz that it lacks K2, and its
// requests that need K2 answer 503 in both dialects, not 500. Once B is
// restarted with K2, it is healthy and rotating needs no --force. A node
// that stops cleanly removes itself from the nodes table.
func TestMultiNodeRotationToAKeyANodeLacks(t *testing.T) {
	b := postgresBackend(t)
	dir := t.TempDir()
	k1f, k2f := filepath.Join(dir, "k1.key"), filepath.Join(dir, "k2.key")
	k1, err := seal.CreateMasterKeyFile(k1f, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := seal.CreateMasterKeyFile(k2f, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	env := cgEnv()
	args := func(keys ...string) []string {
		a := []string{"--addr", "127.0.0.1:0", "--database", b.url, "--client-key-type", "ecdsa-p256",
			"--rate-limit", "0", "--bootstrap-credentials-file", "none", "--heartbeat-interval", "200ms",
			"--master-key-file", keys[0]}
		if len(keys) > 1 {
			a = append(a, "--previous-master-key-files", keys[1])
		}
		return a
	}
	nodeB := startCertgate(t, env, args(k1f)...) // first: the database's canary is K1's
	nodeA := startCertgate(t, env, args(k2f, k1f)...)
	used := createAccount(t, b.url, "CERTGATE_MASTER_KEY_FILE="+k1f)
	fresh := createAccount(t, b.url, "CERTGATE_MASTER_KEY_FILE="+k1f) // not used on B before the rotation
	ctx := context.Background()
	if _, err := awsClientFor(nodeB.URL, used).GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{}); err != nil {
		t.Fatal(err)
	}
	// Nodes beat every 200 ms; rotate counts a node live if seen in the
	// last 30 s, so that a loaded machine cannot make B look dead.
	rotate := func(extra ...string) (string, int) {
		_, stderr, code := runCertgate(t, 2*time.Minute, env, append([]string{"master-key", "rotate", "--database", b.url,
			"--master-key-file", k2f, "--previous-master-key-files", k1f, "--heartbeat-interval", "10s"}, extra...)...)
		return stderr, code
	}
	sealKeys := func() []string {
		st, err := openStore(ctx, b.url, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ids, err := st.SealKeyIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}

	stderr, code := rotate()
	t.Logf("rotate to K2 while B lacks it: exit %d\n%s", code, stderr)
	if code != 1 || !strings.Contains(stderr, nodeB.Addr) || strings.Contains(stderr, nodeA.Addr) || !strings.Contains(stderr, k2.ID()) {
		t.Fatalf("rotate while node B (%s) lacks %s: exit %d, want 1 naming B only:\n%s", nodeB.Addr, k2.ID(), code, stderr)
	}
	if ids := sealKeys(); !slices.Equal(ids, []string{k1.ID()}) {
		t.Errorf("after the refused rotation, values are under %v, want only %s", ids, k1.ID())
	}

	if stderr, code := rotate("--force"); code != 0 {
		t.Fatalf("rotate --force: exit %d\n%s", code, stderr)
	}
	if ids := sealKeys(); !slices.Equal(ids, []string{k2.ID()}) {
		t.Errorf("after rotate --force, values are under %v, want only %s", ids, k2.ID())
	}

	// B notices within a few heartbeats.
	var health string
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(nodeB.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		health = string(body)
		if resp.StatusCode == 503 && strings.Contains(health, k2.ID()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node B /healthz after the rotation: %d %s, want 503 naming %s", resp.StatusCode, body, k2.ID())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("node B /healthz: 503 %s", strings.TrimSpace(health))

	// Requests on B that need K2 answer 503, in both dialects; A serves them.
	_, err = awsClientFor(nodeB.URL, fresh).GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailableException" || !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
		t.Errorf("AWS request on node B: %v, want 503 ServiceUnavailableException", err)
	} else {
		t.Logf("AWS request on node B: %v", err)
	}
	_, err = hwClientFor(t, nodeB.URL, fresh).ListCertificatesV2(&model.ListCertificatesV2Request{})
	if status, code, msg := hwErr(err); status != 503 || code != "APIG.9999" {
		t.Errorf("Huawei request on node B: %d %s %s, want 503 APIG.9999", status, code, msg)
	}
	if _, err := awsClientFor(nodeA.URL, fresh).GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{}); err != nil {
		t.Errorf("node A: %v", err)
	}
	if n := strings.Count(nodeB.stderr.String(), "level=ERROR"); n > 4 {
		t.Errorf("node B logged %d ERROR lines for a few failed requests:\n%s", n, nodeB.stderr.String())
	}

	// A clean stop removes B's row; B restarted with K2 is healthy, and a
	// rotation needs no --force.
	nodeB.stopClean()
	st, err := openStore(ctx, b.url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := st.ListNodes(ctx, time.Time{})
	st.Close()
	if err != nil || len(nodes) != 1 || nodes[0].Addr != nodeA.Addr {
		var shown []string
		for _, n := range nodes {
			b, _ := json.Marshal(n)
			shown = append(shown, string(b))
		}
		t.Errorf("nodes after B stopped cleanly: %v %v, want only A (%s)", shown, err, nodeA.Addr)
	}
	nodeB2 := startCertgate(t, env, args(k2f, k1f)...)
	if _, err := awsClientFor(nodeB2.URL, fresh).GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{}); err != nil {
		t.Errorf("node B restarted with K2: %v", err)
	}
	if stderr, code := rotate(); code != 0 {
		t.Errorf("rotate with every live node holding K2: exit %d\n%s", code, stderr)
	}
}

// TestHealthNamesAMissingMasterKey: when the database's canary moves to a
// key this node does not hold (a rotation finished elsewhere), /healthz
// turns 503 naming it within a few heartbeats, and 200 again when it
// moves back.
func TestHealthNamesAMissingMasterKey(t *testing.T) {
	s := startServer(t, func(c *Config) { c.HeartbeatInterval = 100 * time.Millisecond })
	ctx := context.Background()
	other, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.Store.GetMeta(ctx, metaSealCanary)
	if err != nil {
		t.Fatal(err)
	}
	moved, err := seal.NewSealer(other).Canary()
	if err != nil {
		t.Fatal(err)
	}
	waitHealth := func(want int, contains string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, body := s.do(nil, "GET", "/healthz", nil, nil)
			if resp.StatusCode == want && strings.Contains(string(body), contains) {
				t.Logf("/healthz: %d %s", resp.StatusCode, strings.TrimSpace(string(body)))
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/healthz: %d %s, want %d with %q", resp.StatusCode, body, want, contains)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if ok, err := s.Store.SwapMeta(ctx, metaSealCanary, old, moved); err != nil || !ok {
		t.Fatalf("swap canary: %v %v", ok, err)
	}
	waitHealth(503, other.ID())
	if !strings.Contains(s.logs.String(), "missing_master_keys="+other.ID()) {
		t.Errorf("the log does not name the missing key:\n%s", s.logs.String())
	}
	if ok, err := s.Store.SwapMeta(ctx, metaSealCanary, moved, old); err != nil || !ok {
		t.Fatalf("swap canary back: %v %v", ok, err)
	}
	waitHealth(200, "ok")
}
