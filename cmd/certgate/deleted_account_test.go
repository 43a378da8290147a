package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/sqlite"
)

// An account deleted by another process (the CLI, another node) while this
// node still caches its key: the requests that get through the cache cannot
// create anything, in either dialect, and are answered as for an unknown
// key. Before, they created certificates no command could reach or remove.
func TestCreateAfterAccountDeletedElsewhere(t *testing.T) {
	s := startServer(t, func(c *Config) { c.AccessKeyCacheTTL = time.Hour })
	ctx := context.Background()
	acct := s.newAccount()
	api := s.client(acct, "us-east-1")
	if _, err := api.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{}); err != nil {
		t.Fatal(err) // the key is now cached for an hour
	}
	if resp, b := s.hwDo(acct, "GET", "/apigw/certificates", nil); resp.StatusCode != 200 {
		t.Fatalf("huawei list: %d %s", resp.StatusCode, b)
	}

	other, err := sqlite.Open(ctx, strings.TrimPrefix(s.Config.Database, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.DeleteAccount(ctx, acct.Account.ID, true); err != nil {
		t.Fatal(err)
	}

	_, err = api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Errorf("generate after the account was deleted: %v, want UnrecognizedClientException", err)
	}
	ch := newChain(t, "p256")
	body, _ := json.Marshal(map[string]any{"name": "late_cert", "cert_content": ch.chainPEM(), "private_key": ch.leaf.keyPEM(t)})
	if resp, b := s.hwDo(acct, "POST", "/apigw/certificates", body); resp.StatusCode != 401 || !strings.Contains(string(b), "APIGW.0301") {
		t.Errorf("huawei create after the account was deleted: %d %s, want 401 APIGW.0301", resp.StatusCode, b)
	}
	for _, q := range []store.ListQuery{
		{Scope: certgate.Scope{AccountID: acct.Account.ID, Region: "us-east-1"}, Kind: certgate.KindClient},
		{Scope: certgate.Scope{AccountID: acct.Account.ID}, Kind: certgate.KindServer},
	} {
		if n, err := other.CountCertificates(ctx, q); err != nil || n != 0 {
			t.Errorf("%s %s: %d certificates of the deleted account (%v)", q.Scope, q.Kind, n, err)
		}
	}
}
