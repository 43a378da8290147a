package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/internal/sign"
	"github.com/certgate/certgate/pki"
)

func arnOf(region, id string) string {
	return "arn:aws:apigateway:" + region + "::/clientcertificates/" + id
}

func parsePEM(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	blk, rest := pem.Decode([]byte(s))
	if blk == nil || blk.Type != "CERTIFICATE" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("pemEncodedCertificate is not a single PEM certificate: %q", s)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return c
}

// apiCode returns the AWS error code of an SDK error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestAWSClientCertificateLifecycle(t *testing.T) {
	s := startServer(t, func(c *Config) { c.ClientKeyType = "rsa2048" })
	ctx := context.Background()
	api := s.client(s.Bootstrap, "us-east-1")

	gen, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{
		Description: aws.String("my cert"),
		Tags:        map[string]string{"env": "dev", "a b": "c/d"},
	})
	if err != nil {
		t.Fatalf("GenerateClientCertificate: %v", err)
	}
	id := aws.ToString(gen.ClientCertificateId)
	if len(id) != 10 || strings.ToLower(id) != id {
		t.Errorf("id %q: want 10 lowercase alphanumerics", id)
	}
	if aws.ToString(gen.Description) != "my cert" || gen.Tags["a b"] != "c/d" || gen.Tags["env"] != "dev" {
		t.Errorf("generate echoed description %q tags %v", aws.ToString(gen.Description), gen.Tags)
	}
	cert := parsePEM(t, aws.ToString(gen.PemEncodedCertificate))
	if got := cert.Subject.String(); got != "CN=ApiGateway,L=Seattle,C=US" {
		t.Errorf("subject %q", got)
	}
	if cert.Issuer.String() != cert.Subject.String() {
		t.Errorf("issuer %q != subject", cert.Issuer)
	}
	if cert.Version != 3 || cert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("version %d, signature %v", cert.Version, cert.SignatureAlgorithm)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Errorf("public key %T, want RSA 2048", cert.PublicKey)
	}
	// Self-signed: its own key verifies its signature. (CheckSignatureFrom
	// would refuse, rightly, because the certificate is not a CA.)
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if d := gen.ExpirationDate.Sub(*gen.CreatedDate); d != 365*24*time.Hour {
		t.Errorf("expirationDate - createdDate = %v, want 365 days", d)
	}
	if !gen.ExpirationDate.Equal(cert.NotAfter) {
		t.Errorf("expirationDate %v != NotAfter %v", gen.ExpirationDate, cert.NotAfter)
	}
	// The service holds the private key that matches the certificate.
	key, err := s.Certs.PrivateKey(ctx, certgate.Scope{AccountID: s.Bootstrap.Account.ID, Region: "us-east-1"}, certgate.KindClient, id)
	if err != nil {
		t.Fatalf("private key: %v", err)
	}
	if !pki.PublicKeysEqual(key.Public(), cert.PublicKey) {
		t.Error("stored private key does not match the certificate")
	}

	got, err := api.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: &id})
	if err != nil {
		t.Fatalf("GetClientCertificate: %v", err)
	}
	if aws.ToString(got.PemEncodedCertificate) != aws.ToString(gen.PemEncodedCertificate) || !got.CreatedDate.Equal(*gen.CreatedDate) {
		t.Error("get returned a different certificate")
	}

	upd, err := api.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{
		ClientCertificateId: &id,
		PatchOperations:     []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("renamed")}},
	})
	if err != nil {
		t.Fatalf("UpdateClientCertificate: %v", err)
	}
	if aws.ToString(upd.Description) != "renamed" {
		t.Errorf("update description %q", aws.ToString(upd.Description))
	}

	arn := arnOf("us-east-1", id)
	if _, err := api.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"team": "edge", "env": "prod"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := api.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"a b", "absent"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := api.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: &arn})
	if err != nil {
		t.Fatalf("GetTags: %v", err)
	}
	want := map[string]string{"env": "prod", "team": "edge"}
	if fmt.Sprint(tags.Tags) != fmt.Sprint(want) {
		t.Errorf("tags %v, want %v", tags.Tags, want)
	}

	list, err := api.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
	if err != nil {
		t.Fatalf("GetClientCertificates: %v", err)
	}
	if len(list.Items) != 1 || aws.ToString(list.Items[0].ClientCertificateId) != id || list.Position != nil {
		t.Errorf("list %+v position %v", list.Items, list.Position)
	}

	if _, err := api.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: &id}); err != nil {
		t.Fatalf("DeleteClientCertificate: %v", err)
	}
	_, err = api.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: &id})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("get after delete: %v, want *types.NotFoundException", err)
	}
	if _, err := api.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: &id}); !errors.As(err, &nf) {
		t.Errorf("second delete: %v, want NotFoundException", err)
	}
	assertNoSecrets(t, "server log", s.logs.String(), s.Bootstrap.SecretAccessKey)
}

