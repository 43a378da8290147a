package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/internal/sign"
	"github.com/certgate/certgate/seal"
)

// benchServer starts an in-process server for a benchmark.
func benchServer(b *testing.B, mutate func(*Config)) (*Main, *apigateway.Client) {
	b.Helper()
	cfg := testConfig(b.TempDir())
	cfg.Database = "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	cfg.ClientCertificateQuota = 0
	if mutate != nil {
		mutate(&cfg)
	}
	m := &Main{Config: cfg, Logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	b.Cleanup(func() { cancel(); <-done; m.Close() })
	c := apigateway.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(m.Bootstrap.AccessKeyID, m.Bootstrap.SecretAccessKey, ""),
		BaseEndpoint:     aws.String(m.URL()),
		RetryMaxAttempts: 1,
	})
	return m, c
}

// waitPool waits until the key pool holds at least n keys.
func waitPool(b *testing.B, m *Main, n int) {
	deadline := time.Now().Add(2 * time.Minute)
	for m.Pool.Len() < n {
		if time.Now().After(deadline) {
			b.Fatalf("key pool did not reach %d keys", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkGenerate measures GenerateClientCertificate end to end (SDK,
// HTTP, SigV4, signing, sealing, SQLite commit). "warm" waits, off the clock,
// for a pooled key before each call; "empty" runs with the pool disabled, so
// every call generates its key inline.
func BenchmarkGenerate(b *testing.B) {
	for _, kt := range []string{"rsa2048", "ecdsa-p256"} {
		for _, pool := range []string{"warm", "empty"} {
			b.Run(kt+"/pool="+pool, func(b *testing.B) {
				m, c := benchServer(b, func(cfg *Config) {
					cfg.ClientKeyType = kt
					cfg.KeyPoolSize = map[string]int{"warm": 8, "empty": 0}[pool]
				})
				ctx := context.Background()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if pool == "warm" {
						b.StopTimer()
						waitPool(b, m, 1)
						b.StartTimer()
					}
					if _, err := c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("bench")}); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				hits, misses := m.Pool.Stats()
				if total := hits + misses; total > 0 {
					b.ReportMetric(float64(hits)/float64(total), "pool-hit-ratio")
				}
			})
		}
	}
}

// BenchmarkGenerateBurst measures a burst of 40 Generate calls (AWS's burst
// size) against a warm RSA pool of 40, sequentially, as ms per burst.
func BenchmarkGenerateBurst(b *testing.B) {
	m, c := benchServer(b, func(cfg *Config) { cfg.KeyPoolSize = 40 })
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		waitPool(b, m, 40)
		b.StartTimer()
		for j := 0; j < 40; j++ {
			if _, err := c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkGet measures GetClientCertificate end to end, one client at a
// time and with parallel clients.
func BenchmarkGet(b *testing.B) {
	_, c := benchServer(b, func(cfg *Config) { cfg.ClientKeyType = "ecdsa-p256" })
	ctx := context.Background()
	out, err := c.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
	if err != nil {
		b.Fatal(err)
	}
	in := &apigateway.GetClientCertificateInput{ClientCertificateId: out.ClientCertificateId}
	b.Run("serial", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := c.GetClientCertificate(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.GetClientCertificate(ctx, in); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkGetRaw isolates the server's cost of a GetClientCertificate: one
// request is signed once and replayed over a keep-alive connection (valid
// within SigV4's 15-minute window), so no SDK time is counted.
func BenchmarkGetRaw(b *testing.B) { getRaw(b, nil) }

// BenchmarkGetRawPostgres is BenchmarkGetRaw on PostgreSQL (internal/pgtest).
func BenchmarkGetRawPostgres(b *testing.B) {
	key, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	getRaw(b, func(cfg *Config) {
		cfg.Database, cfg.MasterKey, cfg.MasterKeyFile = pgtest.URL(b), key.Encode(), ""
		cfg.BootstrapCredentialsFile = filepath.Join(b.TempDir(), "credentials")
	})
}

func getRaw(b *testing.B, mutate func(*Config)) {
	m, c := benchServer(b, func(cfg *Config) {
		cfg.ClientKeyType = "ecdsa-p256"
		if mutate != nil {
			mutate(cfg)
		}
	})
	out, err := c.GenerateClientCertificate(context.Background(), &apigateway.GenerateClientCertificateInput{})
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest("GET", m.URL()+"/clientcertificates/"+*out.ClientCertificateId, nil)
	if err := sign.SigV4(sigv4.CanonicalRequest, req, nil, m.Bootstrap.AccessKeyID, m.Bootstrap.SecretAccessKey, "us-east-1", "apigateway", time.Now()); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	get := func() error {
		resp, err := client.Do(req.Clone(context.Background()))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	b.Run("serial", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := get(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
