package seal

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/certgate/certgate"
)

func mustKey(t testing.TB) *MasterKey {
	t.Helper()
	k, err := NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestMasterKeyID(t *testing.T) {
	// Fixed vector: key bytes 0x01..0x20.
	var raw [32]byte
	for i := range raw {
		raw[i] = byte(i + 1)
	}
	k, err := ParseMasterKey([]byte(hex.EncodeToString(raw[:])))
	if err != nil {
		t.Fatal(err)
	}
	id := k.ID()
	if !validKeyID(id) {
		t.Fatalf("ID %q is not mk- and 16 hex digits", id)
	}
	// Same key, other encoding: same id. The id reveals nothing of the key.
	k2, err := ParseMasterKey([]byte(k.Encode()))
	if err != nil || k2.ID() != id {
		t.Fatalf("round trip through Encode: %v, %v", k2, err)
	}
	if strings.Contains(hex.EncodeToString(raw[:]), id[3:]) {
		t.Error("id is a substring of the key")
	}
	if mustKey(t).ID() == id {
		t.Error("different keys share an id")
	}
	// Printing a key prints only its id.
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, k.Encode()) || strings.Contains(s, hex.EncodeToString(raw[:])) || strings.Contains(s, "\x01\x02") {
			t.Errorf("formatting leaks the key: %q", s)
		}
	}
}

func TestParseMasterKey(t *testing.T) {
	good := mustKey(t)
	raw, _ := base64.StdEncoding.DecodeString(good.Encode())
	hexKey := hex.EncodeToString(raw)
	b64 := good.Encode()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"base64", b64, true},
		{"base64 with whitespace", "  " + b64 + "\n", true},
		{"hex", hexKey, true},
		{"hex upper", strings.ToUpper(hexKey), true},
		{"hex with newline", hexKey + "\r\n", true},
		{"empty", "", false},
		{"blank", " \n\t", false},
		{"short base64", base64.StdEncoding.EncodeToString(raw[:16]), false},
		{"31 bytes base64 (44 chars, ==)", base64.StdEncoding.EncodeToString(raw[:31]) + "", false},
		{"long base64", base64.StdEncoding.EncodeToString(append(raw, 1)), false},
		{"raw base64 (43)", base64.RawStdEncoding.EncodeToString(raw), false},
		{"url-safe base64", base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff}, 16)), false},
		{"short hex", hexKey[:62], false},
		{"long hex", hexKey + "00", false},
		{"garbage 44", strings.Repeat("!", 44), false},
		{"garbage 64", strings.Repeat("zz", 32), false},
		{"garbage", "correct horse battery staple", false},
		{"zero key", strings.Repeat("00", 32), false},
	}
	for _, tt := range tests {
		k, err := ParseMasterKey([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("%s: ParseMasterKey = %v, %v; want ok=%v", tt.name, k, err, tt.ok)
			continue
		}
		if err != nil {
			if in := strings.TrimSpace(tt.in); len(in) >= 4 && strings.Contains(err.Error(), in) {
				t.Errorf("%s: error echoes the input: %v", tt.name, err)
			}
			continue
		}
		if k.ID() != good.ID() || k.Encode() != b64 {
			t.Errorf("%s: parsed a different key", tt.name)
		}
	}
}

func FuzzParseMasterKey(f *testing.F) {
	k, _ := NewMasterKey(rand.Reader)
	raw, _ := base64.StdEncoding.DecodeString(k.Encode())
	for _, s := range []string{k.Encode(), hex.EncodeToString(raw), "", "  ", strings.Repeat("A", 44), strings.Repeat("0", 64), strings.Repeat("=", 44), "not a key"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		k, err := ParseMasterKey(in)
		if err != nil {
			if k != nil {
				t.Fatal("key and error both returned")
			}
			// Never echo (a meaningful part of) the input.
			if s := strings.TrimSpace(string(in)); len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error echoes input: %v", err)
			}
			return
		}
		// Accepted keys round-trip through Encode.
		k2, err := ParseMasterKey([]byte(k.Encode()))
		if err != nil || k2.ID() != k.ID() {
			t.Fatalf("re-parse of Encode: %v", err)
		}
	})
}

func TestMasterKeyFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets", "nested")
	path := filepath.Join(dir, "master.key")

	if _, err := LoadMasterKeyFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v; want fs.ErrNotExist", err)
	}
	k, err := CreateMasterKeyFile(path, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("key file mode %v; want 0600", m)
		}
		di, _ := os.Stat(dir)
		if m := di.Mode().Perm(); m != 0o700 {
			t.Errorf("created directory mode %v; want 0700", m)
		}
	}
	got, err := LoadMasterKeyFile(path)
	if err != nil || got.ID() != k.ID() {
		t.Fatalf("Load after Create: %v, %v", got, err)
	}

	// Never overwrite an existing key.
	before, _ := os.ReadFile(path)
	if _, err := CreateMasterKeyFile(path, rand.Reader); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create over an existing file: %v; want fs.ErrExist", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("existing key file was modified")
	}

	// Bad contents: the error names the file, not the contents.
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("hunter2-hunter2-hunter2"), 0o600)
	if _, err := LoadMasterKeyFile(bad); err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), bad) {
		t.Errorf("Load of a bad file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.key")
	os.WriteFile(big, bytes.Repeat([]byte("A"), 10000), 0o600)
	if _, err := LoadMasterKeyFile(big); err == nil {
		t.Error("Load of a 10 KB file succeeded")
	}
	// A failing random source leaves no file behind.
	failPath := filepath.Join(t.TempDir(), "fail.key")
	if _, err := CreateMasterKeyFile(failPath, bytes.NewReader(nil)); err == nil {
		t.Error("Create with an empty random source succeeded")
	}
	if _, err := os.Stat(failPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("failed Create left a file: %v", err)
	}
}

// pkcs8 returns a ~1.2 KB PKCS#8 RSA key, the typical sealed payload.
func pkcs8(t testing.TB) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestSealOpen(t *testing.T) {
	s := NewSealer(mustKey(t))
	for _, pt := range [][]byte{nil, {}, []byte("x"), []byte("access key secret 0123456789abcdef"), bytes.Repeat([]byte{0xa5}, 5000)} {
		aad := []byte("certificate/abc123")
		env, id, err := s.Seal(pt, aad)
		if err != nil {
			t.Fatal(err)
		}
		if id != s.CurrentKeyID() {
			t.Errorf("key id %q; want %q", id, s.CurrentKeyID())
		}
		if len(env) != len(pt)+Overhead || env[0] != 1 {
			t.Errorf("envelope of %d bytes for %d bytes of plaintext (version %d)", len(env), len(pt), env[0])
		}
		got, err := s.Open(env, id, aad)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("Open = %x; want %x", got, pt)
		}
		// Sealing twice gives different envelopes (fresh data key and nonces).
		env2, _, _ := s.Seal(pt, aad)
		if bytes.Equal(env, env2) {
			t.Error("two seals of the same plaintext are identical")
		}
	}
}

func TestEnvelopeHidesPlaintext(t *testing.T) {
	s := NewSealer(mustKey(t))
	pt := pkcs8(t)
	env, _, err := s.Seal(pt, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range [][]byte{pt, pt[:16], pt[len(pt)/2 : len(pt)/2+16], pt[len(pt)-16:]} {
		if bytes.Contains(env, chunk) {
			t.Fatal("envelope contains plaintext")
		}
	}
}

func TestOpenFailures(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	s1, s2 := NewSealer(k1), NewSealer(k2)
	pt := []byte("-----BEGIN PRIVATE KEY----- secret")
	aad := []byte("id-1")
	env, id, err := s1.Seal(pt, aad)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v; want %v", name, err, want)
			return
		}
		if msg := err.Error(); strings.Contains(msg, "secret") || strings.Contains(msg, k1.Encode()) {
			t.Errorf("%s: error leaks data: %s", name, msg)
		}
	}

	// Wrong key: the other sealer does not know the id, and a sealer that
	// has the id mapped to the wrong key (impossible by construction, so
	// forged here) fails authentication.
	_, err = s2.Open(env, id, aad)
	check("unknown key", err, ErrUnknownKey)
	if !strings.Contains(err.Error(), id) {
		t.Errorf("unknown key error does not name %s: %v", id, err)
	}
	forged := NewSealer(k2)
	forged.keys[id] = forged.keys[k2.ID()]
	_, err = forged.Open(env, id, aad)
	check("wrong key", err, ErrDecrypt)

	_, err = s1.Open(env, id, []byte("id-2"))
	check("wrong aad", err, ErrDecrypt)
	_, err = s1.Open(env, id, nil)
	check("missing aad", err, ErrDecrypt)

	for i := range env {
		for _, flip := range []byte{0x01, 0x80} {
			bad := bytes.Clone(env)
			bad[i] ^= flip
			_, err := s1.Open(bad, id, aad)
			check(fmt.Sprintf("byte %d ^ %#x", i, flip), err, ErrDecrypt)
		}
	}
	for _, n := range []int{0, 1, Overhead - 1, len(env) - 1} {
		_, err := s1.Open(env[:n], id, aad)
		check(fmt.Sprintf("truncated to %d", n), err, ErrDecrypt)
	}
	_, err = s1.Open(append(bytes.Clone(env), 0), id, aad)
	check("extended", err, ErrDecrypt)

	// Swapping the data part of two envelopes fails: each data key is bound
	// to its own ciphertext.
	env2, _, _ := s1.Seal(pt, aad)
	swapped := append(bytes.Clone(env[:headerLen]), env2[headerLen:]...)
	_, err = s1.Open(swapped, id, aad)
	check("swapped data", err, ErrDecrypt)

	// Presenting the envelope under another loaded key's id fails: the key
	// id is bound into the wrapping.
	both := NewSealer(k2, k1)
	_, err = both.Open(env, k2.ID(), aad)
	check("relabelled key id", err, ErrDecrypt)
}

