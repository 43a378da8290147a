package huawei

import (
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/api"
)

// TestPanicAnswersInHuaweiFormat: a panic while serving a Huawei request is
// answered with Huawei's error body, not AWS's. The panicking dependency is a
// missing accounts service, reached by a well-formed token.
func TestPanicAnswersInHuaweiFormat(t *testing.T) {
	h := New(Config{})
	token, _, err := accounts.NewToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.Middleware(slog.New(slog.DiscardHandler), h)
	r := httptest.NewRequest("GET", "/v2/0123456789abcdef0123456789abcdef/apigw/certificates", nil)
	r.Header.Set("X-Auth-Token", token)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, r)
	var body map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 500 || body["error_code"] != codeSystem || body["error_msg"] != "System error" || body["request_id"] == "" {
		t.Fatalf("panic: %d %s; want 500 with Huawei's APIG.9999 body", rec.Code, rec.Body)
	}
}
