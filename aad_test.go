package certgate

import "testing"

// The AAD bytes are part of every sealed value in every database: existing
// envelopes open only with exactly these bytes, so they are pinned here
// literally rather than rebuilt from the same expression.
func TestAADBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"client key", KeyAAD("abc123defg", "100000000001", KindClient), "certgate/key/v1|abc123defg|100000000001|client"},
		{"server key", KeyAAD("f0e1d2c3b4a5", "100000000002", KindServer), "certgate/key/v1|f0e1d2c3b4a5|100000000002|server"},
		{"empty fields", KeyAAD("", "", ""), "certgate/key/v1|||"},
		{"secret", SecretAAD("CGAKABCDEFGHIJKLMNOP"), "certgate/secret/v1|CGAKABCDEFGHIJKLMNOP"},
		{"empty secret id", SecretAAD(""), "certgate/secret/v1|"},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("%s: AAD = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	// Each field is bound: changing one changes the bytes.
	base := string(KeyAAD("a", "b", KindClient))
	for _, other := range [][]byte{KeyAAD("x", "b", KindClient), KeyAAD("a", "x", KindClient), KeyAAD("a", "b", KindServer)} {
		if string(other) == base {
			t.Errorf("KeyAAD ignores a field: %q", other)
		}
	}
}
