package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/certgate/certgate"
)

// logBuffer is a text logger whose output a test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// accessLine returns the one access-log line in log.
func accessLine(t *testing.T, log string) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "msg=request ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d access-log lines, want 1:\n%s", len(lines), log)
	}
	return lines[0]
}

// TestAccessLogRecordsReason: an answered error leaves its Reason in the
// access-log line, and never its message (which may quote the input).
func TestAccessLogRecordsReason(t *testing.T) {
	var out logBuffer
	render := func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadRequest) }
	h := Middleware(out.logger(), Handle(out.logger(), render, func(w http.ResponseWriter, r *http.Request) error {
		return &certgate.Error{Code: certgate.EInvalid, Reason: "bad_utf8", Message: "secret-input-quoted"}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/clientcertificates", nil))
	line := accessLine(t, out.String())
	t.Logf("access line: %s", line)
	if !strings.Contains(line, " reason=bad_utf8") {
		t.Errorf("the access line has no reason=bad_utf8")
	}
	if strings.Contains(out.String(), "secret-input-quoted") {
		t.Errorf("the error's message reached the log")
	}
}

// TestMiddlewareLastResortIsNeutral: a panic outside any dialect is answered
// as a plain 500, in no dialect's format (it was AWS's {"message":...} for
// every request, Huawei's included).
func TestMiddlewareLastResortIsNeutral(t *testing.T) {
	h := Middleware(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v2/p/apigw/certificates", nil))
	body := rec.Body.String()
	t.Logf("last resort: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), body)
	if rec.Code != http.StatusInternalServerError || strings.Contains(body, "message") || strings.Contains(body, "boom") ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("last resort: %d %q; want a plain-text 500 in no dialect's shape", rec.Code, body)
	}
}
