package huawei

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/auth/hwsign"
)

func TestStatusOf(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{&certgate.Error{Code: certgate.EInvalid, Reason: "key_mismatch", Field: "private_key"}, 400, "APIG.2101"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "expired", Field: "cert_content"}, 400, "APIG.2102"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "chain_order", Field: "cert_content"}, 400, "APIG.2104"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "encrypted_key", Field: "private_key"}, 400, "APIG.2105"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "unparsable", Field: "cert_content"}, 400, "APIG.2106"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "too_large", Field: "cert_content"}, 400, "APIG.2003"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "too_large"}, 413, "APIG.2000"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "missing", Field: "name"}, 400, "APIG.2001"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "bad_value", Field: "name"}, 400, "APIG.2012"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "bad_json"}, 400, "APIG.2000"},
		{&certgate.Error{Code: certgate.ENotFound}, 404, "APIG.3021"},
		{&certgate.Error{Code: certgate.EConflict, Reason: "duplicate_name"}, 409, "APIG.3405"},
		{&certgate.Error{Code: certgate.ELimitExceeded}, 403, "APIG.3100"},
		{&certgate.Error{Code: certgate.EThrottled, RetryAfter: 2 * time.Second}, 429, "APIGW.0308"},
		{&certgate.Error{Code: certgate.EUnauthenticated, Reason: "token_missing"}, 401, "APIG.1000"},
		{&certgate.Error{Code: certgate.EUnauthenticated, Reason: "token_expired"}, 401, "APIG.1001"},
		{&certgate.Error{Code: certgate.EUnauthenticated, Reason: "token_invalid"}, 401, "APIG.1002"},
		{&certgate.Error{Code: certgate.EForbidden}, 403, "APIG.1005"},
		{&certgate.Error{Code: certgate.EUnauthenticated, Err: &hwsign.Error{Status: 401, Code: "APIGW.0301", Message: "m"}}, 401, "APIGW.0301"},
		{&certgate.Error{Code: certgate.EInternal, Message: "secret detail"}, 500, "APIG.9999"},
		{errString("plain error"), 500, "APIG.9999"},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		status, code, msg := statusOf(w, c.err)
		if status != c.status || code != c.code {
			t.Errorf("%v: %d %s, want %d %s", c.err, status, code, c.status, c.code)
		}
		if status == 500 && msg != "System error" {
			t.Errorf("internal error leaks %q", msg)
		}
		if code == "APIGW.0308" && w.Header().Get("Retry-After") != "2" {
			t.Errorf("throttle without Retry-After")
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

var formSeeds = []string{
	`{"name":"cert_demo","cert_content":"x","private_key":"y"}` + "\n",
	`{"name":"a","type":"instance","instance_id":"f0fa1789-3b76-433b-a787-9892951c620e"}`,
	`{"name":"a","type":"global","instance_id":"common"}`,
	`{"cert_content_sign":"x"}`,
	`{"type":5}`, `[]`, `{`, ``, `null`,
}

// FuzzDecodeForm checks that any body decodes, or fails with EInvalid, and
// that placement never panics on what decodes.
func FuzzDecodeForm(f *testing.F) {
	for _, s := range formSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := decodeForm(body)
		if err != nil {
			if certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("non-EInvalid error %v", err)
			}
			return
		}
		for _, required := range []bool{true, false} {
			inst, err := placement(form, required)
			if err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("placement: %v", err)
			}
			if err == nil && required && inst == nil {
				t.Fatal("placement returned no instance for a create")
			}
			if err == nil && inst != nil && *inst == instanceGlobal {
				t.Fatal("placement kept the pseudo instance id \"common\"")
			}
		}
	})
}

func TestIntParam(t *testing.T) {
	for v, want := range map[string]int{"": 7, "0": 0, "-3": -3, "500": 500} {
		if got, err := intParam(v, "limit", 7); err != nil || got != want {
			t.Errorf("%q: %d %v", v, got, err)
		}
	}
	for _, v := range []string{"abc", "1.5", "99999999999999999999", " 1"} {
		if _, err := intParam(v, "limit", 7); certgate.ErrorCode(err) != certgate.EInvalid {
			t.Errorf("%q: %v", v, err)
		}
	}
}
