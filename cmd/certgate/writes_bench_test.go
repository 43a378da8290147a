package main

import (
	"context"
	"testing"

	"github.com/certgate/certgate/internal/loadgen"
)

// benchOp returns the load tool's operation for scenario against an
// in-process server, so that a profile (-cpuprofile) shows the server's
// costs beside the load tool's.
func benchOp(b *testing.B, scenario string, conns int, mutate func(*Config)) (*Main, loadgen.Op) {
	b.Helper()
	m, _ := benchServer(b, mutate)
	f := &benchFlags{endpoint: m.URL(), accessKeyID: m.Bootstrap.AccessKeyID, secret: m.Bootstrap.SecretAccessKey,
		projectID: m.Bootstrap.Account.ProjectID, region: "us-east-1", leaves: 8}
	f.opts.Concurrency = conns
	bn, err := newBencher(f)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bn.close)
	op, err := bn.scenario(context.Background(), scenario)
	if err != nil {
		b.Fatal(err)
	}
	return m, op
}

// BenchmarkHWUpload is certgate bench hw-upload --concurrency 8 in one
// process: Huawei CreateCertificateV2 of RSA-2048 leaves (parse, validate,
// seal, store).
func BenchmarkHWUpload(b *testing.B) {
	_, op := benchOp(b, "hw-upload", 8, func(c *Config) { c.KeyPoolSize = 0; c.ServerCertificateQuota = 0; c.RateLimit = 0 })
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if class := op(context.Background()); class != "" {
				b.Error(class)
				return
			}
		}
	})
}
