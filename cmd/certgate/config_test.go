package main

import (
	"slices"
	"testing"

	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/pki"
)

// TestDefaultConfigUsesPackageDefaults pins serve's defaults to the
// constants the packages document, so that the two cannot drift apart.
func TestDefaultConfigUsesPackageDefaults(t *testing.T) {
	c := DefaultConfig()
	if c.ClientCertificateQuota != certs.DefaultClientQuota {
		t.Errorf("ClientCertificateQuota %d, want certs.DefaultClientQuota %d", c.ClientCertificateQuota, certs.DefaultClientQuota)
	}
	if c.ServerCertificateQuota != certs.DefaultServerQuota {
		t.Errorf("ServerCertificateQuota %d, want certs.DefaultServerQuota %d", c.ServerCertificateQuota, certs.DefaultServerQuota)
	}
	if c.MaxBodyBytes != api.DefaultMaxBodyBytes {
		t.Errorf("MaxBodyBytes %d, want api.DefaultMaxBodyBytes %d", c.MaxBodyBytes, api.DefaultMaxBodyBytes)
	}
	if c.ClientCertValidity != pki.DefaultValidity {
		t.Errorf("ClientCertValidity %v, want pki.DefaultValidity %v", c.ClientCertValidity, pki.DefaultValidity)
	}
}

// TestSettingsScopes: the store scope is what the admin commands read (no
// server setting among them), and serve reads all of it and more.
func TestSettingsScopes(t *testing.T) {
	var c Config
	names := func(sc scope) []string {
		var n []string
		for _, s := range c.settings(sc) {
			n = append(n, s.flag)
		}
		return n
	}
	st, serve := names(storeScope), names(serveScope)
	for _, want := range []string{"database", "master-key-file", "previous-master-key-files", "db-max-conns"} {
		if !slices.Contains(st, want) {
			t.Errorf("store scope lacks --%s: %v", want, st)
		}
	}
	for _, server := range []string{"addr", "rate-limit", "shutdown-delay", "log-level"} {
		if slices.Contains(st, server) {
			t.Errorf("store scope holds the server setting --%s", server)
		}
		if !slices.Contains(serve, server) {
			t.Errorf("serve scope lacks --%s", server)
		}
	}
	for _, n := range st {
		if !slices.Contains(serve, n) {
			t.Errorf("serve scope lacks the store setting --%s", n)
		}
	}
	if len(serve) <= len(st) {
		t.Errorf("serve scope has %d settings, store scope %d", len(serve), len(st))
	}
}
