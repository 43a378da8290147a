package main

import (
	"context"
	"strings"
	"testing"
)

// TestSchemeOf: one table decides which backend a --database URL names,
// and Validate and openStore both follow it.
func TestSchemeOf(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"sqlite:certgate-data/certgate.db", "sqlite"},
		{"sqlite:///var/lib/certgate.db", "sqlite"},
		{"sqlite:", ""},
		{"postgres://u@h/db", "postgres"},
		{"postgresql://u@h/db", "postgres"},
		{"Postgres://u@h/db", ""},
		{"mysql://u:pw@h/db", ""},
		{"certgate.db", ""},
		{"", ""},
	} {
		b, ok := schemeOf(tc.url)
		if b.name != tc.want || ok != (tc.want != "") {
			t.Errorf("schemeOf(%q) = %q, %v; want %q", tc.url, b.name, ok, tc.want)
		}
		cfg := DefaultConfig()
		cfg.Database, cfg.MasterKeyFile = tc.url, "x"
		err := cfg.Validate()
		refused := err != nil && strings.Contains(err.Error(), "--database must be sqlite:PATH or postgres://..., got")
		if refused != !ok {
			t.Errorf("Validate(%q): %v", tc.url, err)
		}
		if !ok {
			if _, err := openStore(context.Background(), tc.url, cfg.pool()); err == nil || !strings.HasPrefix(err.Error(), "unsupported --database ") {
				t.Errorf("openStore(%q): %v", tc.url, err)
			}
		}
	}
}
