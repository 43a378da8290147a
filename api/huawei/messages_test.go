package huawei

import (
	"net/http/httptest"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
)

// TestCoreSentences: the Huawei dialect writes its own error_msg from the
// core's reason and numbers, never from the core's neutral Message; reasons
// without a sentence of Huawei's keep the Message in APIG's frame.
func TestCoreSentences(t *testing.T) {
	const fallback = "the core's neutral fallback"
	const idParam = "Invalid parameter value,parameterName:id. Please refer to the support documentation. Invalid certificate identifier specified: "
	cases := []struct {
		err    *certgate.Error
		status int
		code   string
		msg    string
	}{
		{&certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonEmptyID, Field: "id", Message: fallback},
			400, "APIG.2012", idParam + "the identifier is empty"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonBadUTF8, Field: "id", Message: fallback},
			400, "APIG.2012", idParam + "the identifier is not valid UTF-8"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonBadID, Field: "id", Limit: 128, Message: fallback},
			400, "APIG.2012", idParam + "identifiers are at most 128 characters"},
		{&certgate.Error{Code: certgate.EConflict, Reason: certs.ReasonDuplicateName, Field: "name", Value: "cert_demo", Message: fallback},
			409, "APIG.3405", "The certificate name already exists: cert_demo"},
		{&certgate.Error{Code: certgate.ELimitExceeded, Reason: certs.ReasonServerQuota, Limit: 1000, Message: fallback},
			403, "APIG.3100", "Resource count over limit: The number of certificates has reached the limit of 1000 for this project"},
		// The shared body check's bad_utf8 has no field: it is not an id.
		{&certgate.Error{Code: certgate.EInvalid, Reason: "bad_utf8", Message: "The request body is not valid UTF-8"},
			400, "APIG.2000", "Parameter error: The request body is not valid UTF-8"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonBadValue, Field: "name", Message: "the name must be 4 to 50 characters"},
			400, "APIG.2012", "Invalid parameter value,parameterName:name. Please refer to the support documentation. the name must be 4 to 50 characters"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonMissing, Field: "private_key", Message: "private_key is required"},
			400, "APIG.2001", "The request parameters must be specified,parameterName:private_key. private_key is required"},
		{&certgate.Error{Code: certgate.EInvalid, Reason: "key_mismatch", Field: "private_key", Message: "the private key does not match"},
			400, "APIG.2101", "the private key does not match"},
		{&certgate.Error{Code: certgate.EConflict, Reason: "version", Message: "the certificate changed while it was updated"},
			409, "APIG.3405", "the certificate changed while it was updated"},
	}
	for _, c := range cases {
		status, code, msg := statusOf(httptest.NewRecorder(), c.err)
		if status != c.status || code != c.code || msg != c.msg {
			t.Errorf("%s/%s: %d %s %q\nwant %d %s %q", c.err.Field, c.err.Reason, status, code, msg, c.status, c.code, c.msg)
		}
	}
}