func TestAWSPagination(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	api := s.client(s.Bootstrap, "us-east-1")
	ids := map[string]bool{}
	for i := 0; i < 8; i++ {
		out, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String(fmt.Sprint("c", i))})
		if err != nil {
			t.Fatal(err)
		}
		ids[*out.ClientCertificateId] = true
	}
	p := apigateway.NewGetClientCertificatesPaginator(api, &apigateway.GetClientCertificatesInput{Limit: aws.Int32(3)})
	seen := map[string]bool{}
	pages := 0
	var order []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range page.Items {
			if seen[*it.ClientCertificateId] {
				t.Errorf("%s listed twice", *it.ClientCertificateId)
			}
			seen[*it.ClientCertificateId] = true
			order = append(order, aws.ToString(it.Description))
		}
		if pages == 3 && page.Position != nil {
			t.Errorf("last page has position %q", *page.Position)
		}
	}
	if pages != 3 || len(seen) != 8 {
		t.Errorf("pages=%d seen=%d, want 3 and 8", pages, len(seen))
	}
	for i, d := range order {
		if d != fmt.Sprint("c", i) {
			t.Errorf("order %v: want creation order", order)
			break
		}
	}
	for id := range ids {
		if !seen[id] {
			t.Errorf("%s never listed", id)
		}
	}
	// A page boundary that falls exactly at the end omits position too.
	out, err := api.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Limit: aws.Int32(8)})
	if err != nil || len(out.Items) != 8 || out.Position != nil {
		t.Errorf("limit=8: %d items, position %v, err %v", len(out.Items), out.Position, err)
	}
}

