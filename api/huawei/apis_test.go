package huawei

import (
	"testing"

	"github.com/certgate/certgate"
)

var apiSeeds = []string{
	`{"name":"api_demo","type":1,"req_protocol":"BOTH","req_method":"ANY","req_uri":"/a/{x}","auth_type":"NONE","match_mode":"SWA","backend_type":"HTTP","group_id":"g1","backend_api":{"url_domain":"backend.example.com:8443","req_protocol":"HTTPS","req_method":"ANY","req_uri":"/b/{x}","timeout":5000,"enable_client_ssl":true,"retry_count":"-1"}}`,
	`{"name":"","type":0,"req_protocol":"","req_method":"","req_uri":"","auth_type":"","backend_type":"","group_id":""}` + "\n",
	`{"backend_type":"MOCK","mock_info":{"result_content":"x"},"req_params":[{"name":"x","type":"STRING","location":"PATH","required":1}],"backend_params":[{"origin":"SYSTEM","name":"a","location":"HEADER","value":"$context.requestId"}]}`,
	`{"backend_api":{"vpc_channel_status":1,"vpc_channel_info":{"vpc_channel_id":"v"},"retry_count":-1}}`,
	`{"type":"1"}`, `{"policy_https":[{}],"func_info":{}}`, `{"tags":["a",null]}`, `[]`, `{`, ``, `null`,
}

// FuzzDecodeAPIBody checks that any CreateApiV2/UpdateApiV2 body decodes
// and translates to the core's input, or fails with EInvalid, never
// anything else.
func FuzzDecodeAPIBody(f *testing.F) {
	for _, s := range apiSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodeAPICreate(body)
		if err != nil {
			if certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("non-EInvalid error %v", err)
			}
			return
		}
		in := b.input()
		if in.Backend != nil && b.BackendAPI == nil {
			t.Fatal("a backend out of nothing")
		}
	})
}

var publishSeeds = []string{
	`{"action":"online","env_id":"DEFAULT_ENVIRONMENT_RELEASE_ID","api_id":"a1"}`,
	`{"apis":["a","b"],"env_id":"e","group_id":"g","remark":"r"}`, `{"name":"DEV","remark":"生产环境"}`,
	`{"apis":"a"}`, `{"action":1}`, `{"name":null}`, `[]`, `{`, ``, `null`,
}

// FuzzDecodePublishBodies checks the environment, publish and batch
// bodies the same way.
func FuzzDecodePublishBodies(f *testing.F) {
	for _, s := range publishSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeAction(body); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("action: %v", err)
		}
		if _, err := decodeBatch(body); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("batch: %v", err)
		}
		if _, err := decodeEnvBody(body); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("env: %v", err)
		}
	})
}

// FuzzDecodeFeature checks CreateFeatureV2's body and the config string
// inside it: decoded, or EInvalid.
func FuzzDecodeFeature(f *testing.F) {
	for _, s := range []string{
		`{"name":"backend_client_certificate","enable":true,"config":"{\"enable\":\"on\",\"ca\":\"x\",\"content\":\"y\",\"key\":\"z\"}"}`,
		`{"name":"ratelimit","enable":false}`, `{"config":"not json"}`, `{"config":"[]"}`, `{"config":5}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, cfg, err := decodeFeature(body)
		if err != nil {
			if certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("non-EInvalid error %v", err)
			}
			return
		}
		if b == nil || cfg == nil {
			t.Fatal("nil without an error")
		}
	})
}
