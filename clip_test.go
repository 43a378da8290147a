package certgate

import (
	"strings"
	"testing"
)

func TestClip(t *testing.T) {
	long := strings.Repeat("é", 64)
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"tag", "tag"},
		{long, long}, // 64 characters (128 bytes) stay whole
		{long + "x", long + "..."},
		{strings.Repeat("a", 63) + "日本", strings.Repeat("a", 63) + "日..."},
	} {
		if got := Clip(tc.in); got != tc.want {
			t.Errorf("Clip(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