func TestAWSValidationErrors(t *testing.T) {
	s := startServer(t, func(c *Config) { c.ClientCertificateQuota = 3 })
	ctx := context.Background()
	api := s.client(s.Bootstrap, "us-east-1")
	gen, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := gen.ClientCertificateId
	arn := aws.String(arnOf("us-east-1", *id))
	long := strings.Repeat("x", 1025)

	cases := []struct {
		name    string
		call    func() error
		code    string
		message string
	}{
		{"get unknown id", func() error {
			_, err := api.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String("nosuchcert")})
			return err
		}, "NotFoundException", "Invalid Client Certificate identifier specified"},
		{"get over-long id", func() error {
			_, err := api.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String(strings.Repeat("a", 200))})
			return err
		}, "BadRequestException", "Invalid Client Certificate identifier specified"},
		{"patch op add", func() error {
			_, err := api.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: id,
				PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/description"), Value: aws.String("x")}}})
			return err
		}, "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]"},
		{"patch bad path", func() error {
			_, err := api.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: id,
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/foo"), Value: aws.String("x")}}})
			return err
		}, "BadRequestException", "Invalid patch path  '/foo' specified for op 'replace'. Must be one of: [/description]"},
		{"patch long description", func() error {
			_, err := api.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: id,
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: &long}}})
			return err
		}, "BadRequestException", "Member must have length less than or equal to 1024"},
		{"generate long description", func() error {
			_, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: &long})
			return err
		}, "BadRequestException", "Member must have length less than or equal to 1024"},
		{"generate aws: tag", func() error {
			_, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Tags: map[string]string{"aws:x": "y"}})
			return err
		}, "BadRequestException", "the prefix 'aws:' is reserved"},
		{"tag value too long", func() error {
			_, err := api.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"k": strings.Repeat("v", 257)}})
			return err
		}, "BadRequestException", "at most 256 characters"},
		{"tag key bad characters", func() error {
			_, err := api.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"k{}": "v"}})
			return err
		}, "BadRequestException", "may contain only"},
		{"tag key too long", func() error {
			_, err := api.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: arn, Tags: map[string]string{strings.Repeat("k", 129): "v"}})
			return err
		}, "BadRequestException", "1 to 128 characters"},
		{"bad arn", func() error {
			_, err := api.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:nope")})
			return err
		}, "BadRequestException", "Invalid ARN specified in the request"},
		{"domain name arn", func() error {
			_, err := api.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/domainnames/abc")})
			return err
		}, "BadRequestException", "Invalid ARN specified in the request"},
		{"arn of another region", func() error {
			_, err := api.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(arnOf("eu-west-1", *id))})
			return err
		}, "NotFoundException", "Invalid Client Certificate identifier specified"},
		{"tag unknown certificate", func() error {
			_, err := api.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(arnOf("us-east-1", "zzzzzzzzzz")), Tags: map[string]string{"k": "v"}})
			return err
		}, "NotFoundException", "Invalid Client Certificate identifier specified"},
		{"limit 600", func() error {
			_, err := api.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Limit: aws.Int32(600)})
			return err
		}, "BadRequestException", "Member must have value between 1 and 500"},
		{"tampered position", func() error {
			_, err := api.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Position: aws.String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")})
			return err
		}, "BadRequestException", "Invalid position"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if apiCode(err) != tc.code {
				t.Fatalf("error %v: want code %s", err, tc.code)
			}
			var ae smithy.APIError
			errors.As(err, &ae)
			if !strings.Contains(ae.ErrorMessage(), tc.message) {
				t.Errorf("message %q does not contain %q", ae.ErrorMessage(), tc.message)
			}
		})
	}

	// A failed update changed nothing.
	got, err := api.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: id})
	if err != nil || got.Description != nil || len(got.Tags) != 0 {
		t.Errorf("after rejected writes: %+v, %v", got, err)
	}

	// The quota is 3 per account and region; a typed LimitExceededException
	// follows, with Retry-After.
	for i := 0; i < 2; i++ {
		if _, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
	var le *types.LimitExceededException
	if !errors.As(err, &le) {
		t.Fatalf("4th generate: %v, want LimitExceededException", err)
	}
	resp, _ := s.do(s.Bootstrap, "POST", "/clientcertificates", []byte(`{}`), nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("x-amzn-ErrorType") != "LimitExceededException" {
		t.Errorf("quota response %d %v", resp.StatusCode, resp.Header)
	}
	// Another region has its own quota.
	if _, err := s.client(s.Bootstrap, "eu-west-1").GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{}); err != nil {
		t.Errorf("generate in another region: %v", err)
	}
}

func TestAWSTenantIsolation(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	alice := s.client(s.Bootstrap, "us-east-1")
	bobAcct := s.newAccount()
	bob := s.client(bobAcct, "us-east-1")
	aliceWest := s.client(s.Bootstrap, "eu-west-1")

	gen, err := alice.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String("alice"), Tags: map[string]string{"owner": "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	id := gen.ClientCertificateId
	arn := aws.String(arnOf("us-east-1", *id))

	for name, c := range map[string]*apigateway.Client{"other account": bob, "other region": aliceWest} {
		t.Run(name, func(t *testing.T) {
			calls := map[string]error{}
			_, calls["get"] = c.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: id})
			_, calls["update"] = c.UpdateClientCertificate(ctx, &apigateway.UpdateClientCertificateInput{ClientCertificateId: id,
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("pwned")}}})
			_, calls["delete"] = c.DeleteClientCertificate(ctx, &apigateway.DeleteClientCertificateInput{ClientCertificateId: id})
			_, calls["tag"] = c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"owner": "bob"}})
			_, calls["untag"] = c.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"owner"}})
			_, calls["gettags"] = c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: arn})
			for op, err := range calls {
				var nf *types.NotFoundException
				if !errors.As(err, &nf) {
					t.Errorf("%s: %v, want NotFoundException", op, err)
				}
			}
			list, err := c.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
			if err != nil || len(list.Items) != 0 {
				t.Errorf("list sees %d items (%v)", len(list.Items), err)
			}
		})
	}
	// A position token issued to alice is refused for bob.
	for i := 0; i < 2; i++ {
		if _, err := alice.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := alice.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Limit: aws.Int32(1)})
	if err != nil || page.Position == nil {
		t.Fatalf("alice page: %v %v", page, err)
	}
	_, err = bob.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{Position: page.Position})
	if apiCode(err) != "BadRequestException" {
		t.Errorf("bob with alice's token: %v", err)
	}

	got, err := alice.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: id})
	if err != nil || aws.ToString(got.Description) != "alice" || got.Tags["owner"] != "alice" {
		t.Errorf("alice's certificate changed: %+v %v", got, err)
	}
}

