package huawei

import (
	"testing"

	"github.com/certgate/certgate"
)

var groupSeeds = []string{
	`{"name":"api_group_001","remark":"API group 1"}`,
	`{"name":"api_group_001","remark":"API group 1"}` + "\n",
	`{"name":"分组","roma_app_id":"x","version":"V2"}`,
	`{"name":5}`, `{"remark":null}`, `{"sl_domain_access_enabled":false}`, `{"sl_domain_access_enabled":"x"}`, `[]`, `{`, ``, `null`, `{"name":"a","name":"b"}`,
}

// FuzzDecodeGroupBody checks that any group body decodes, or fails with
// EInvalid, never anything else.
func FuzzDecodeGroupBody(f *testing.F) {
	for _, s := range groupSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodeGroupBody(body)
		if err != nil {
			if certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("non-EInvalid error %v", err)
			}
			return
		}
		if b == nil {
			t.Fatal("nil body without an error")
		}
		if _, err := decodeSLDomainSetting(body); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("sl-domain setting: non-EInvalid error %v", err)
		}
	})
}

var domainSeeds = []string{
	`{"url_domain":"www.company.com"}`,
	`{"url_domain":"*.example.com","min_ssl_version":"TLSv1.2","is_http_redirect_to_https":true,"ingress_http_port":-1,"ingress_https_port":8443}`,
	`{"min_ssl_version":"","is_http_redirect_to_https":true,"verified_client_certificate_enabled":true}` + "\n",
	`{"ingress_http_port":1.5}`, `{"ingress_http_port":99999999999}`, `{"is_http_redirect_to_https":"yes"}`, `[]`, `{`, ``, `null`,
}

// FuzzDecodeDomainBodies checks that any AssociateDomainV2 or
// UpdateDomainV2 body decodes, or fails with EInvalid.
func FuzzDecodeDomainBodies(f *testing.F) {
	for _, s := range domainSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeDomainCreate(body); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("create: non-EInvalid error %v", err)
		}
		if _, err := decodeDomainModify(body); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("modify: non-EInvalid error %v", err)
		}
	})
}
