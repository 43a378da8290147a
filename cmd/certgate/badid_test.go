package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestIdentifierNotUTF8: an id that is not UTF-8 is refused for what it is,
// in each dialect's format, not with a message about its length.
func TestIdentifierNotUTF8(t *testing.T) {
	s := startServer(t, nil)
	acct := s.newAccount()
	for _, id := range []string{"%FF", "ab%C3", "%ED%A0%80"} { // a lone byte, a cut sequence, a surrogate
		resp, b := s.do(acct, "GET", "/clientcertificates/"+id, nil, nil)
		var m map[string]string
		_ = json.Unmarshal(b, &m)
		if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Errortype") != "BadRequestException" ||
			m["message"] != "Invalid Client Certificate identifier specified: the identifier is not valid UTF-8" {
			t.Errorf("AWS, id %s: %d %s %s", id, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), b)
		}
		resp, b = s.hwDo(acct, "GET", "/apigw/certificates/"+id, nil)
		m = nil
		_ = json.Unmarshal(b, &m)
		if resp.StatusCode != 400 || m["error_code"] != "APIG.2012" || !strings.Contains(m["error_msg"], "parameterName:id") ||
			!strings.Contains(m["error_msg"], "the identifier is not valid UTF-8") {
			t.Errorf("Huawei, id %s: %d %s", id, resp.StatusCode, b)
		}
	}
}