func TestAWSAuthentication(t *testing.T) {
	s := startServer(t, nil)
	acct := s.Bootstrap
	wrong := *acct
	wrong.SecretAccessKey = "wrong-secret"
	unknown := *acct
	unknown.AccessKeyID = "CGAKAAAAAAAAAAAAAAAA"

	check := func(name string, resp *http.Response, body []byte, status int, code, msg string) {
		t.Helper()
		if resp.StatusCode != status || resp.Header.Get("x-amzn-ErrorType") != code {
			t.Errorf("%s: %d %q, want %d %s; body %s", name, resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), status, code, body)
		}
		var e struct{ Message string }
		if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Message, msg) {
			t.Errorf("%s: body %s, want message containing %q", name, body, msg)
		}
		if resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: no x-amzn-RequestId", name)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: content type %q", name, ct)
		}
	}

	resp, body := s.do(nil, "GET", "/clientcertificates", nil, nil)
	check("unsigned", resp, body, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")
	resp, body = s.do(nil, "GET", "/nowhere", nil, nil)
	check("unsigned unknown route", resp, body, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")
	resp, body = s.do(&unknown, "GET", "/clientcertificates", nil, nil)
	check("unknown key", resp, body, 403, "UnrecognizedClientException", "The security token included in the request is invalid")
	resp, body = s.do(&wrong, "GET", "/clientcertificates", nil, nil)
	check("wrong secret", resp, body, 403, "InvalidSignatureException", "does not match")

	// A signature made 20 minutes ago has expired.
	req, _ := http.NewRequest("GET", s.URL()+"/clientcertificates", nil)
	if err := signAt(req, acct.AccessKeyID, acct.SecretAccessKey, time.Now().Add(-20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	resp, body = send(t, req)
	check("expired", resp, body, 403, "InvalidSignatureException", "Signature expired")

	// A body changed after signing fails.
	req, _ = http.NewRequest("POST", s.URL()+"/clientcertificates", strings.NewReader(`{"description":"a"}`))
	if err := signBody(req, []byte(`{"description":"b"}`), acct); err != nil {
		t.Fatal(err)
	}
	resp, body = send(t, req)
	check("tampered body", resp, body, 403, "InvalidSignatureException", "does not match")

	// Through the SDK, a wrong secret is a typed API error too.
	_, err := s.client(&wrong, "us-east-1").GetClientCertificates(context.Background(), &apigateway.GetClientCertificatesInput{})
	if apiCode(err) != "InvalidSignatureException" {
		t.Errorf("SDK with wrong secret: %v", err)
	}

	// Health needs no signature.
	resp, body = s.do(nil, "GET", "/healthz", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ok") {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
	assertNoSecrets(t, "server log", s.logs.String(), acct.SecretAccessKey)
}

func TestAWSBadInput(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxBodyBytes = 4096 })
	acct := s.Bootstrap
	type tc struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		code, msg                string
	}
	cases := []tc{
		{"malformed json", "POST", "/clientcertificates", `{"description":`, nil, 400, "BadRequestException", "Could not parse request body"},
		{"json array", "POST", "/clientcertificates", `[]`, nil, 400, "BadRequestException", "must be a JSON object"},
		{"wrong type", "POST", "/clientcertificates", `{"description": 5}`, nil, 400, "BadRequestException", "field 'description' must be a string"},
		{"wrong tag type", "POST", "/clientcertificates", `{"tags": {"a": 1}}`, nil, 400, "BadRequestException", "must be a string"},
		{"trailing data", "POST", "/clientcertificates", `{} {}`, nil, 400, "BadRequestException", "unexpected data"},
		{"invalid utf-8", "POST", "/clientcertificates", "{\"description\": \"\xff\xfe\"}", nil, 400, "BadRequestException", "not valid UTF-8"},
		{"too large", "POST", "/clientcertificates", `{"description": "` + strings.Repeat("a", 5000) + `"}`, nil, 413, "BadRequestException", "too large"},
		{"patch not a list", "PATCH", "/clientcertificates/abc", `{"patchOperations": {}}`, nil, 400, "BadRequestException", "must be an array"},
		{"patch missing op", "PATCH", "/clientcertificates/abc", `{"patchOperations": [{"path": "/description"}]}`, nil, 400, "BadRequestException", "Invalid patch operation"},
		{"patch unknown op", "PATCH", "/clientcertificates/abc", `{"patchOperations": [{"op": "frob", "path": "/description"}]}`, nil, 400, "BadRequestException", "Member must satisfy enum value set"},
		{"limit not a number", "GET", "/clientcertificates?limit=abc", "", nil, 400, "BadRequestException", "Invalid value for parameter 'limit'"},
		{"limit zero", "GET", "/clientcertificates?limit=0", "", nil, 400, "BadRequestException", "Invalid value for parameter 'limit'"},
		{"limit negative", "GET", "/clientcertificates?limit=-1", "", nil, 400, "BadRequestException", "Invalid value for parameter 'limit'"},
		{"position garbage", "GET", "/clientcertificates?position=%25%25", "", nil, 400, "BadRequestException", "Invalid position"},
		{"empty id", "GET", "/clientcertificates/", "", nil, 400, "BadRequestException", "identifier is empty"},
		{"tag without tags", "PUT", "/tags/" + url.PathEscape(arnOf("us-east-1", "abc")), `{}`, nil, 400, "BadRequestException", "Value null at 'tags'"},
		{"untag without keys", "DELETE", "/tags/" + url.PathEscape(arnOf("us-east-1", "abc")), "", nil, 400, "BadRequestException", "Value null at 'tagKeys'"},
		{"empty arn", "GET", "/tags/", "", nil, 400, "BadRequestException", "Invalid ARN"},
		{"unknown route", "GET", "/domainnames", "", nil, 404, "UnknownOperationException", "Unknown operation"},
		{"wrong method", "PUT", "/clientcertificates", "", nil, 405, "MethodNotAllowedException", "allowed: GET, POST"},
		{"unclean path", "GET", "/clientcertificates/../tags", "", nil, 404, "UnknownOperationException", "Unknown operation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := s.do(acct, c.method, c.path, []byte(c.body), c.hdr)
			if resp.StatusCode != c.status || resp.Header.Get("x-amzn-ErrorType") != c.code {
				t.Fatalf("%d %s, want %d %s; body %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), c.status, c.code, body)
			}
			var e struct{ Message string }
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Message, c.msg) {
				t.Errorf("body %s, want message containing %q", body, c.msg)
			}
		})
	}
	// None of that created anything.
	resp, body := s.do(acct, "GET", "/clientcertificates", nil, nil)
	if resp.StatusCode != 200 || string(body) != `{"item":[]}` {
		t.Errorf("after bad input: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(s.logs.String(), "level=ERROR") {
		t.Errorf("bad input logged errors:\n%s", s.logs.String())
	}
}

func TestAWSWireFormat(t *testing.T) {
	s := startServer(t, nil)
	acct := s.Bootstrap
	// botocore sends {} even when empty; Go sends no body at all.
	resp, body := s.do(acct, "POST", "/clientcertificates", nil, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("generate with no body: %d %s", resp.StatusCode, body)
	}
	var plain map[string]any
	if err := json.Unmarshal(body, &plain); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"createdDate", "expirationDate"} {
		if _, ok := plain[k].(float64); !ok {
			t.Errorf("%s is %T, want a JSON number", k, plain[k])
		}
	}
	if _, ok := plain["_links"]; ok {
		t.Error("plain JSON has _links")
	}
	id := plain["clientCertificateId"].(string)

	// HAL on request.
	resp, body = s.do(acct, "GET", "/clientcertificates/"+id, nil, map[string]string{"Accept": "application/hal+json"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/hal+json" {
		t.Fatalf("HAL get: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var hal struct {
		Links       map[string]json.RawMessage `json:"_links"`
		CreatedDate string                     `json:"createdDate"`
	}
	if err := json.Unmarshal(body, &hal); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"curies", "self", "clientcertificate:update", "clientcertificate:delete"} {
		if _, ok := hal.Links[k]; !ok {
			t.Errorf("HAL _links lacks %s: %s", k, body)
		}
	}
	if _, err := time.Parse(time.RFC3339, hal.CreatedDate); err != nil {
		t.Errorf("HAL createdDate %q is not ISO-8601", hal.CreatedDate)
	}
	resp, body = s.do(acct, "GET", "/clientcertificates?limit=1", nil, map[string]string{"Accept": "application/hal+json"})
	var halList struct {
		Embedded struct {
			Item []map[string]any `json:"item"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal(body, &halList); err != nil || resp.StatusCode != 200 || len(halList.Embedded.Item) != 1 {
		t.Errorf("HAL list: %d %s", resp.StatusCode, body)
	}

	// Status codes of the writes.
	resp, _ = s.do(acct, "PUT", "/tags/"+url.PathEscape(arnOf("us-east-1", id)), []byte(`{"tags":{"k":"v"}}`), nil)
	if resp.StatusCode != 204 {
		t.Errorf("tag: %d", resp.StatusCode)
	}
	resp, _ = s.do(acct, "DELETE", "/tags/"+url.PathEscape(arnOf("us-east-1", id))+"?tagKeys=k&tagKeys=k%202", nil, nil)
	if resp.StatusCode != 204 {
		t.Errorf("untag: %d", resp.StatusCode)
	}
	resp, body = s.do(acct, "DELETE", "/clientcertificates/"+id, nil, nil)
	if resp.StatusCode != 202 || len(body) != 0 {
		t.Errorf("delete: %d %q", resp.StatusCode, body)
	}
}

func TestAWSRateLimit(t *testing.T) {
	s := startServer(t, func(c *Config) { c.RateLimit = 1; c.RateBurst = 3 })
	other := s.newAccount()
	var throttled *http.Response
	for i := 0; i < 10 && throttled == nil; i++ {
		resp, _ := s.do(s.Bootstrap, "GET", "/clientcertificates", nil, nil)
		if resp.StatusCode == 429 {
			throttled = resp
		}
	}
	if throttled == nil {
		t.Fatal("never throttled at 1 request/s with burst 3")
	}
	if throttled.Header.Get("x-amzn-ErrorType") != "TooManyRequestsException" || throttled.Header.Get("Retry-After") == "" {
		t.Errorf("throttle response: %v", throttled.Header)
	}
	// The limit is per account.
	if resp, body := s.do(other, "GET", "/clientcertificates", nil, nil); resp.StatusCode != 200 {
		t.Errorf("other account throttled: %d %s", resp.StatusCode, body)
	}
	// The SDK surfaces it as a typed error.
	_, err := s.client(s.Bootstrap, "us-east-1").GetClientCertificates(context.Background(), &apigateway.GetClientCertificatesInput{})
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) {
		t.Errorf("SDK: %v, want TooManyRequestsException", err)
	}
}

func TestAWSConcurrentTagging(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	api := s.client(s.Bootstrap, "us-east-1")
	gen, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.String(arnOf("us-east-1", *gen.ClientCertificateId))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := api.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: arn, Tags: map[string]string{fmt.Sprint("k", i): "v"}})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	tags, err := api.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: arn})
	if err != nil || len(tags.Tags) != 20 {
		t.Errorf("after 20 concurrent tag calls: %d tags (%v)", len(tags.Tags), err)
	}
}

func signAt(req *http.Request, ak, sk string, at time.Time) error {
	return sign.SigV4(sigv4.CanonicalRequest, req, nil, ak, sk, "us-east-1", "apigateway", at)
}

func signBody(req *http.Request, body []byte, acct *accounts.Created) error {
	return sign.SigV4(sigv4.CanonicalRequest, req, body, acct.AccessKeyID, acct.SecretAccessKey, "us-east-1", "apigateway", time.Now())
}

func send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}
