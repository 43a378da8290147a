package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/internal/pgtest"
)

// TestGatewayTwoNodes runs an API-only node and a gateway node on one
// database. What is written through the first is served by the second's
// listener, and a handshake loop that runs while the bound certificate is
// replaced 20 times never fails: each handshake shows one certificate that
// was bound, never a mix or nothing. The propagation times are logged.
func TestGatewayTwoNodes(t *testing.T) {
	for _, b := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "certgate.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			_, mk := masterKeyEnv(t)
			db := b.url(t)
			var nodes [2]*testServer
			for i := range nodes {
				cfg := testConfig(t.TempDir())
				cfg.Database, cfg.MasterKey, cfg.BootstrapCredentialsFile = db, mk.Encode(), "none"
				if i == 1 {
					cfg.Gateway, cfg.GatewayHTTPSAddr, cfg.GatewayHTTPAddr = "on", "127.0.0.1:0", "127.0.0.1:0"
				}
				m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))}
				if b.name == "postgres" {
					// Notifications, not the poll, must bring the changes:
					// a poll this slow would miss every deadline below.
					m.gatewayPoll = time.Minute
				}
				serveMain(t, m)
				nodes[i] = &testServer{Main: m, t: t}
			}
			api, gw := nodes[0], nodes[1]
			owner, err := api.Accounts.Create(context.Background(), accounts.CreateInput{Name: "two-node-gateway"})
			if err != nil {
				t.Fatal(err)
			}
			c := api.hwClient(owner, "")
			inst := owner.Instance.ID
			bd := bindDomain(t, c, inst, "nodes_group", "nodes.example.com", "nodes_cert")
			chain := bd.chain
			t.Logf("bound through node 0, served by node 1 after %v", gw.waitServed(t, "nodes.example.com", pemLeaf(t, chain)))

			// The handshake loop, while node 0 replaces the certificate.
			var mu sync.Mutex
			bound := map[string]bool{string(pemLeaf(t, chain).Raw): true}
			var handshakes, failures atomic.Int64
			var firstFailure atomic.Value
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						leaf, err := gw.served("nodes.example.com")
						handshakes.Add(1)
						mu.Lock()
						ok := err == nil && bound[string(leaf.Raw)]
						mu.Unlock()
						if !ok {
							failures.Add(1)
							firstFailure.CompareAndSwap(nil, err)
						}
					}
				}()
			}
			var lags []time.Duration
			changes := 20
			if b.name == "postgres" {
				changes = 100 // the reload figure: p50 and p99 over 100 changes
			}
			for i := range changes {
				chain, key, _ := leafFor(t, "p256", "nodes.example.com")
				leaf := pemLeaf(t, chain)
				mu.Lock()
				bound[string(leaf.Raw)] = true // bound from now on, seen soon
				mu.Unlock()
				if _, err := c.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: bd.certID,
					Body: &model.CertificateForm{Name: "nodes_cert", CertContent: chain, PrivateKey: key}}); err != nil {
					t.Fatalf("replacement %d: %v", i, err)
				}
				lags = append(lags, gw.waitServed(t, "nodes.example.com", leaf))
			}
			close(stop)
			wg.Wait()
			sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
			t.Logf("%d replacements: served on the other node after p50 %v, p99 %v, max %v; %d handshakes during them, %d failed",
				changes, lags[len(lags)/2], lags[len(lags)*99/100], slices.Max(lags), handshakes.Load(), failures.Load())
			if b.name == "postgres" && slices.Max(lags) > 5*time.Second {
				t.Errorf("on PostgreSQL a change took %v to reach the other node: notifications did not arrive", slices.Max(lags))
			}
			if failures.Load() > 0 {
				t.Errorf("%d of %d handshakes during the replacements failed or showed a certificate never bound (first: %v)",
					failures.Load(), handshakes.Load(), firstFailure.Load())
			}

			// A new stage certificate, written through node 0, presented by
			// node 1's gateway to the backend.
			ctx := context.Background()
			ac := api.client(owner, "us-east-1")
			apiID, ids := mtlsStage(t, ac, 2)
			invoke := "http://" + gw.gw.http.Addr().String() + "/_aws/execute-api/" + apiID + "/prod/x"
			presents := func(serial string) func() string {
				return func() string {
					resp, err := http.Get(invoke)
					if err != nil {
						return err.Error()
					}
					resp.Body.Close()
					if got := resp.Header.Get("X-Client-Serial"); resp.StatusCode != 200 || got != serial {
						return fmt.Sprintf("%s, client certificate %q, want %q", resp.Status, got, serial)
					}
					return ""
				}
			}
			for _, cc := range ids {
				setStageCert(t, ac, apiID, cc)
				got, err := ac.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String(cc)})
				if err != nil {
					t.Fatal(err)
				}
				serial := pemLeaf(t, aws.ToString(got.PemEncodedCertificate)).SerialNumber.String()
				t.Logf("stage certificate %s presented by the other node after %v", cc, waitFor(t, "the stage certificate on node 1", presents(serial)))
			}

			// Client verification turned on through node 0 (the certificate
			// replaced with a trusted root CA, then attached with the flag):
			// node 1 refuses a client without a certificate. TLS 1.2, so
			// that the refusal is the handshake's.
			chain, key, root := leafFor(t, "p256", "nodes.example.com")
			ca := root.certPEM()
			if _, err := c.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: bd.certID,
				Body: &model.CertificateForm{Name: "nodes_cert", CertContent: chain, PrivateKey: key, TrustedRootCa: &ca}}); err != nil {
				t.Fatal(err)
			}
			verify := true
			if _, err := c.BatchAssociateCertsV2(&model.BatchAssociateCertsV2Request{InstanceId: inst, GroupId: bd.group.Id, DomainId: bd.domainID,
				Body: &model.AttachOrDetachCertsReqBody{CertificateIds: []string{bd.certID}, VerifiedClientCertificateEnabled: &verify}}); err != nil {
				t.Fatal(err)
			}
			t.Logf("client verification turned on: enforced by the other node after %v", waitFor(t, "verification on node 1", func() string {
				conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", gw.gw.https.Addr().String(),
					&tls.Config{ServerName: "nodes.example.com", InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
				if err == nil {
					conn.Close()
					return "a client without a certificate completed the handshake"
				}
				return ""
			}))

			// The binding removed through node 0: node 1 refuses the name.
			if _, err := c.BatchDisassociateCertsV2(&model.BatchDisassociateCertsV2Request{InstanceId: inst, GroupId: bd.group.Id, DomainId: bd.domainID,
				Body: &model.AttachOrDetachCertsReqBody{CertificateIds: []string{bd.certID}}}); err != nil {
				t.Fatal(err)
			}
			t.Logf("binding removed: refused by the other node after %v", gw.waitServed(t, "nodes.example.com", nil))
		})
	}
}
