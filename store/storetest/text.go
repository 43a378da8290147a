package storetest

import (
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// badTexts are values no backend may store: PostgreSQL's TEXT cannot hold
// them, and the contract makes every backend answer alike.
var badTexts = map[string]string{
	"NUL":           "a\x00b",
	"invalid UTF-8": "a\xffb",
	"lone NUL":      "\x00",
}

// testText checks the contract's text clause: writes holding NUL or invalid
// UTF-8 fail with EInvalid/ReasonBadText and write nothing; lookups by such
// keys are ENotFound; lists and counts filtered by them are empty.
func testText(t *testing.T, p *pair) {
	ctx := testCtx(t)
	kept := newCert(scopeH, certgate.KindServer)
	kept.Name = "kept"
	mustCreate(t, p.a, kept, 0)

	for what, bad := range badTexts {
		fields := map[string]func(c *certgate.Certificate){
			"name":        func(c *certgate.Certificate) { c.Name = bad },
			"description": func(c *certgate.Certificate) { c.Description = bad },
			"instance_id": func(c *certgate.Certificate) { c.InstanceID = bad },
			"tags":        func(c *certgate.Certificate) { c.Tags = map[string]string{"k": bad} },
			"tag key":     func(c *certgate.Certificate) { c.Tags = map[string]string{bad: "v"} },
			"sans":        func(c *certgate.Certificate) { c.SANs = []string{"ok.example.com", bad} },
			"pem":         func(c *certgate.Certificate) { c.CertificatePEM = bad },
			"trusted_ca":  func(c *certgate.Certificate) { c.TrustedRootCA = bad },
			"common_name": func(c *certgate.Certificate) { c.CommonName = bad },
		}
		for field, set := range fields {
			c := newCert(scopeH, certgate.KindServer)
			set(c)
			checkErr(t, p.a.CreateCertificate(ctx, c, 0), certgate.EInvalid, store.ReasonBadText, "create with "+what+" in "+field)
			for _, s := range p.both() {
				_, err := s.GetCertificate(ctx, scopeH, certgate.KindServer, c.ID)
				checkErr(t, err, certgate.ENotFound, "", "get after refused create ("+what+" in "+field+")")
			}
			u, err := p.b.GetCertificate(ctx, scopeH, certgate.KindServer, kept.ID)
			if err != nil {
				t.Fatal(err)
			}
			set(u)
			checkErr(t, p.b.UpdateCertificate(ctx, u), certgate.EInvalid, store.ReasonBadText, "update with "+what+" in "+field)
		}
		got, err := p.a.GetCertificate(ctx, scopeH, certgate.KindServer, kept.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkCert(t, got, kept) // every refused update wrote nothing

		for _, s := range p.both() {
			if _, err := s.GetCertificate(ctx, scopeH, certgate.KindServer, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("GetCertificate(id with %s): %v, want ENotFound", what, err)
			}
			if err := s.DeleteCertificate(ctx, scopeH, certgate.KindServer, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("DeleteCertificate(id with %s): %v, want ENotFound", what, err)
			}
			if _, err := s.GetCertificate(ctx, certgate.Scope{AccountID: bad}, certgate.KindServer, kept.ID); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("GetCertificate(account with %s): %v, want ENotFound", what, err)
			}
			if _, err := s.GetAccount(ctx, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("GetAccount(%s): %v, want ENotFound", what, err)
			}
			if _, err := s.GetAccountByProject(ctx, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("GetAccountByProject(%s): %v, want ENotFound", what, err)
			}
			if _, err := s.GetAccessKey(ctx, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("GetAccessKey(%s): %v, want ENotFound", what, err)
			}
			if _, err := s.GetToken(ctx, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("GetToken(%s): %v, want ENotFound", what, err)
			}
			if _, err := s.ListAccessKeys(ctx, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("ListAccessKeys(%s): %v, want ENotFound", what, err)
			}
			if _, err := s.ListTokens(ctx, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("ListTokens(%s): %v, want ENotFound", what, err)
			}
			if err := s.DeleteAccessKey(ctx, bad, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("DeleteAccessKey(%s): %v, want ENotFound", what, err)
			}
			if _, err := s.DeleteToken(ctx, bad); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("DeleteToken(%s): %v, want ENotFound", what, err)
			}
			if err := s.DeleteAccount(ctx, bad, true); certgate.ErrorCode(err) != certgate.ENotFound {
				t.Errorf("DeleteAccount(%s): %v, want ENotFound", what, err)
			}
			filters := map[string]func(q *store.ListQuery){
				"name":                func(q *store.ListQuery) { q.Name = bad },
				"common_name":         func(q *store.ListQuery) { q.CommonName = bad },
				"signature_algorithm": func(q *store.ListQuery) { q.SignatureAlgorithm = bad },
				"key_algorithm":       func(q *store.ListQuery) { q.KeyAlgorithm = bad },
				"instance_id":         func(q *store.ListQuery) { q.InstanceID = bad },
				"account":             func(q *store.ListQuery) { q.Scope.AccountID = bad },
				"cursor":              func(q *store.ListQuery) { q.After = &store.Cursor{CreatedAt: base, ID: bad} },
			}
			for name, f := range filters {
				q := store.ListQuery{Scope: scopeH, Kind: certgate.KindServer}
				f(&q)
				items, err := s.ListCertificates(ctx, q)
				if err != nil || len(items) != 0 {
					t.Errorf("ListCertificates(%s with %s): %d items, %v; want none and no error", name, what, len(items), err)
				}
				n, err := s.CountCertificates(ctx, q)
				if err != nil || n != 0 {
					t.Errorf("CountCertificates(%s with %s): %d, %v; want 0 and no error", name, what, n, err)
				}
			}
		}
		a := &certgate.Account{ID: "333333333333", ProjectID: "0123456789abcdef0123456789abcdef", Name: bad, CreatedAt: base}
		k := &certgate.AccessKey{ID: "CGAKTEXTTEXTTEXT0001", AccountID: a.ID, SecretSealed: []byte{1}, SealKeyID: "k1", CreatedAt: base}
		checkErr(t, p.a.CreateAccount(ctx, a, k, nil), certgate.EInvalid, store.ReasonBadText, "account name with "+what)
		if _, err := p.b.GetAccount(ctx, a.ID); certgate.ErrorCode(err) != certgate.ENotFound {
			t.Errorf("a refused account was written: %v", err)
		}
		checkErr(t, p.a.CreateAccessKey(ctx, &certgate.AccessKey{ID: "CGAK" + bad, AccountID: kept.Scope.AccountID, SecretSealed: []byte{1}, SealKeyID: "k1", CreatedAt: base}, 2),
			certgate.EInvalid, store.ReasonBadText, "access key id with "+what)
		tok := &certgate.Token{Hash: "h" + bad, AccessKeyID: "CGAKTEXTTEXTTEXT0001", AccountID: a.ID, CreatedAt: base, ExpiresAt: base}
		checkErr(t, p.a.CreateToken(ctx, tok), certgate.EInvalid, store.ReasonBadText, "token hash with "+what)
	}
}
