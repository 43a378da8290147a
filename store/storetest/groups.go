package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

func newGroup(in *certgate.Instance, name string, created time.Time) *certgate.APIGroup {
	return &certgate.APIGroup{ID: newInstance("", base).ID, AccountID: in.AccountID, InstanceID: in.ID,
		Name: name, Remark: "remark of " + name + " – ✓", SLDomainAccess: true, CreatedAt: created, UpdatedAt: created.Add(time.Second)}
}

// groupFixture makes two accounts, the first with two instances.
func groupFixture(t *testing.T, p *pair) (in1, in2, foreign *certgate.Instance) {
	t.Helper()
	ctx := testCtx(t)
	a1, k1 := newAccount()
	in1 = newInstance(a1.ID, base)
	if err := p.a.CreateAccount(ctx, a1, k1, in1); err != nil {
		t.Fatal(err)
	}
	in2 = newInstance(a1.ID, base.Add(time.Second))
	if err := p.a.CreateInstance(ctx, in2); err != nil {
		t.Fatal(err)
	}
	a2, k2 := newAccount()
	foreign = newInstance(a2.ID, base)
	if err := p.b.CreateAccount(ctx, a2, k2, foreign); err != nil {
		t.Fatal(err)
	}
	return in1, in2, foreign
}

// testGroups checks API groups: scoping by account and instance, unique
// names per instance, optimistic updates, deletes, and the revision.
func testGroups(t *testing.T, p *pair) {
	ctx := testCtx(t)
	in1, in2, foreign := groupFixture(t, p)
	r := newRevision(t, p)
	var moves int64

	g1 := newGroup(in1, "group_one", base)
	if err := p.a.CreateGroup(ctx, g1); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "CreateGroup")
	if g1.Version != 1 {
		t.Errorf("Version after CreateGroup = %d, want 1", g1.Version)
	}
	g2 := newGroup(in1, "group_two", base.Add(time.Second))
	if err := p.b.CreateGroup(ctx, g2); err != nil {
		t.Fatal(err)
	}
	// The same name in another instance is another group.
	same := newGroup(in2, "group_one", base)
	if err := p.a.CreateGroup(ctx, same); err != nil {
		t.Fatalf("the same name in another instance: %v", err)
	}
	moves += 2
	r.expect(moves, "two more CreateGroup")

	for i, s := range p.both() {
		got, err := s.GetGroup(ctx, in1.AccountID, in1.ID, g1.ID)
		if err != nil {
			t.Fatalf("handle %d: GetGroup: %v", i, err)
		}
		checkFields(t, "GetGroup", got, g1)
		list, err := s.ListGroups(ctx, in1.AccountID, in1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Fatalf("ListGroups: %d groups, want 2", len(list))
		}
		checkFields(t, "ListGroups[0]", list[0], g1)
		checkFields(t, "ListGroups[1]", list[1], g2)
	}

	// Scoping: the wrong instance or the wrong account is ENotFound,
	// exactly like a missing id.
	_, missing := p.a.GetGroup(ctx, in1.AccountID, in1.ID, newInstance("", base).ID)
	checkErr(t, missing, certgate.ENotFound, "", "GetGroup of a missing id")
	for what, get := range map[string]func() error{
		"another instance of the account": func() error { _, err := p.a.GetGroup(ctx, in1.AccountID, in2.ID, g1.ID); return err },
		"another account":                 func() error { _, err := p.b.GetGroup(ctx, foreign.AccountID, in1.ID, g1.ID); return err },
		"another account's instance":      func() error { _, err := p.b.GetGroup(ctx, in1.AccountID, foreign.ID, g1.ID); return err },
	} {
		err := get()
		checkErr(t, err, certgate.ENotFound, "", "GetGroup through "+what)
		if certgate.ErrorMessage(err) != certgate.ErrorMessage(missing) {
			t.Errorf("GetGroup through %s says %q, a missing group %q", what, certgate.ErrorMessage(err), certgate.ErrorMessage(missing))
		}
	}
	if list, err := p.b.ListGroups(ctx, foreign.AccountID, in1.ID); err != nil || len(list) != 0 {
		t.Errorf("ListGroups of another account's instance = %d groups, %v; want none", len(list), err)
	}

	// Refused writes.
	checkErr(t, p.a.CreateGroup(ctx, newGroup(in1, "group_one", base)), certgate.EConflict, "duplicate_name", "CreateGroup with a taken name")
	intruder := newGroup(foreign, "intruder", base)
	intruder.AccountID = in1.AccountID
	checkErr(t, p.a.CreateGroup(ctx, intruder), certgate.ENotFound, store.ReasonNoInstance, "CreateGroup in another account's instance")
	dupID := newGroup(in2, "other_name", base)
	dupID.ID = g1.ID
	checkErr(t, p.b.CreateGroup(ctx, dupID), certgate.EConflict, "duplicate_id", "CreateGroup with a taken id")
	rename := *g2
	rename.Name = "group_one"
	checkErr(t, p.a.UpdateGroup(ctx, &rename), certgate.EConflict, "duplicate_name", "UpdateGroup to a taken name")
	stale := *g1
	stale.Version = 7
	checkErr(t, p.a.UpdateGroup(ctx, &stale), certgate.EConflict, "version", "UpdateGroup of a stale version")
	moved := *g1
	moved.InstanceID = in2.ID
	checkErr(t, p.a.UpdateGroup(ctx, &moved), certgate.ENotFound, "", "UpdateGroup through another instance")
	checkErr(t, p.b.DeleteGroup(ctx, foreign.AccountID, in1.ID, g1.ID), certgate.ENotFound, "", "DeleteGroup by another account")
	bad := newGroup(in1, "nul\x00", base)
	checkErr(t, p.a.CreateGroup(ctx, bad), certgate.EInvalid, store.ReasonBadText, "CreateGroup with a NUL")
	r.expect(moves, "refused writes")

	upd := *g1
	upd.Name, upd.Remark, upd.SLDomainAccess, upd.UpdatedAt = "group_renamed", "", false, base.Add(time.Hour)
	if err := p.b.UpdateGroup(ctx, &upd); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "UpdateGroup")
	if upd.Version != 2 {
		t.Errorf("Version after UpdateGroup = %d, want 2", upd.Version)
	}
	got, err := p.a.GetGroup(ctx, in1.AccountID, in1.ID, g1.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "GetGroup after UpdateGroup", got, &upd)
	// The old name is free again.
	if err := p.a.CreateGroup(ctx, newGroup(in1, "group_one", base)); err != nil {
		t.Errorf("CreateGroup with a name freed by a rename: %v", err)
	}
	moves++
	if n, err := p.a.CountGroupAPIs(ctx, in1.AccountID, in1.ID, g1.ID); err != nil || n != 0 { // it holds none
		t.Errorf("CountGroupAPIs = %d, %v; want 0", n, err)
	}

	if err := p.a.DeleteGroup(ctx, in1.AccountID, in1.ID, g1.ID); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "DeleteGroup")
	_, err = p.b.GetGroup(ctx, in1.AccountID, in1.ID, g1.ID)
	checkErr(t, err, certgate.ENotFound, "", "GetGroup after DeleteGroup")
	checkErr(t, p.b.DeleteGroup(ctx, in1.AccountID, in1.ID, g1.ID), certgate.ENotFound, "", "DeleteGroup twice")
	r.expect(moves, "a refused DeleteGroup")

	// The account takes its groups with it.
	if err := p.b.DeleteAccount(ctx, in1.AccountID, true); err != nil {
		t.Fatal(err)
	}
	_, err = p.a.GetGroup(ctx, in1.AccountID, in1.ID, g2.ID)
	checkErr(t, err, certgate.ENotFound, "", "a group of a deleted account")
	checkErr(t, p.a.CreateGroup(ctx, newGroup(in1, "late", base)), certgate.ENotFound, store.ReasonNoInstance, "CreateGroup in a deleted account's instance")
}

