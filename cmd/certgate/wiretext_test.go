package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/certgate/certgate/accounts"
)

// wireCase is one request that the core refuses, and what a client of the
// dialect sees: the status, the error code and the exact message.
type wireCase struct {
	name, method, path, body string
	status                   int
	code, message            string
}

// TestAWSWireText pins, byte for byte, the messages the AWS dialect sends for
// every rule the core enforces on client certificates: the core now returns
// reasons and numbers, and api/aws writes these sentences from them.
func TestAWSWireText(t *testing.T) {
	s := startServer(t, func(c *Config) { c.ClientCertificateQuota = 2 })
	acct := s.newAccount()
	arn := "/tags/" + url.PathEscape(arnOf("us-east-1", "abc"))
	desc := func(d string) string { b, _ := json.Marshal(map[string]string{"description": d}); return string(b) }
	tags := func(m map[string]string) string { b, _ := json.Marshal(map[string]any{"tags": m}); return string(b) }
	many := map[string]string{}
	for i := range 51 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	long := strings.Repeat("k", 129)
	const bad = 400
	const br = "BadRequestException"
	cases := []wireCase{
		{"id too long", "GET", "/clientcertificates/" + strings.Repeat("a", 129), "", bad, br,
			"Invalid Client Certificate identifier specified: identifiers are at most 128 characters"},
		{"id not UTF-8", "GET", "/clientcertificates/%FF", "", bad, br,
			"Invalid Client Certificate identifier specified: the identifier is not valid UTF-8"},
		{"description too long", "POST", "/clientcertificates", desc(strings.Repeat("é", 1025)), bad, br,
			"1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024 (got 1025)"},
		{"description with NUL", "POST", "/clientcertificates", desc("a\x00b"), bad, br,
			"Invalid description: NUL characters are not allowed"},
		{"too many tags", "POST", "/clientcertificates", tags(many), bad, br,
			"Too many tags: a resource can have at most 50 tags (got 51)"},
		{"empty tag key", "POST", "/clientcertificates", tags(map[string]string{"": "v"}), bad, br,
			"Invalid tag key: tag keys must be 1 to 128 characters long"},
		{"tag key too long", "POST", "/clientcertificates", tags(map[string]string{long: "v"}), bad, br,
			"Invalid tag key '" + strings.Repeat("k", 64) + "...': tag keys must be 1 to 128 characters long"},
		{"reserved tag key", "POST", "/clientcertificates", tags(map[string]string{"AWS:x": "v"}), bad, br,
			"Invalid tag key 'AWS:x': the prefix 'aws:' is reserved"},
		{"tag key characters", "POST", "/clientcertificates", tags(map[string]string{"a!b": "v"}), bad, br,
			"Invalid tag key 'a!b': tag keys may contain only letters, digits, spaces and + - = . _ : / @"},
		{"tag value too long", "POST", "/clientcertificates", tags(map[string]string{"k": strings.Repeat("v", 257)}), bad, br,
			"Invalid tag value for key 'k': tag values must be at most 256 characters long"},
		{"tag value characters", "POST", "/clientcertificates", tags(map[string]string{"k": "a!"}), bad, br,
			"Invalid tag value for key 'k': tag values may contain only letters, digits, spaces and + - = . _ : / @"},
		{"tag on tag resource", "PUT", arn, tags(map[string]string{"aws:k": "v"}), bad, br,
			"Invalid tag key 'aws:k': the prefix 'aws:' is reserved"},
		{"limit over 500", "GET", "/clientcertificates?limit=600", "", bad, br,
			"1 validation error detected: Value '600' at 'limit' failed to satisfy constraint: Member must have value between 1 and 500"},
		{"bad position", "GET", "/clientcertificates?position=xyz", "", bad, br,
			"Invalid position: the token is malformed, or was not issued for this list"},
		{"untag without keys", "DELETE", arn, "", bad, br,
			"1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"},
		{"untag reserved key", "DELETE", arn + "?tagKeys=aws%3Ax", "", bad, br,
			"Invalid tag key 'aws:x': the prefix 'aws:' is reserved"},
		{"update description too long", "PATCH", "/clientcertificates/abc",
			`{"patchOperations":[{"op":"replace","path":"/description","value":"` + strings.Repeat("d", 1100) + `"}]}`, bad, br,
			"1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024 (got 1100)"},
	}
	for _, c := range cases {
		checkAWSWire(t, s, acct, c, "")
	}

	// Rules decided from a stored record: the merged tag count, the quota.
	var cert struct {
		ID string `json:"clientCertificateId"`
	}
	fifty := map[string]string{}
	for i := range 50 {
		fifty[fmt.Sprintf("k%d", i)] = "v"
	}
	resp, b := s.do(acct, "POST", "/clientcertificates", []byte(tags(fifty)), nil)
	if resp.StatusCode != 201 || json.Unmarshal(b, &cert) != nil {
		t.Fatalf("generate: %d %s", resp.StatusCode, b)
	}
	checkAWSWire(t, s, acct, wireCase{"merged tags over 50", "PUT", "/tags/" + url.PathEscape(arnOf("us-east-1", cert.ID)),
		tags(map[string]string{"new": "v"}), bad, br, "Too many tags: a resource can have at most 50 tags (got 51)"}, "")
	if resp, b := s.do(acct, "POST", "/clientcertificates", []byte(`{}`), nil); resp.StatusCode != 201 {
		t.Fatalf("generate: %d %s", resp.StatusCode, b)
	}
	checkAWSWire(t, s, acct, wireCase{"quota", "POST", "/clientcertificates", `{}`, 429, "LimitExceededException",
		"The maximum number of client certificates (2) for this account in this region has been reached. Delete unused client certificates or raise the quota."}, "60")
}

