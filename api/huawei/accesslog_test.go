package huawei

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/certgate/certgate/api"
)

// TestAccessLogRecordsCode: a refused request's access-log line names APIG's
// error code (which is only in the body, so the access log cannot read it
// from the answer); the message stays out.
func TestAccessLogRecordsCode(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	srv := api.Middleware(logger, New(Config{Logger: logger}))
	r := httptest.NewRequest("GET", "/v2/0123456789abcdef0123456789abcdef/apigw/certificates", nil)
	r.Header.Set("Authorization", "SDK-HMAC-SHA256 nonsense")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, r)
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "msg=request ") {
			line = l
		}
	}
	t.Logf("%d %s; access line: %s", rec.Code, rec.Body, line)
	if rec.Code != 401 || !strings.Contains(line, " code=APIGW.0301") {
		t.Errorf("want 401 and code=APIGW.0301 in the access line")
	}
	if strings.Contains(line, "Incorrect IAM") {
		t.Errorf("the message reached the access line")
	}
}
