package accounts

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	hashes := map[string]bool{}
	for range 1000 {
		tok, hash, err := NewToken(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "cgt_") || len(tok) != 47 {
			t.Fatalf("token %q: want cgt_ and 43 base64url characters", tok)
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok[4:])
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q: %d bytes, %v", tok, len(raw), err)
		}
		if !LooksLikeToken(tok) {
			t.Fatalf("LooksLikeToken(%q) = false", tok)
		}
		if hash != HashToken(tok) || len(hash) != 64 || !isHex(hash) {
			t.Fatalf("hash %q for %q", hash, tok)
		}
		if seen[tok] || hashes[hash] {
			t.Fatalf("duplicate token %q", tok)
		}
		seen[tok], hashes[hash] = true, true
	}
}

func TestNewTokenRandomSource(t *testing.T) {
	// Deterministic for a given source, so callers can test with a fixed one.
	src := bytes.Repeat([]byte{0xff}, 32)
	tok, hash, err := NewToken(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := "cgt_" + strings.Repeat("_", 42) + "8"; tok != want {
		t.Fatalf("token %q, want %q", tok, want)
	}
	if hash != HashToken(tok) {
		t.Fatal("hash mismatch")
	}
	if _, _, err := NewToken(bytes.NewReader(src[:31])); err == nil {
		t.Fatal("short random source accepted")
	}
	if _, _, err := NewToken(iotest.ErrReader(errors.New("entropy exhausted"))); err == nil {
		t.Fatal("failing random source accepted")
	}
	if _, _, err := NewToken(nil); err == nil {
		t.Fatal("nil random source accepted")
	}
}

func TestHashToken(t *testing.T) {
	tok, _, _ := NewToken(rand.Reader)
	h := HashToken(tok)
	if h != HashToken(tok) {
		t.Fatal("not deterministic")
	}
	if h == tok || strings.Contains(h, tok[4:]) {
		t.Fatal("hash reveals the token")
	}
	if h == hexSHA256([]byte(tok)) {
		t.Fatal("hash lacks domain separation")
	}
	if HashToken(tok+"x") == h || HashToken("") == h {
		t.Fatal("different tokens share a hash")
	}
	// Pinned, so that a change of the stored form (which would orphan every
	// stored hash) is deliberate.
	if got, want := HashToken("cgt_"+strings.Repeat("A", 43)), "5be4fb7c3a203a4de65a89ef307844453aa5fb5a196fae67a53f5e521b4fcf6e"; got != want {
		t.Fatalf("HashToken = %s, want %s", got, want)
	}
}

func TestLooksLikeToken(t *testing.T) {
	good := "cgt_" + strings.Repeat("A", 43)
	if !LooksLikeToken(good) {
		t.Fatalf("%q rejected", good)
	}
	for _, s := range []string{
		"",
		"cgt_",
		"cgt",
		good[:46],
		good + "A",
		good + strings.Repeat("A", 1000),
		"CGT_" + good[4:],
		"xyz_" + good[4:],
		"cgt_" + strings.Repeat("A", 42) + "B", // non-zero padding bits
		"cgt_" + strings.Repeat("A", 42) + "=",
		"cgt_" + strings.Repeat("A", 42) + "+",
		"cgt_" + strings.Repeat("A", 42) + "/",
		"cgt_" + strings.Repeat("A", 21) + "\n" + strings.Repeat("A", 21),
		"cgt_" + strings.Repeat("A", 21) + " " + strings.Repeat("A", 21),
		"cgt_" + strings.Repeat("\u00e9", 21) + "A",
		"Bearer " + good,
		"SDK-HMAC-SHA256 Access=AK",
	} {
		if LooksLikeToken(s) {
			t.Errorf("LooksLikeToken(%q) = true", s)
		}
	}
}

func FuzzLooksLikeToken(f *testing.F) {
	f.Add("")
	f.Add("cgt_" + strings.Repeat("A", 43))
	f.Add("cgt_" + strings.Repeat("_", 42) + "8")
	f.Add("cgt_" + strings.Repeat("A", 42) + "B")
	f.Add("cgt_" + strings.Repeat("A", 21) + "\n" + strings.Repeat("A", 21))
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, s string) {
		if !LooksLikeToken(s) {
			return
		}
		if len(s) != 47 || !strings.HasPrefix(s, "cgt_") {
			t.Fatalf("%q accepted", s)
		}
		// An accepted token is exactly what NewToken would make of its bytes.
		raw, err := decodeToken(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		tok, hash, err := NewToken(strings.NewReader(string(raw)))
		if err != nil || tok != s || hash != HashToken(s) {
			t.Fatalf("%q: NewToken of its bytes gives %q, %v", s, tok, err)
		}
	})
}

func decodeToken(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, "cgt_"))
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
