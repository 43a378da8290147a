package gwconfig

import (
	"strings"
	"testing"

	"github.com/certgate/certgate"
)

var goodDomains = map[string]string{
	"api.example.com": "api.example.com", "API.Example.COM.": "api.example.com", "*.example.com": "*.example.com",
	"a_b.example.io": "a_b.example.io", "x-1.y.z.example.travel": "x-1.y.z.example.travel",
}
var badDomains = []string{"", "com", "*.com", "a.*.example.com", "-a.example.com", "a-.example.com", "a..example.com",
	"a.example.c0m", "é.example.com", "a.b.c.d.e.f.g.h.example.com", "*.a.b.c.d.e.f.example.com", "x." + strings.Repeat("a", 64) + ".com",
	"1.apic.certgate.local", "certgate.local", "a b.example.com", strings.Repeat("a.", 130) + "com"}

func TestNormalizeDomain(t *testing.T) {
	s := New(nil)
	for in, want := range goodDomains {
		if got, err := s.NormalizeDomain(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range badDomains {
		if got, err := s.NormalizeDomain(in); certgate.ErrorCode(err) != certgate.EInvalid {
			t.Errorf("%.40q: %q, %v; want EInvalid", in, got, err)
		}
	}
}

// FuzzNormalizeDomain checks that an accepted name is lowercase, at most
// 253 characters, has no trailing dot, and normalizes to itself.
func FuzzNormalizeDomain(f *testing.F) {
	for in := range goodDomains {
		f.Add(in)
	}
	for _, in := range badDomains {
		f.Add(in)
	}
	s := New(nil)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := s.NormalizeDomain(in)
		if err != nil {
			if e := certgate.AsError(err); e == nil || e.Code != certgate.EInvalid || e.Field != "url_domain" {
				t.Fatalf("%q: %v", in, err)
			}
			return
		}
		if got != strings.ToLower(got) || len(got) > 253 || strings.HasSuffix(got, ".") {
			t.Fatalf("%q accepted as %q", in, got)
		}
		if again, err := s.NormalizeDomain(got); err != nil || again != got {
			t.Fatalf("%q normalizes to %q, then to %q, %v", in, got, again, err)
		}
	})
}

func TestPorts(t *testing.T) {
	s := New(nil, WithListeners(8081, 9443))
	for _, c := range []struct {
		http, https int
		want        string // reason, or "" for accepted
		stored      [2]int
	}{
		{8081, 9443, "", [2]int{0, 0}},
		{-1, 9443, "", [2]int{-1, 0}},
		{8081, -1, "", [2]int{0, -1}},
		{-1, -1, ReasonBadPort, [2]int{}},
		{80, 9443, ReasonNoListener, [2]int{}},
		{8081, 443, ReasonNoListener, [2]int{}},
		{8081, 9444, ReasonNoListener, [2]int{}},
		{79, 9443, ReasonBadPort, [2]int{}},
		{8081, 49152, ReasonBadPort, [2]int{}},
		{8081, 0, ReasonBadPort, [2]int{}},
		{-2, 9443, ReasonBadPort, [2]int{}},
	} {
		d := &certgate.Domain{}
		err := s.setPorts(d, &c.http, &c.https)
		if got := reasonOf(err); got != c.want {
			t.Errorf("ports %d/%d: %v; want reason %q", c.http, c.https, err, c.want)
		} else if err == nil && [2]int{d.HTTPPort, d.HTTPSPort} != c.stored {
			t.Errorf("ports %d/%d stored as %d/%d, want %v", c.http, c.https, d.HTTPPort, d.HTTPSPort, c.stored)
		}
	}
}

func reasonOf(err error) string {
	if e := certgate.AsError(err); e != nil {
		return e.Reason
	}
	return ""
}
