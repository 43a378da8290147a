// Package storetest is the conformance suite of store.Store. Every backend
// runs it unchanged from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (a, b store.Store) { ... })
//	}
//
// The suite checks the contract written on store.Store, including the parts
// that only show with two handles on one database (quota races, lost
// updates, racing PutMetaIfAbsent), because several processes or nodes
// share a database in production.
//
// Where the contract leaves a choice to the backend, the suite accepts
// either answer: empty Tags, SANs and KeySealed may come back nil or empty;
// times may come back more precise than a microsecond; the Reason of an
// account conflict is not checked; and a Version passed to a failing
// UpdateCertificate may or may not have been touched.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/certgate/certgate/store"
)

// Run exercises a Store implementation, which must also be a
// store.ServingView. open returns two independent handles on one fresh,
// empty database (like two nodes); the suite closes them, so open must not
// register their Close itself. Subtests use t.Run and must be runnable in
// any order, so each one calls open for a database of its own.
func Run(t *testing.T, open func(t *testing.T) (a, b store.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, p *pair)
	}{
		{"CreateGet", testCreateGet},
		{"CreateGetEmptyFields", testCreateGetEmptyFields},
		{"ReturnsCopies", testReturnsCopies},
		{"ScopeIsolation", testScopeIsolation},
		{"DuplicateID", testDuplicateID},
		{"DuplicateName", testDuplicateName},
		{"Quota", testQuota},
		{"QuotaPerScope", testQuotaPerScope},
		{"QuotaUnlimited", testQuotaUnlimited},
		{"QuotaFailedCreateUsesNoSlot", testQuotaFailedCreate},
		{"QuotaRace", testQuotaRace},
		{"Update", testUpdate},
		{"UpdateStaleVersion", testUpdateStaleVersion},
		{"UpdateNotFound", testUpdateNotFound},
		{"UpdateConcurrent", testUpdateConcurrent},
		{"List", testList},
		{"ListFilters", testListFilters},
		{"ListType", testListType},
		{"Text", testText},
		{"Delete", testDelete},
		{"Accounts", testAccounts},
		{"AccountConflicts", testAccountConflicts},
		{"AccountRace", testAccountRace},
		{"Meta", testMeta},
		{"MetaRace", testMetaRace},
		{"Tokens", testTokens},
		{"AccessKeys", testAccessKeys},
		{"AccessKeyRace", testAccessKeyRace},
		{"TokenRevocation", testTokenRevocation},
		{"AccountDelete", testAccountDelete},
		{"AccountDeleteRace", testAccountDeleteRace},
		{"AccountDeleteWithGroups", testAccountDeleteWithGroups},
		{"Sealed", testSealed},
		{"SwapMeta", testSwapMeta},
		{"Nodes", testNodes},
		{"ServingView", testServingView},
		{"ServingDomains", testServingDomains},
		{"ServingRoutes", testServingRoutes},
		{"Revision", testRevision},
		{"Instances", testInstances},
		{"Groups", testGroups},
		{"GroupNameRace", testGroupNameRace},
		{"GroupDeleteAccountRace", testGroupDeleteAccountRace},
		{"Domains", testDomains},
		{"DomainRace", testDomainRace},
		{"DomainDeleteGroupRace", testDomainDeleteGroupRace},
		{"Bindings", testBindings},
		{"BindDeleteRace", testBindDeleteRace},
		{"BindingTx", testBindingTx},
		{"BindingRace", testBindingRace},
		{"APIs", testAPIs},
		{"Environments", testEnvironments},
		{"Publish", testPublish},
		{"PublishRace", testPublishRace},
		{"GroupDeleteAPIRace", testGroupDeleteAPIRace},
		{"PublishDeleteEnvRace", testPublishDeleteEnvRace},
		{"PublishDeleteAPIRace", testPublishDeleteAPIRace},
		{"PublishDeleteAccountRace", testPublishDeleteAccountRace},
		{"DeleteGroupServingMovedAPI", testDeleteGroupServingMovedAPI},
		{"RestAPIs", testRestAPIs},
		{"Resources", testResources},
		{"ResourceRace", testResourceRace},
		{"Stages", testStages},
		{"StageRace", testStageRace},
		{"StageCertificateRace", testStageCertificateRace},
		{"DeleteAccountRestRace", testDeleteAccountRestRace},
		{"CommitCancelled", testCommitCancelled},
		{"GroupOneFails", testGroupOneFails},
		{"GroupCommitFails", testGroupCommitFails},
		{"GroupQuota", testGroupQuota},
		{"ContextCancelled", testContextCancelled},
		{"PingClose", testPingClose},
		{"FreshReads", testFreshReads},
		{"FreshReadsConcurrent", testFreshReadsConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, openPair(t, open))
		})
	}
}

// raceTimeout bounds the concurrent subtests, so that a deadlock fails the
// test with a message instead of hanging until the global test timeout.
const raceTimeout = 2 * time.Minute

// pair is the two handles of one subtest.
type pair struct {
	a, b    store.Store
	closedA bool
}

func openPair(t *testing.T, open func(t *testing.T) (a, b store.Store)) *pair {
	t.Helper()
	a, b := open(t)
	if a == nil || b == nil {
		t.Fatal("open returned a nil Store")
	}
	p := &pair{a: a, b: b}
	t.Cleanup(func() {
		if !p.closedA {
			if err := p.a.Close(); err != nil {
				t.Errorf("Close(a): %v", err)
			}
		}
		if err := p.b.Close(); err != nil {
			t.Errorf("Close(b): %v", err)
		}
	})
	return p
}

// both returns the handles, to check that a write made through one is seen
// through the other as well.
func (p *pair) both() []store.Store { return []store.Store{p.a, p.b} }

// testCtx is the context of a subtest, with an upper bound on its duration.
func testCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), raceTimeout)
	t.Cleanup(cancel)
	return c
}
