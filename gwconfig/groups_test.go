package gwconfig

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/certgate/certgate"
)

var goodGroupNames = []string{"api_group_001", "abc", "1ab", "分组一", "分组、一（二）：3", "a-b_c.d/e(f):g", strings.Repeat("g", 255)}
var badGroupNames = []string{"", "ab", "_abc", "-abc", "a b", "abc*", "abc\n", "ab\x00c", strings.Repeat("g", 256), "ééé", "分组"}

func TestGroupName(t *testing.T) {
	for _, n := range goodGroupNames {
		if err := checkGroupName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range badGroupNames {
		err := checkGroupName(n)
		if e := certgate.AsError(err); e == nil || e.Code != certgate.EInvalid || e.Field != "name" {
			t.Errorf("%.20q: %v; want EInvalid on name", n, err)
		}
	}
}

// FuzzGroupName checks that the name rule never panics, that every name
// it accepts is 3 to 255 characters of valid UTF-8 without spaces or
// control characters, and that it refuses with EInvalid on name.
func FuzzGroupName(f *testing.F) {
	for _, n := range append(goodGroupNames, badGroupNames...) {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := checkGroupName(name)
		if err != nil {
			if e := certgate.AsError(err); e == nil || e.Code != certgate.EInvalid || e.Field != "name" {
				t.Fatalf("%q: %v", name, err)
			}
			return
		}
		n := utf8.RuneCountInString(name)
		if !utf8.ValidString(name) || n < 3 || n > 255 || strings.ContainsAny(name, " \t\r\n\x00") {
			t.Fatalf("accepted %q", name)
		}
	})
}

func TestCheckDomainSuffix(t *testing.T) {
	for _, good := range []string{"certgate.local", "a.b", "apic.example.com"} {
		if err := CheckDomainSuffix(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for _, bad := range []string{"", "local", ".a.b", "a.b.", "A.b", "a_b.c", "-a.b", "a-.b", strings.Repeat("a", 64) + ".b"} {
		if err := CheckDomainSuffix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
