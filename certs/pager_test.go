package certs

import (
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

func TestPagerRoundTrip(t *testing.T) {
	p := NewPager([]byte("0123456789abcdef0123456789abcdef"))
	scope := certgate.Scope{AccountID: "123456789012", Region: "us-east-1"}
	cur := store.Cursor{CreatedAt: time.Date(2026, 11, 22, 9, 48, 3, 123456000, time.UTC), ID: "abcdefghij"}
	tok := p.Encode(scope, certgate.KindClient, cur)
	got, err := p.Decode(scope, certgate.KindClient, tok)
	if err != nil || !got.CreatedAt.Equal(cur.CreatedAt) || got.ID != cur.ID {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if strings.ContainsAny(tok, "+/=") {
		t.Errorf("token %q is not URL-safe", tok)
	}
	rejects := map[string]string{
		"other account": func() string {
			_, err := p.Decode(certgate.Scope{AccountID: "999999999999", Region: "us-east-1"}, certgate.KindClient, tok)
			return errString(err)
		}(),
		"other region": func() string {
			_, err := p.Decode(certgate.Scope{AccountID: scope.AccountID, Region: "eu-west-1"}, certgate.KindClient, tok)
			return errString(err)
		}(),
		"other kind": func() string {
			_, err := p.Decode(scope, certgate.KindServer, tok)
			return errString(err)
		}(),
		"other key": func() string {
			_, err := NewPager([]byte("another key, another key........")).Decode(scope, certgate.KindClient, tok)
			return errString(err)
		}(),
	}
	for name, msg := range rejects {
		// The reason, not the text, says what went wrong: the AWS dialect
		// writes "Invalid position: ..." from it (cmd/certgate TestAWSWireText).
		if msg != "position/"+ReasonBadPosition {
			t.Errorf("%s: %q", name, msg)
		}
	}
	// Flipping any single character breaks the token.
	for i := range tok {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if _, err := p.Decode(scope, certgate.KindClient, string(b)); err == nil {
			t.Errorf("tampered token at %d accepted", i)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	if e := certgate.AsError(err); e != nil && e.Code == certgate.EInvalid {
		return e.Field + "/" + e.Reason
	}
	return err.Error()
}

func FuzzPagerDecode(f *testing.F) {
	p := NewPager([]byte("0123456789abcdef0123456789abcdef"))
	scope := certgate.Scope{AccountID: "123456789012", Region: "us-east-1"}
	f.Add(p.Encode(scope, certgate.KindClient, store.Cursor{CreatedAt: time.Unix(1, 0), ID: "a"}))
	f.Add("")
	f.Add("AAAA")
	f.Add(strings.Repeat("A", 600))
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := p.Decode(scope, certgate.KindClient, tok)
		if err != nil {
			if certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("non-EInvalid error: %v", err)
			}
			return
		}
		// Only a token this pager made can decode; re-encoding gives it back.
		if again := p.Encode(scope, certgate.KindClient, *c); again != tok {
			t.Fatalf("decoded a token the pager did not make: %q", tok)
		}
	})
}

func TestValidateTags(t *testing.T) {
	ok := []map[string]string{
		nil, {}, {"env": "dev"}, {"a b": "c/d"}, {"k+-=._:/@": "v+-=._:/@"}, {"ключ": "значение"},
		{strings.Repeat("k", 128): strings.Repeat("v", 256)}, {"k": ""},
	}
	for _, tags := range ok {
		if err := ValidateTags(tags); err != nil {
			t.Errorf("%v: %v", tags, err)
		}
	}
	bad := []map[string]string{
		{"": "v"}, {"aws:x": "v"}, {"AWS:x": "v"}, {strings.Repeat("k", 129): "v"}, {"k": strings.Repeat("v", 257)},
		{"k{": "v"}, {"k": "v\n"}, {"k\x00": "v"}, {"k": "\xff"},
	}
	for _, tags := range bad {
		if err := ValidateTags(tags); certgate.ErrorCode(err) != certgate.EInvalid {
			t.Errorf("%q: %v, want EInvalid", tags, err)
		}
	}
	many := map[string]string{}
	for i := 0; i < 51; i++ {
		many[strings.Repeat("k", i+1)] = "v"
	}
	if err := ValidateTags(many); certgate.ErrorCode(err) != certgate.EInvalid {
		t.Errorf("51 tags: %v", err)
	}
}

func TestNewClientID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id, err := newClientID(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != ClientIDLen || strings.Trim(id, idAlphabet) != "" {
			t.Fatalf("id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q in 1000", id)
		}
		seen[id] = true
	}
}
