package certs

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/certgate/certgate"
)

// wantDetail is what a dialect reads from a core error.
type wantDetail struct {
	code, reason, field string
	limit, got          int
	value               string
}

func checkDetail(t *testing.T, name string, err error, w wantDetail) {
	t.Helper()
	e := certgate.AsError(err)
	if e == nil {
		t.Errorf("%s: %v, want a *certgate.Error", name, err)
		return
	}
	got := wantDetail{e.Code, e.Reason, e.Field, e.Limit, e.Got, e.Value}
	if got != w {
		t.Errorf("%s: %+v\nwant %+v", name, got, w)
	}
	// The Message is the neutral fallback: set, and in no dialect's words.
	if e.Message == "" {
		t.Errorf("%s: no fallback Message", name)
	}
	for _, dialect := range []string{"validation error", "Member must", "Client Certificate", "Invalid ", "Too many", "project", "APIG"} {
		if strings.Contains(e.Message, dialect) {
			t.Errorf("%s: Message %q speaks a dialect (%q)", name, e.Message, dialect)
		}
	}
}

// TestErrorReasons: every rule of the core refuses with a Code, a Reason, a
// Field and the numbers a dialect writes its sentence from.
func TestErrorReasons(t *testing.T) {
	ctx := context.Background()
	svc, _ := newGenerator(t, Config{ClientQuota: 1, ServerQuota: 1})
	gen := func(in GenerateInput) error {
		_, err := svc.GenerateClientCertificate(ctx, awsScope, in)
		return err
	}
	tag := func(k, v string) error { return gen(GenerateInput{Tags: map[string]string{k: v}}) }
	many := map[string]string{}
	for i := range MaxTags + 1 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	long := strings.Repeat("k", MaxTagKeyLen+1)
	clipped := strings.Repeat("k", 64) + "..."
	get := func(id string) error {
		_, err := svc.Get(ctx, awsScope, certgate.KindServer, id)
		return err
	}
	list := func(pos string, limit int) error {
		_, err := svc.List(ctx, awsScope, certgate.KindClient, pos, limit)
		return err
	}
	const inv = certgate.EInvalid
	cases := []struct {
		name string
		err  error
		want wantDetail
	}{
		{"no account", func() error {
			_, err := svc.GenerateClientCertificate(ctx, certgate.Scope{}, GenerateInput{})
			return err
		}(),
			wantDetail{code: certgate.EInternal, reason: ReasonNoScope}},
		{"empty id", get(""), wantDetail{inv, ReasonEmptyID, "id", 0, 0, ""}},
		{"id not UTF-8", get("a\xffb"), wantDetail{inv, ReasonBadUTF8, "id", 0, 0, ""}},
		{"id too long", get(strings.Repeat("a", MaxIDLen+1)), wantDetail{inv, ReasonBadID, "id", MaxIDLen, MaxIDLen + 1, ""}},
		{"description not UTF-8", gen(GenerateInput{Description: "a\xffb"}), wantDetail{inv, ReasonBadUTF8, "description", 0, 0, ""}},
		{"description too long", gen(GenerateInput{Description: strings.Repeat("é", MaxDescriptionLen+1)}),
			wantDetail{inv, ReasonTooLong, "description", MaxDescriptionLen, MaxDescriptionLen + 1, ""}},
		{"description NUL", gen(GenerateInput{Description: "a\x00b"}), wantDetail{inv, ReasonNULChar, "description", 0, 0, ""}},
		{"too many tags", gen(GenerateInput{Tags: many}), wantDetail{inv, ReasonTooManyTags, "tags", MaxTags, MaxTags + 1, ""}},
		{"empty key", tag("", "v"), wantDetail{inv, ReasonTagKeyEmpty, "tags", MaxTagKeyLen, 0, ""}},
		{"key not UTF-8", tag("k\xff", "v"), wantDetail{inv, ReasonTagKeyBadUTF8, "tags", 0, 0, ""}},
		{"long key, clipped", tag(long, "v"), wantDetail{inv, ReasonTagKeyTooLong, "tags", MaxTagKeyLen, 0, clipped}},
		{"reserved key", tag("AWS:x", "v"), wantDetail{inv, ReasonTagKeyReserved, "tags", 0, 0, "AWS:x"}},
		{"key characters", tag("a;b", "v"), wantDetail{inv, ReasonTagKeyChars, "tags", 0, 0, "a;b"}},
		{"value not UTF-8", tag("k", "\xff"), wantDetail{inv, ReasonTagValueBadUTF8, "tags", 0, 0, ""}},
		{"long value", tag("k", strings.Repeat("v", MaxTagValueLen+1)), wantDetail{inv, ReasonTagValueTooLong, "tags", MaxTagValueLen, 0, "k"}},
		{"value characters", tag("k", "a;b"), wantDetail{inv, ReasonTagValueChars, "tags", 0, 0, "k"}},
		{"limit over", list("", MaxPageLimit+1), wantDetail{inv, ReasonOutOfRange, "limit", MaxPageLimit, MaxPageLimit + 1, ""}},
		{"limit negative", list("", -1), wantDetail{inv, ReasonOutOfRange, "limit", MaxPageLimit, -1, ""}},
		{"bad position", list("xyz", 1), wantDetail{inv, ReasonBadPosition, "position", 0, 0, ""}},
		{"untag nothing", func() error { _, err := svc.Untag(ctx, awsScope, certgate.KindClient, "abc", nil); return err }(),
			wantDetail{inv, ReasonMissing, "tagKeys", 0, 0, ""}},
		{"untag reserved", func() error {
			_, err := svc.Untag(ctx, awsScope, certgate.KindClient, "abc", []string{"aws:k"})
			return err
		}(),
			wantDetail{inv, ReasonTagKeyReserved, "tags", 0, 0, "aws:k"}},
	}
	for _, c := range cases {
		checkDetail(t, c.name, c.err, c.want)
	}

	// Rules decided from stored records.
	if err := gen(GenerateInput{}); err != nil {
		t.Fatal(err)
	}
	checkDetail(t, "client quota", gen(GenerateInput{}), wantDetail{code: certgate.ELimitExceeded, reason: ReasonClientQuota, limit: 1})
	scope := certgate.Scope{AccountID: awsScope.AccountID}
	cert, key := selfSigned(t, "www.example.com", false)
	c, err := svc.CreateServerCertificate(ctx, scope, ServerInput{Name: "first_cert", CertPEM: cert, KeyPEM: key})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateServerCertificate(ctx, scope, ServerInput{Name: "second_cert", CertPEM: cert, KeyPEM: key})
	checkDetail(t, "server quota", err, wantDetail{code: certgate.ELimitExceeded, reason: ReasonServerQuota, limit: 1})
	// A rename into a taken name names the name (the update is not counted).
	svc.cfg.ServerQuota = 0
	if _, err := svc.CreateServerCertificate(ctx, scope, ServerInput{Name: "second_cert", CertPEM: cert, KeyPEM: key}); err != nil {
		t.Fatal(err)
	}
	name := "second_cert"
	_, err = svc.UpdateServerCertificate(ctx, scope, c.ID, ServerUpdate{Name: &name, CertPEM: cert, KeyPEM: key})
	checkDetail(t, "rename into a taken name", err, wantDetail{certgate.EConflict, ReasonDuplicateName, "name", 0, 0, "second_cert"})
	_, err = svc.CreateServerCertificate(ctx, scope, ServerInput{Name: "first_cert", CertPEM: cert, KeyPEM: key})
	checkDetail(t, "duplicate name", err, wantDetail{certgate.EConflict, ReasonDuplicateName, "name", 0, 0, "first_cert"})
}
