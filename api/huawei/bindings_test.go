package huawei

import (
	"testing"

	"github.com/certgate/certgate"
)

var bindingSeeds = []string{
	`{"certificate_ids":["c77f5e81d9cb4424bf704ef2b0ac7600"],"verified_client_certificate_enabled":false}` + "\n",
	`{"certificate_ids":[]}`, `{"certificate_ids":null}`, `{"certificate_ids":[5]}`, `{"certificate_ids":"x"}`,
	`{"domains":[null,null,{"domain":"*.example.com","instance_ids":["a","b"],"verified_client_certificate_enabled":true}]}`,
	`{"domains":[{"domain":null}]}`, `{"domains":[{}]}`, `{"domains":[1]}`, `{"domains":{}}`,
	`{"cert_content":"-----BEGIN CERTIFICATE-----","name":"n","private_key":"k"}`,
	`[]`, `{`, ``, `null`,
}

// FuzzDecodeBindingBodies checks that any body of the binding operations
// decodes, or fails with EInvalid; and that null entries of domains never
// reach the core.
func FuzzDecodeBindingBodies(f *testing.F) {
	for _, s := range bindingSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeCertsBody(body); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("certificates body: non-EInvalid error %v", err)
		}
		refs, err := decodeDomainsBody(body)
		if err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("domains body: non-EInvalid error %v", err)
		}
		for _, r := range refs {
			if r.Name == "" {
				t.Fatalf("an entry without its domain reached the core: %+v", r)
			}
		}
		if _, err := decodeInlineCertBody(body); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("inline certificate body: non-EInvalid error %v", err)
		}
	})
}

func TestDecodeDomainsBodySkipsNulls(t *testing.T) {
	refs, err := decodeDomainsBody([]byte(`{"domains":[null,null,{"domain":"a.example.com","instance_ids":["i"]},{"domain":"b.example.com"}]}`))
	if err != nil || len(refs) != 2 || refs[0].Name != "a.example.com" || len(refs[0].InstanceIDs) != 1 || refs[1].Name != "b.example.com" {
		t.Fatalf("decodeDomainsBody = %+v, %v; want the two real entries", refs, err)
	}
	if _, err := decodeDomainsBody([]byte(`{"domains":[{"instance_ids":["i"]}]}`)); certgate.ErrorCode(err) != certgate.EInvalid {
		t.Errorf("an entry without domain: %v; want EInvalid", err)
	}
}
