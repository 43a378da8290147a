package gateway

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/certgate/certgate"
)

// hostSeeds are the host names and Host headers of the table tests, and
// the odd ones a client may send.
var hostSeeds = []string{
	"api.example.com", "API.Example.COM", "api.example.com.", "api.example.com:8443", "API.EXAMPLE.COM.:443",
	"www.example.com", "a.b.example.com", "example.com", "example.com.", ".example.com", "*.example.com",
	"x.wild.test", "wild.test", "a..example.com", "..", ".", "", ":", ":443", "[::1]:443", "[::1]", "::1",
	"127.0.0.1:8443", "open.example.com:443", "[api.example.com]:443", "api.example.com:", "\x00", "\xff.example.com",
	"\u212aey.example.com", "ǅ.example.com", "api", "API", "x", "a.b",
}

// flipCase swaps the case of every ASCII letter.
func flipCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// FuzzHostParsing: hostOnly and normalHost never panic; hostOnly takes
// off exactly the port that a client adds; normalHost ignores ASCII case
// and one trailing dot, and leaves no ASCII capital.
func FuzzHostParsing(f *testing.F) {
	for _, s := range hostSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		h := hostOnly(host)
		if _, _, err := net.SplitHostPort(host); err != nil && h != host {
			t.Fatalf("hostOnly(%q) = %q: a host without a port must be left alone", host, h)
		}
		if !strings.ContainsAny(host, "[]") {
			if got := hostOnly(net.JoinHostPort(host, "8443")); got != host {
				t.Fatalf("hostOnly(JoinHostPort(%q, 8443)) = %q", host, got)
			}
		}
		n := normalHost(host)
		if n != normalHost(flipCase(host)) {
			t.Fatalf("normalHost(%q) = %q but normalHost(%q) = %q", host, n, flipCase(host), normalHost(flipCase(host)))
		}
		if !strings.HasSuffix(host, ".") && normalHost(host+".") != n {
			t.Fatalf("normalHost(%q) = %q but normalHost(%q) = %q", host, n, host+".", normalHost(host+"."))
		}
		if strings.ContainsAny(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("normalHost(%q) = %q keeps a capital", host, n)
		}
		// Idempotent: the listener's checks and routing each normalize,
		// and must agree on the name (TestHostWithEmptyLabelsSelectsNoDomain).
		if normalHost(n) != n {
			t.Fatalf("normalHost(%q) = %q but normalHost(%q) = %q", host, n, n, normalHost(n))
		}
	})
}

// sniIndex is an index with an exact name under a wildcard (api under
// *.example.com), a wildcard with no exact names (*.wild.test), and a
// lone exact name (solo.test).
func sniIndex() (index, map[string]*site) {
	ix := newIndex()
	sites := map[string]*site{}
	for _, name := range []string{"api.example.com", "*.example.com", "*.wild.test", "solo.test"} {
		st := &site{domain: certgate.Domain{ID: name, Name: name}, config: &tls.Config{MinVersion: tls.VersionTLS12}}
		ix.add(st)
		sites[name] = st
	}
	return ix, sites
}

// FuzzSNILookup: index.lookup and the handshake's configForClient never
// panic; a lookup ignores ASCII case and one trailing dot (not two); a
// site found serves the name; a wildcard matches one label exactly, never
// two labels or its bare parent; an exact name beats a wildcard; and the
// handshake gets the config of the site that lookup finds, or none (the
// unrecognized_name config), never an error.
func FuzzSNILookup(f *testing.F) {
	for _, s := range hostSeeds {
		f.Add(s)
	}
	ix, sites := sniIndex()
	g := New(Config{})
	snap := newSnapshot(1)
	snap.tls = ix
	g.snap.Store(snap)
	wildcards := []string{"example.com", "wild.test"}
	f.Fuzz(func(t *testing.T, name string) {
		st := ix.lookup(name)
		if st != nil && !certgate.Covers([]string{st.domain.Name}, name) {
			t.Fatalf("lookup(%q) found %s, which does not serve it", name, st.domain.Name)
		}
		if exact := sites[normalHost(name)]; exact != nil && st != exact {
			t.Fatalf("lookup(%q) = %v; want the exact name %s", name, siteID(st), exact.domain.Name)
		}
		if got := ix.lookup(flipCase(name)); got != st {
			t.Fatalf("lookup(%q) = %v but lookup(%q) = %v", name, siteID(st), flipCase(name), siteID(got))
		}
		if !strings.HasSuffix(name, ".") {
			if got := ix.lookup(name + "."); got != st {
				t.Fatalf("lookup(%q) = %v but lookup(%q) = %v", name, siteID(st), name+".", siteID(got))
			}
		}
		if got := ix.lookup(name + ".."); got != nil {
			t.Fatalf("lookup(%q) = %v: only one trailing dot is ignored", name+"..", siteID(got))
		}

		// name as one label (or more) below each wildcard.
		for _, parent := range wildcards {
			wild := sites["*."+parent]
			full := name + "." + parent
			got := ix.lookup(full)
			exact := sites[normalHost(full)]
			switch {
			case exact != nil && got != exact:
				t.Fatalf("lookup(%q) = %v; the exact name must win over the wildcard", full, siteID(got))
			case exact == nil && name != "" && !strings.Contains(name, ".") && got != wild:
				t.Fatalf("lookup(%q) = %v; want the wildcard %s (one label)", full, siteID(got), wild.domain.Name)
			case strings.Contains(name, ".") && got == wild:
				t.Fatalf("lookup(%q) matched the wildcard %s across two labels", full, wild.domain.Name)
			}
			if normalHost(name) == parent && st == wild {
				t.Fatalf("lookup(%q): the bare parent matched its wildcard", name)
			}
		}

		hello := &tls.ClientHelloInfo{ServerName: name, SupportedVersions: []uint16{tls.VersionTLS13, tls.VersionTLS12}}
		cfg, err := g.configForClient(hello)
		switch {
		case err != nil:
			t.Fatalf("configForClient(%q): %v; an error sends internal_error", name, err)
		case st == nil && name != "" && cfg != noSite:
			t.Fatalf("configForClient(%q) served a site that lookup does not find", name)
		case st != nil && cfg != st.config:
			t.Fatalf("configForClient(%q) did not serve %s", name, st.domain.Name)
		}
	})
}
