package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/internal/pgtest"
)

// Queries that no stored record can match answer the same empty list on
// both backends, without reaching the database: global and instance at
// once, and filters holding a NUL byte or invalid UTF-8 (which PostgreSQL's
// TEXT cannot hold; it once made the same query 200 on SQLite and 400 on
// PostgreSQL).
func TestHuaweiUnmatchableListsOnBothBackends(t *testing.T) {
	backends := map[string]func(t *testing.T) func(*Config){
		"sqlite": func(*testing.T) func(*Config) { return nil },
		"postgres": func(t *testing.T) func(*Config) {
			url := pgtest.URL(t) // skips this subtest without PostgreSQL
			env, _ := masterKeyEnv(t)
			return func(c *Config) {
				c.Database, c.MasterKey = url, strings.TrimPrefix(env, "CERTGATE_MASTER_KEY=")
			}
		},
	}
	for name, backend := range backends {
		t.Run(name, func(t *testing.T) {
			mutate := backend(t)
			s := startServer(t, mutate)
			acct, err := s.Accounts.Create(context.Background(), accounts.CreateInput{Name: "lists"})
			if err != nil {
				t.Fatal(err)
			}
			ch := newChain(t, "p256")
			for _, n := range []string{"global_one", "instance_one"} {
				f := map[string]any{"name": n, "cert_content": ch.chainPEM(), "private_key": ch.leaf.keyPEM(t)}
				if n == "instance_one" {
					f["type"], f["instance_id"] = "instance", "f0fa1789-3b76-433b-a787-9892951c620e"
				}
				body, _ := json.Marshal(f)
				if resp, b := s.hwDo(acct, "POST", "/apigw/certificates", body); resp.StatusCode != 200 {
					t.Fatalf("create %s: %d %s", n, resp.StatusCode, b)
				}
			}
			for _, q := range []string{
				"?type=instance&instance_id=common",
				"?name=%00",
				"?name=a%00b",
				"?name=%FF",
				"?common_name=%C3%28",
				"?instance_id=%00",
				"?signature_algorithm=x%00",
			} {
				resp, b := s.hwDo(acct, "GET", "/apigw/certificates"+q, nil)
				if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"size":0,"total":0,"certs":[]}` {
					t.Errorf("%s: %d %s, want 200 and an empty list", q, resp.StatusCode, b)
				}
			}
			// The filters still work for matchable values on this backend.
			resp, b := s.hwDo(acct, "GET", "/apigw/certificates?type=global&instance_id=common", nil)
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"total":1`) || !strings.Contains(string(b), "global_one") {
				t.Errorf("global via common: %d %s", resp.StatusCode, b)
			}
		})
	}
}
