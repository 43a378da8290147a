package main

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGatewayUpstreamCAFile: --gateway-upstream-ca-file is read at
// startup. A bundle's CA verifies the backends it signed (beside the
// system roots); a file that is missing, holds no certificate, holds
// something else or a certificate that does not parse stops the start,
// naming the file and never showing what it holds.
func TestGatewayUpstreamCAFile(t *testing.T) {
	dir := t.TempDir()
	chain := newChain(t, "p256")
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bundle := write("bundle.pem", "# the backends' CAs\n"+chain.root.certPEM()+chain.inter.certPEM())

	s := startServer(t, func(c *Config) { c.GatewayUpstreamCAFile = bundle })
	if s.upstreamRoots == nil {
		t.Fatal("no upstream roots loaded")
	}
	if _, err := chain.leaf.cert.Verify(x509.VerifyOptions{Roots: s.upstreamRoots, DNSName: "www.example.com"}); err != nil {
		t.Errorf("a backend signed by the bundle's CA does not verify against the upstream roots: %v", err)
	}
	// The system roots stay in (where the system has any).
	if sys, err := x509.SystemCertPool(); err == nil && len(sys.Subjects()) > 0 && !s.upstreamRoots.Equal(sys) {
		if got, want := len(s.upstreamRoots.Subjects()), len(sys.Subjects()); got < want+1 {
			t.Errorf("upstream roots hold %d subjects; the system pool %d, plus the bundle's", got, want)
		}
	}
	if none := startServer(t, nil); none.upstreamRoots != nil {
		t.Errorf("without the setting, upstreamRoots = %v; want nil (the gateway's default: the system roots)", none.upstreamRoots)
	}

	key := chain.leaf.keyPEM(t)
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.pem"), "cannot read it: no such file or directory"},
		{"a directory", dir, "cannot read it"},
		{"empty", write("empty.pem", ""), "it holds no PEM certificate"},
		{"text", write("text.pem", "not a certificate at all\n"), "it holds no PEM certificate"},
		{"a key", write("key.pem", chain.root.certPEM()+key), "PEM block 2 is not a CERTIFICATE; the file must hold CA certificates only"},
		{"garbage", write("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "certificate 1 does not parse"},
	} {
		cfg := testConfig(t.TempDir())
		cfg.GatewayUpstreamCAFile = tc.path
		m := &Main{Config: cfg}
		err := m.Open(t.Context())
		m.Close()
		if err == nil || !strings.HasPrefix(err.Error(), "--gateway-upstream-ca-file "+tc.path+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Open: %v; want an error naming the file and %q", tc.name, err, tc.want)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
		assertNoSecrets(t, tc.name+": the error", err.Error(), strings.TrimSpace(strings.SplitN(key, "\n", 3)[1]))
		if strings.Contains(err.Error(), "not a certificate at all") || strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%s: the error shows the file's content: %v", tc.name, err)
		}
		// Refused before anything is created: the database does not exist.
		if _, err := os.Stat(filepath.Join(filepath.Dir(sqlitePath(cfg.Database)), "certgate.db")); err == nil {
			t.Errorf("%s: the refused start created the database", tc.name)
		}
	}
}

// FuzzListenerOff: any gateway listener address either is off, with a
// port from 1 to 65535 or an error, or is an address to listen on (never
// "off" nor "off:..." taken for one).
func FuzzListenerOff(f *testing.F) {
	for _, s := range []string{"off", "off:443", "off:", "off:0", "off:65536", "offline:8443", "127.0.0.1:8443", "", "OFF", "off:+80", "off: 80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		port, off, err := listenerOff(addr, 8081)
		isOff := addr == "off" || strings.HasPrefix(addr, "off:")
		if off != isOff {
			t.Fatalf("listenerOff(%q): off %v", addr, off)
		}
		if off && err == nil && (port < 1 || port > 65535) {
			t.Fatalf("listenerOff(%q) = port %d", addr, port)
		}
		if !off && (err != nil || port != 0) {
			t.Fatalf("listenerOff(%q) = %d, %v for an address to listen on", addr, port, err)
		}
	})
}
