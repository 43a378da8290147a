package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

// Reads served from memory never outlive a write acknowledged elsewhere:
// two certgate processes on one database, each having read a record (so
// that whatever it keeps in memory, it keeps), then a write on one: the
// other answers with the new record at once, and NotFound at once after a
// delete. The same for access keys deleted and accounts created by the CLI
// (a third process) beside the running nodes.
func freshReads(t *testing.T, c *cluster) {
	ctx := context.Background()
	a, b := c.aws(0), c.aws(1)
	gen, err := a.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("v0")})
	if err != nil {
		t.Fatal(err)
	}
	in := &apigateway.GetClientCertificateInput{ClientCertificateId: gen.ClientCertificateId}
	get := func(node *apigateway.Client) string {
		t.Helper()
		got, err := node.GetClientCertificate(ctx, in)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		return aws.ToString(got.Description)
	}
	for round := 1; round <= 4; round++ {
		for range 2 {
			get(a)
			get(b)
		}
		writer := []*apigateway.Client{a, b}[round%2]
		want := fmt.Sprint("v", round)
		if _, err := writer.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: gen.ClientCertificateId,
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String(want)}}}); err != nil {
			t.Fatal(err)
		}
		for i, node := range []*apigateway.Client{a, b} {
			if got := get(node); got != want {
				t.Fatalf("round %d: node %d answers %q right after the update to %q", round, i, got, want)
			}
		}
	}
	if _, err := a.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: gen.ClientCertificateId}); err != nil {
		t.Fatal(err)
	}
	var nf *types.NotFoundException
	if _, err := b.GetClientCertificate(ctx, in); !errors.As(err, &nf) {
		t.Errorf("node B right after node A's delete: %v", err)
	}

	// Huawei: show on both, update on B, show on A; delete on A, show on B.
	ha, hb := hwClientFor(t, c.nodes[0].URL, c.acct), hwClientFor(t, c.nodes[1].URL, c.acct)
	ch := newChain(t, "p256")
	created, err := ha.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("fresh_a", ch.chainPEM(), ch.leaf.keyPEM(t))})
	if err != nil {
		t.Fatal(err)
	}
	show := &model.ShowDetailsOfCertificateV2Request{CertificateId: *created.Id}
	for _, h := range []interface {
		ShowDetailsOfCertificateV2(*model.ShowDetailsOfCertificateV2Request) (*model.ShowDetailsOfCertificateV2Response, error)
	}{ha, hb, ha, hb} {
		if _, err := h.ShowDetailsOfCertificateV2(show); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := hb.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: *created.Id, Body: form("fresh_b", ch.chainPEM(), ch.leaf.keyPEM(t))}); err != nil {
		t.Fatal(err)
	}
	if s, err := ha.ShowDetailsOfCertificateV2(show); err != nil || *s.Name != "fresh_b" {
		t.Errorf("node A right after node B's update: %v %v", s, err)
	}
	if _, err := ha.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: *created.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := hb.ShowDetailsOfCertificateV2(show); err == nil {
		t.Error("node B still shows a certificate node A deleted")
	}

	// The CLI beside the nodes: a new account works at once on both; its
	// key, once used on both and then deleted, is refused at once on both.
	cli := binaryCLI(c.b.url, c.keyEnv)
	var k accountKeys
	cli.mustJSON(t, &k, "account", "create")
	var k2 createdKeyJSON
	cli.mustJSON(t, &k2, "access-key", "create", "--account-id", k.AccountID)
	second := k
	second.AccessKeyID, second.SecretAccessKey = k2.AccessKeyID, k2.SecretAccessKey
	for range 2 {
		for i, n := range c.nodes {
			checkAccepted(t, fmt.Sprint("node ", i), n.URL, k)
			checkAccepted(t, fmt.Sprint("node ", i), n.URL, second)
		}
	}
	if _, stderr, code := cli(t, "access-key", "delete", "--account-id", k.AccountID, "--access-key-id", k.AccessKeyID); code != 0 {
		t.Fatalf("access-key delete exited %d: %s", code, stderr)
	}
	for i, n := range c.nodes {
		checkRefused(t, fmt.Sprint("node ", i, " right after the CLI deleted the key"), n.URL, k)
		checkAccepted(t, fmt.Sprint("node ", i, ", the account's other key"), n.URL, second)
	}
	if _, stderr, code := cli(t, "account", "delete", "--account-id", k.AccountID, "--force"); code != 0 {
		t.Fatalf("account delete exited %d: %s", code, stderr)
	}
	for i, n := range c.nodes {
		checkRefused(t, fmt.Sprint("node ", i, " right after the CLI deleted the account"), n.URL, second)
	}
}

func TestFreshReadsTwoNodesSQLite(t *testing.T) {
	freshReads(t, startCluster(t, sqliteBackend(t), 2))
}

func TestFreshReadsTwoNodesPostgres(t *testing.T) {
	freshReads(t, startCluster(t, postgresBackend(t), 2))
}
