package aws

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/certgate/certgate/api"
)

// TestAccessLogRecordsCode: a refused request's access-log line names AWS's
// error code, so that the log tells one failure from another; the message
// stays out.
func TestAccessLogRecordsCode(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	srv := api.Middleware(logger, New(Config{Logger: logger}))
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/clientcertificates", nil)) // unsigned
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "msg=request ") {
			line = l
		}
	}
	t.Logf("%d %s; access line: %s", rec.Code, rec.Header().Get("x-amzn-ErrorType"), line)
	if rec.Code != 403 || !strings.Contains(line, " code=MissingAuthenticationTokenException") {
		t.Errorf("want 403 and code=MissingAuthenticationTokenException in the access line")
	}
	if strings.Contains(line, "Missing Authentication Token") {
		t.Errorf("the message reached the access line")
	}
}
