package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"
)

// cluster is one or more certgate processes on one database.
type cluster struct {
	b      backend
	nodes  []*cgProc
	acct   accountKeys
	keyEnv string
}

// fresh switches the cluster's clients to a new account, so each race
// starts from an empty quota.
func (c *cluster) fresh(t *testing.T) {
	c.acct = createAccount(t, c.b.url, c.keyEnv)
}

func startCluster(t *testing.T, b backend, n int, extra ...string) *cluster {
	t.Helper()
	keyEnv, _ := masterKeyEnv(t)
	c := &cluster{b: b, keyEnv: keyEnv}
	args := append([]string{"--addr", "127.0.0.1:0", "--database", b.url, "--client-key-type", "ecdsa-p256",
		"--rate-limit", "0", "--bootstrap-credentials-file", "none"}, extra...)
	for i := 0; i < n; i++ {
		c.nodes = append(c.nodes, startCertgate(t, cgEnv(keyEnv), args...))
	}
	c.acct = createAccount(t, b.url, keyEnv) // on the live database, as an operator would
	return c
}

func (c *cluster) aws(i int) *apigateway.Client {
	return awsClientFor(c.nodes[i%len(c.nodes)].URL, c.acct)
}

// quotaRace fires 200 concurrent Generate calls spread over the nodes, for
// one account and region with quota 60, and checks that exactly 60 succeed
// and the rest get LimitExceededException.
func quotaRace(t *testing.T, c *cluster) {
	c.fresh(t)
	ctx := context.Background()
	const calls, quota = 200, 60
	var (
		mu                     sync.Mutex
		ok, limited, otherErrs int
		wg                     sync.WaitGroup
	)
	start := make(chan struct{})
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			_, err := c.aws(i).GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
			var le *types.LimitExceededException
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.As(err, &le):
				limited++
			default:
				otherErrs++
				t.Errorf("generate %d: %v", i, err)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	list, err := c.aws(0).GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s, %d node(s): %d concurrent Generate calls with quota %d: %d created, %d LimitExceededException, %d other errors; %d listed",
		c.b.name, len(c.nodes), calls, quota, ok, limited, otherErrs, len(list.Items))
	if ok != quota || limited != calls-quota || len(list.Items) != quota {
		t.Errorf("want exactly %d created and %d refused", quota, calls-quota)
	}
}

// tagRace sends concurrent TagResource calls with distinct keys through every
// node and checks that no key was lost.
func tagRace(t *testing.T, c *cluster) {
	c.fresh(t)
	ctx := context.Background()
	gen, err := c.aws(0).GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.String("arn:aws:apigateway:us-east-1::/clientcertificates/" + *gen.ClientCertificateId)
	const n = 40
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := c.aws(i).TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: arn, Tags: map[string]string{fmt.Sprint("k", i): fmt.Sprint("v", i)}}); err != nil {
				t.Errorf("tag %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	tags, err := c.aws(len(c.nodes)-1).GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s, %d node(s): %d concurrent TagResource calls with distinct keys: %d keys present", c.b.name, len(c.nodes), n, len(tags.Tags))
	for i := 0; i < n; i++ {
		if tags.Tags[fmt.Sprint("k", i)] != fmt.Sprint("v", i) {
			t.Errorf("tag k%d lost", i)
		}
	}
}

// describeRace sends concurrent description updates through every node: the
// final description is one of the written values, and the certificate is
// otherwise untouched.
func describeRace(t *testing.T, c *cluster) {
	ctx := context.Background()
	gen, err := c.aws(0).GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("start")})
	if err != nil {
		t.Fatal(err)
	}
	id := gen.ClientCertificateId
	written := map[string]bool{}
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		d := fmt.Sprintf("description %02d", i)
		written[d] = true
		wg.Add(1)
		go func(i int, d string) {
			defer wg.Done()
			_, err := c.aws(i).UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: id,
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String(d)}}})
			if err != nil {
				t.Errorf("update %d: %v", i, err)
			}
		}(i, d)
	}
	wg.Wait()
	got, err := c.aws(1).GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: id})
	if err != nil {
		t.Fatal(err)
	}
	if !written[aws.ToString(got.Description)] || aws.ToString(got.PemEncodedCertificate) != aws.ToString(gen.PemEncodedCertificate) {
		t.Errorf("after concurrent updates: description %q, PEM changed: %v", aws.ToString(got.Description), aws.ToString(got.PemEncodedCertificate) != aws.ToString(gen.PemEncodedCertificate))
	}
}

