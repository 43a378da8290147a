package storetest

import (
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

func newInstance(accountID string, created time.Time) *certgate.Instance {
	return &certgate.Instance{ID: newID("")[:20] + newID("")[:12], AccountID: accountID,
		Name: "gw-" + newID("")[:6] + " ✓", CreatedAt: created}
}

func checkInstances(t *testing.T, what string, got []*certgate.Instance, want ...*certgate.Instance) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d instances, want %d", what, len(got), len(want))
	}
	for i := range want {
		checkFields(t, what, got[i], want[i])
	}
}

// testInstances checks instances: created with the account atomically or
// alone, scoped by account, gone with the account, and each creation moving
// the configuration revision once.
func testInstances(t *testing.T, p *pair) {
	ctx := testCtx(t)
	r := newRevision(t, p)

	a1, k1 := newAccount()
	first := newInstance(a1.ID, base)
	if err := p.a.CreateAccount(ctx, a1, k1, first); err != nil {
		t.Fatal(err)
	}
	r.expect(1, "CreateAccount with an instance")
	second := newInstance(a1.ID, base.Add(time.Second))
	if err := p.b.CreateInstance(ctx, second); err != nil {
		t.Fatal(err)
	}
	r.expect(2, "CreateInstance")

	a2, k2 := newAccount()
	other := newInstance(a2.ID, base)
	if err := p.b.CreateAccount(ctx, a2, k2, other); err != nil {
		t.Fatal(err)
	}
	r.expect(3, "CreateAccount of a second tenant")

	for i, s := range p.both() {
		got, err := s.GetInstance(ctx, a1.ID, first.ID)
		if err != nil {
			t.Fatalf("handle %d: GetInstance: %v", i, err)
		}
		checkFields(t, "GetInstance", got, first)
		list, err := s.ListInstances(ctx, a1.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkInstances(t, "ListInstances", list, first, second)
	}

	// Another tenant's instance answers exactly like a missing one.
	_, missing := p.a.GetInstance(ctx, a1.ID, newInstance(a1.ID, base).ID)
	checkErr(t, missing, certgate.ENotFound, "", "GetInstance of a missing id")
	_, foreign := p.a.GetInstance(ctx, a1.ID, other.ID)
	checkErr(t, foreign, certgate.ENotFound, "", "GetInstance of another tenant's id")
	if certgate.ErrorMessage(missing) != certgate.ErrorMessage(foreign) {
		t.Errorf("another tenant's instance says %q, a missing one %q", certgate.ErrorMessage(foreign), certgate.ErrorMessage(missing))
	}
	if list, err := p.a.ListInstances(ctx, "999999999999"); err != nil || len(list) != 0 {
		t.Errorf("ListInstances of an unknown account = %v, %v; want none", list, err)
	}

	// Refused writes write nothing and leave the revision alone.
	dup := newInstance(a1.ID, base)
	dup.ID = other.ID
	checkErr(t, p.a.CreateInstance(ctx, dup), certgate.EConflict, "duplicate_id", "CreateInstance with another tenant's id")
	a3, k3 := newAccount()
	taken := newInstance(a3.ID, base)
	taken.ID = first.ID
	checkErr(t, p.b.CreateAccount(ctx, a3, k3, taken), certgate.EConflict, "", "CreateAccount with a taken instance id")
	_, err := p.a.GetAccount(ctx, a3.ID)
	checkErr(t, err, certgate.ENotFound, "", "the account of a refused CreateAccount")
	bad := newInstance(a1.ID, base)
	bad.Name = "nul\x00"
	checkErr(t, p.a.CreateInstance(ctx, bad), certgate.EInvalid, store.ReasonBadText, "CreateInstance with a NUL in the name")
	r.expect(3, "refused writes")

	// The instances go with the account, and none can be added afterwards.
	if err := p.a.DeleteAccount(ctx, a1.ID, false); err != nil {
		t.Fatal(err)
	}
	r.expect(4, "DeleteAccount")
	_, err = p.b.GetInstance(ctx, a1.ID, first.ID)
	checkErr(t, err, certgate.ENotFound, "", "an instance of a deleted account")
	checkErr(t, p.b.CreateInstance(ctx, newInstance(a1.ID, base)), certgate.ENotFound, store.ReasonDeletedAccount,
		"CreateInstance for a deleted account")
	if got, err := p.a.GetInstance(ctx, a2.ID, other.ID); err != nil {
		t.Errorf("the other tenant's instance after the delete: %v", err)
	} else {
		checkFields(t, "the other tenant's instance", got, other)
	}
}