func TestRotation(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	oldS := NewSealer(oldKey)
	env, id, err := oldS.Seal([]byte("secret"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	rotated := NewSealer(newKey, oldKey, nil, newKey) // nil and duplicates are ignored
	if rotated.CurrentKeyID() != newKey.ID() {
		t.Errorf("current %s", rotated.CurrentKeyID())
	}
	if ids := rotated.KeyIDs(); len(ids) != 2 || ids[0] != newKey.ID() || ids[1] != oldKey.ID() {
		t.Errorf("KeyIDs = %v", ids)
	}
	got, err := rotated.Open(env, id, []byte("aad"))
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open old envelope after rotation: %q, %v", got, err)
	}
	// Re-seal under the new key; the old sealer cannot open it.
	env2, id2, err := rotated.Seal(got, []byte("aad"))
	if err != nil || id2 != newKey.ID() {
		t.Fatalf("re-seal: %s, %v", id2, err)
	}
	if _, err := oldS.Open(env2, id2, []byte("aad")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old sealer opened a new envelope: %v", err)
	}
	if got, err := NewSealer(newKey).Open(env2, id2, []byte("aad")); err != nil || string(got) != "secret" {
		t.Errorf("new key alone: %q, %v", got, err)
	}
}

func TestSealerConcurrent(t *testing.T) {
	s := NewSealer(mustKey(t))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				pt := fmt.Appendf(nil, "secret %d/%d", i, j)
				env, id, err := s.Seal(pt, pt)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := s.Open(env, id, pt)
				if err != nil || !bytes.Equal(got, pt) {
					t.Errorf("round trip: %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestSealRandomFailure(t *testing.T) {
	s := NewSealer(mustKey(t)).WithRandom(bytes.NewReader(make([]byte, 40)))
	if _, _, err := s.Seal([]byte("x"), nil); err == nil {
		t.Error("Seal succeeded with too little randomness")
	}
}

func TestNewSealerNilPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewSealer(nil) did not panic")
		}
	}()
	NewSealer(nil)
}

func FuzzOpen(f *testing.F) {
	k := mustKey(f)
	s := NewSealer(k)
	env, _, _ := s.Seal([]byte("secret"), []byte("aad"))
	f.Add(env, []byte("aad"))
	f.Add(env[:Overhead], []byte(nil))
	f.Add([]byte{}, []byte{})
	f.Add(bytes.Repeat([]byte{1}, Overhead+10), []byte("aad"))
	f.Fuzz(func(t *testing.T, env, aad []byte) {
		pt, err := s.Open(env, k.ID(), aad)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) || pt != nil {
				t.Fatalf("Open = %q, %v", pt, err)
			}
			return
		}
		// Only a genuine envelope opens; the fuzzer cannot forge GCM tags.
		if string(pt) != "secret" {
			t.Fatalf("forged envelope opened to %q", pt)
		}
	})
}