// testGroupNameRace has two handles create groups of one name in one
// instance at once: exactly one wins.
func testGroupNameRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	in1, _, _ := groupFixture(t, p)
	const n = 8
	errs := make([]error, n)
	runConcurrently(n, func(i int) {
		errs[i] = p.both()[i%2].CreateGroup(ctx, newGroup(in1, "contested", base))
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		default:
			checkErr(t, err, certgate.EConflict, "duplicate_name", "racing CreateGroup")
		}
	}
	if won != 1 {
		t.Fatalf("%d racing CreateGroup calls of one name succeeded, want exactly 1", won)
	}
	list, err := p.a.ListGroups(ctx, in1.AccountID, in1.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListGroups after the race = %d groups, %v; want 1", len(list), err)
	}
}

// testGroupDeleteAccountRace creates groups on one handle while the other
// deletes their account: no group may outlive the account.
func testGroupDeleteAccountRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	for round := range 5 {
		a, k := newAccount()
		in := newInstance(a.ID, base)
		if err := p.a.CreateAccount(ctx, a, k, in); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		ids := make([]string, 16)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := newGroup(in, fmt.Sprintf("group_%d", i), base)
				err := p.b.CreateGroup(ctx, g)
				switch {
				case err == nil:
					ids[i] = g.ID
				case certgate.ErrorCode(err) == certgate.ENotFound:
				default:
					t.Errorf("round %d: CreateGroup: %v", round, err)
				}
			}()
		}
		if err := p.a.DeleteAccount(ctx, a.ID, true); err != nil {
			t.Fatalf("round %d: DeleteAccount: %v", round, err)
		}
		wg.Wait()
		if list, err := p.a.ListGroups(ctx, a.ID, in.ID); err != nil || len(list) != 0 {
			t.Fatalf("round %d: %d groups of the deleted account survive (%v)", round, len(list), err)
		}
	}
}

// testAccountDeleteWithGroups checks that API groups make an account not
// empty: DeleteAccount without force refuses, naming them, and with force
// takes them, their domains and their bindings.
func testAccountDeleteWithGroups(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, _ := domainFixture(t, p)
	d := newDomain(g, "gone.example.com", base)
	if err := p.a.CreateDomain(ctx, d, 0); err != nil {
		t.Fatal(err)
	}
	err := p.b.DeleteAccount(ctx, g.AccountID, false)
	checkErr(t, err, certgate.EConflict, "not_empty", "deleting an account that holds only API groups")
	if e := certgate.AsError(err); e != nil && !strings.Contains(e.Message, "API group") {
		t.Errorf("refusal %q does not name the API groups", e.Message)
	}
	if _, err := p.a.GetGroup(ctx, g.AccountID, g.InstanceID, g.ID); err != nil {
		t.Fatalf("the refused delete removed the group: %v", err)
	}
	if err := p.b.DeleteAccount(ctx, g.AccountID, true); err != nil {
		t.Fatal(err)
	}
	for i, s := range p.both() {
		if _, err := s.GetGroup(ctx, g.AccountID, g.InstanceID, g.ID); certgate.ErrorCode(err) != certgate.ENotFound {
			t.Errorf("handle %d: the group after a forced delete: %v", i, err)
		}
		if _, err := s.GetDomain(ctx, g.AccountID, g.InstanceID, g.ID, d.ID); certgate.ErrorCode(err) != certgate.ENotFound {
			t.Errorf("handle %d: the domain after a forced delete: %v", i, err)
		}
	}
}
