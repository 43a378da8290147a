package huawei

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/certgate/certgate"
)

// TestUnavailableIs503 checks that a dependency outage is 503 with
// Retry-After, not a 500, and that its cause stays out of the body.
func TestUnavailableIs503(t *testing.T) {
	w := httptest.NewRecorder()
	err := &certgate.Error{Code: certgate.EUnavailable, Reason: "database", Message: "secret detail", RetryAfter: 2 * time.Second}
	status, code, msg := statusOf(w, err)
	if status != 503 || code != "APIG.9999" || msg != "Service unavailable; retry later" {
		t.Errorf("got %d %s %q, want 503 APIG.9999 \"Service unavailable; retry later\"", status, code, msg)
	}
	if got := w.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2", got)
	}
}