func checkAWSWire(t *testing.T, s *testServer, acct *accounts.Created, c wireCase, retryAfter string) {
	t.Helper()
	resp, b := s.do(acct, c.method, c.path, []byte(c.body), nil)
	var m map[string]string
	_ = json.Unmarshal(b, &m)
	if resp.StatusCode != c.status || resp.Header.Get("X-Amzn-Errortype") != c.code || m["message"] != c.message ||
		resp.Header.Get("Retry-After") != retryAfter {
		t.Errorf("%s: %d %s Retry-After %q %s\nwant %d %s %q", c.name, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"),
			resp.Header.Get("Retry-After"), b, c.status, c.code, c.message)
	}
}

// TestHuaweiWireText pins, byte for byte, the error_code and error_msg the
// Huawei dialect sends for the rules the core enforces on uploaded
// certificates; api/huawei writes them from the core's reasons and numbers.
func TestHuaweiWireText(t *testing.T) {
	s := startServer(t, func(c *Config) { c.ServerCertificateQuota = 3 })
	acct := s.newAccount()
	good := newChain(t, "p256")
	upload := func(fields map[string]string) string {
		m := map[string]string{"cert_content": good.chainPEM(), "private_key": good.leaf.keyPEM(t)}
		for k, v := range fields {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	const path = "/apigw/certificates"
	cases := []wireCase{
		{"id too long", "GET", path + "/" + strings.Repeat("a", 129), "", 400, "APIG.2012",
			"Invalid parameter value,parameterName:id. Please refer to the support documentation. Invalid certificate identifier specified: identifiers are at most 128 characters"},
		{"id not UTF-8", "GET", path + "/%FF", "", 400, "APIG.2012",
			"Invalid parameter value,parameterName:id. Please refer to the support documentation. Invalid certificate identifier specified: the identifier is not valid UTF-8"},
		{"bad name", "POST", path, upload(map[string]string{"name": "ab"}), 400, "APIG.2012", "Invalid parameter value,parameterName:name. Please refer to the support documentation. the name must be 4 to 50 characters, start with a letter, and contain only letters, digits and underscores"},
		{"bad instance id", "POST", path, upload(map[string]string{"name": "inst_cert", "type": "instance", "instance_id": "bad id!"}), 400, "APIG.2012", "Invalid parameter value,parameterName:instance_id. Please refer to the support documentation. the instance id must be 1 to 64 letters, digits or hyphens"},
		{"algorithm mismatch", "POST", path, upload(map[string]string{"name": "alg_cert", "algorithm_type": "RSA"}), 400, "APIG.2012", "Invalid parameter value,parameterName:algorithm_type. Please refer to the support documentation. algorithm_type is RSA, but the certificate's key is ECC"},
		{"algorithm SM2", "POST", path, upload(map[string]string{"name": "alg_cert", "algorithm_type": "SM2"}), 400, "APIG.2106", "SM2 certificates are not supported; upload an RSA or ECC certificate"},
		{"algorithm unknown", "POST", path, upload(map[string]string{"name": "alg_cert", "algorithm_type": "DSA"}), 400, "APIG.2012", "Invalid parameter value,parameterName:algorithm_type. Please refer to the support documentation. algorithm_type must be RSA, ECC or SM2"},
		{"no certificate", "POST", path, upload(map[string]string{"name": "no_cert", "cert_content": ""}), 400, "APIG.2001", "The request parameters must be specified,parameterName:cert_content. cert_content is required"},
		{"no key", "POST", path, upload(map[string]string{"name": "no_key", "private_key": ""}), 400, "APIG.2001", "The request parameters must be specified,parameterName:private_key. private_key is required"},
	}
	for _, c := range cases {
		checkHuaweiWire(t, s, acct, c)
	}
	var first, second struct {
		ID string `json:"id"`
	}
	for name, into := range map[string]any{"first_cert": &first, "second_cert": &second} {
		resp, b := s.hwDo(acct, "POST", path, []byte(upload(map[string]string{"name": name})))
		if resp.StatusCode != 200 || json.Unmarshal(b, into) != nil {
			t.Fatalf("create %s: %d %s", name, resp.StatusCode, b)
		}
	}
	checkHuaweiWire(t, s, acct, wireCase{"duplicate name", "POST", path, upload(map[string]string{"name": "first_cert"}), 409, "APIG.3405", "The certificate name already exists: first_cert"})
	checkHuaweiWire(t, s, acct, wireCase{"rename to a taken name", "PUT", path + "/" + second.ID, upload(map[string]string{"name": "first_cert"}), 409, "APIG.3405", "The certificate name already exists: first_cert"})
	if resp, b := s.hwDo(acct, "POST", path, []byte(upload(map[string]string{"name": "third_cert"}))); resp.StatusCode != 200 {
		t.Fatalf("create third_cert: %d %s", resp.StatusCode, b)
	}
	checkHuaweiWire(t, s, acct, wireCase{"quota", "POST", path, upload(map[string]string{"name": "fourth_cert"}), 403, "APIG.3100", "Resource count over limit: The number of certificates has reached the limit of 3 for this project"})
}

func checkHuaweiWire(t *testing.T, s *testServer, acct *accounts.Created, c wireCase) {
	t.Helper()
	resp, b := s.hwDo(acct, c.method, c.path, []byte(c.body))
	var m map[string]string
	_ = json.Unmarshal(b, &m)
	if resp.StatusCode != c.status || m["error_code"] != c.code || m["error_msg"] != c.message {
		t.Errorf("%s: %d %s\nwant %d %s %q", c.name, resp.StatusCode, b, c.status, c.code, c.message)
	}
}