// crossNode checks that what one node writes, the other reads at once, in
// both dialects, including list position tokens.
func crossNode(t *testing.T, c *cluster) {
	ctx := context.Background()
	a, b := c.aws(0), c.aws(1)
	var ids []string
	for i := 0; i < 3; i++ {
		gen, err := a.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String(fmt.Sprint("from A ", i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *gen.ClientCertificateId)
	}
	got, err := b.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: &ids[0]})
	if err != nil || aws.ToString(got.Description) != "from A 0" {
		t.Fatalf("node B get: %v %v", got, err)
	}
	page, err := a.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Limit: aws.Int32(2)})
	if err != nil || page.Position == nil {
		t.Fatalf("node A page: %v", err)
	}
	page2, err := b.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Limit: aws.Int32(2), Position: page.Position})
	if err != nil || len(page2.Items) == 0 {
		t.Errorf("node B with node A's position token: %v %v", page2, err)
	}
	arn := aws.String("arn:aws:apigateway:us-east-1::/clientcertificates/" + ids[0])
	if _, err := b.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"by": "B"}}); err != nil {
		t.Error(err)
	}
	if tags, err := a.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: arn}); err != nil || tags.Tags["by"] != "B" {
		t.Errorf("node A sees node B's tag: %v %v", tags, err)
	}
	if _, err := b.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: &ids[0]}); err != nil {
		t.Error(err)
	}
	var nf *types.NotFoundException
	if _, err := a.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: &ids[0]}); !errors.As(err, &nf) {
		t.Errorf("node A after node B's delete: %v", err)
	}

	// Huawei: create on A; show, list, update and delete on B.
	ha, hb := hwClientFor(t, c.nodes[0].URL, c.acct), hwClientFor(t, c.nodes[1].URL, c.acct)
	ch := newChain(t, "p256")
	created, err := ha.CreateCertificateV2(&model.CreateCertificateV2Request{Body: form("cross_node", ch.chainPEM(), ch.leaf.keyPEM(t))})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := hb.ShowDetailsOfCertificateV2(&model.ShowDetailsOfCertificateV2Request{CertificateId: *created.Id}); err != nil || *s.Name != "cross_node" {
		t.Errorf("node B show: %v", err)
	}
	if l, err := hb.ListCertificatesV2(&model.ListCertificatesV2Request{Name: aws.String("cross_node")}); err != nil || l.Total != 1 {
		t.Errorf("node B list: %v %v", l, err)
	}
	if _, err := hb.UpdateCertificateV2(&model.UpdateCertificateV2Request{CertificateId: *created.Id, Body: form("cross_node_b", ch.chainPEM(), ch.leaf.keyPEM(t))}); err != nil {
		t.Errorf("node B update: %v", err)
	}
	if s, err := ha.ShowDetailsOfCertificateV2(&model.ShowDetailsOfCertificateV2Request{CertificateId: *created.Id}); err != nil || *s.Name != "cross_node_b" {
		t.Errorf("node A after node B's update: %v", err)
	}
	if _, err := hb.DeleteCertificateV2(&model.DeleteCertificateV2Request{CertificateId: *created.Id}); err != nil {
		t.Errorf("node B delete: %v", err)
	}
	if _, err := ha.ShowDetailsOfCertificateV2(&model.ShowDetailsOfCertificateV2Request{CertificateId: *created.Id}); err == nil {
		t.Error("node A still shows a certificate node B deleted")
	}
}

// TestConcurrencySQLite: the races on one node with the embedded database.
func TestConcurrencySQLite(t *testing.T) {
	c := startCluster(t, sqliteBackend(t), 1, "--client-certificate-quota", "60")
	start := time.Now()
	quotaRace(t, c)
	tagRace(t, c)
	describeRace(t, c)
	t.Logf("took %v", time.Since(start).Round(time.Millisecond))
}

// TestMultiNodePostgres: two certgate processes on one PostgreSQL database
// behave as one service.
func TestMultiNodePostgres(t *testing.T) {
	c := startCluster(t, postgresBackend(t), 2, "--client-certificate-quota", "60")
	start := time.Now()
	t.Run("CrossNode", func(t *testing.T) { crossNode(t, c) })
	t.Run("QuotaRace", func(t *testing.T) { quotaRace(t, c) })
	t.Run("TagRace", func(t *testing.T) { tagRace(t, c) })
	t.Run("DescriptionRace", func(t *testing.T) { describeRace(t, c) })
	t.Logf("took %v", time.Since(start).Round(time.Millisecond))
}