func TestCanary(t *testing.T) {
	k1, k2, k3 := mustKey(t), mustKey(t), mustKey(t)
	s1 := NewSealer(k1)
	canary, err := s1.Canary()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(canary, k1.ID()) || strings.Contains(canary, k1.Encode()) {
		t.Errorf("canary %q", canary)
	}
	// A canary under the other loaded key, and a corrupted one.
	parts := strings.Split(canary, ".")
	env, _ := base64.RawURLEncoding.DecodeString(parts[2])
	env[len(env)-1] ^= 1
	corrupt := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(env)

	tests := []struct {
		name    string
		sealer  *Sealer
		stored  string
		want    error
		msgHave []string
	}{
		{"right key", s1, canary, nil, nil},
		{"right key, surrounding whitespace", s1, " " + canary + "\n", nil, nil},
		{"rotated: old key still loaded", NewSealer(k2, k1), canary, nil, nil},
		{"wrong key", NewSealer(k2), canary, ErrUnknownKey, []string{
			"master key mismatch", "sealed with master key " + k1.ID(), "configured master key is " + k2.ID(), "--master-key-file", "CERTGATE_MASTER_KEY"}},
		{"wrong keys, with older", NewSealer(k2, k3), canary, ErrUnknownKey, []string{k1.ID(), k2.ID(), k3.ID()}},
		{"corrupt ciphertext", s1, corrupt, ErrDecrypt, []string{"corrupt", k1.ID()}},
		{"bad base64", s1, parts[0] + "." + parts[1] + ".!!!", ErrDecrypt, []string{"corrupt"}},
		{"garbage", s1, "hello", ErrDecrypt, []string{"malformed"}},
		{"empty", s1, "", ErrDecrypt, []string{"malformed"}},
		{"bad id", s1, parts[0] + ".mk-XYZ." + parts[2], ErrDecrypt, []string{"malformed"}},
		{"extra part", s1, canary + ".x", ErrDecrypt, []string{"malformed"}},
	}
	for _, tt := range tests {
		err := tt.sealer.CheckCanary(tt.stored)
		if tt.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, err, tt.want)
			continue
		}
		for _, s := range tt.msgHave {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: message %q lacks %q", tt.name, err, s)
			}
		}
	}
	t.Logf("example: %v", NewSealer(k2).CheckCanary(canary))
}

func BenchmarkSeal(b *testing.B) {
	s := NewSealer(mustKey(b))
	pt := pkcs8(b)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, _, err := s.Seal(pt, []byte("certificate-id")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	s := NewSealer(mustKey(b))
	pt := pkcs8(b)
	env, id, err := s.Seal(pt, []byte("certificate-id"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := s.Open(env, id, []byte("certificate-id")); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOpenUnknownKeyIsUnavailable: a value under a key this sealer lacks is
// a server-side condition (503, retry), not an internal error (500).
func TestOpenUnknownKeyIsUnavailable(t *testing.T) {
	k1, _ := NewMasterKey(rand.Reader)
	k2, _ := NewMasterKey(rand.Reader)
	env, id, err := NewSealer(k2).Seal([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewSealer(k1).Open(env, id, nil)
	e := certgate.AsError(err)
	if e == nil || e.Code != certgate.EUnavailable || e.Reason != MissingKeyReason || e.RetryAfter <= 0 ||
		!errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), id) || strings.Contains(e.Message, id) {
		t.Fatalf("open under a missing key: %#v (%v)", e, err)
	}
}

// TestLoadMasterKeyFileRefusesLoosePermissions: a key file that group or
// others can read is refused with the mode and the fix; one made by
// CreateMasterKeyFile is 0600 and loads.
func TestLoadMasterKeyFileRefusesLoosePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no permission bits on Windows")
	}
	path := filepath.Join(t.TempDir(), "master.key")
	if _, err := CreateMasterKeyFile(path, rand.Reader); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("CreateMasterKeyFile made mode %04o, want 0600", fi.Mode().Perm())
	}
	if _, err := LoadMasterKeyFile(path); err != nil {
		t.Fatalf("load a 0600 key: %v", err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660, 0o602} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadMasterKeyFile(path)
		want := fmt.Sprintf("mode %04o", mode)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %04o: got %v, want an error naming %q and the chmod fix", mode, err, want)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMasterKeyFile(path); err != nil {
		t.Errorf("load a 0400 key: %v", err)
	}
}
