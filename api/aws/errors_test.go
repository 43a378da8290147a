package aws

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
)

// TestUnavailableIs503 checks that a dependency outage is API Gateway's
// modeled 503 with Retry-After, and that its cause stays out of the body.
func TestUnavailableIs503(t *testing.T) {
	for _, ra := range []time.Duration{0, 30 * time.Second} {
		w := httptest.NewRecorder()
		renderError(w, httptest.NewRequest("GET", "/clientcertificates", nil),
			&certgate.Error{Code: certgate.EUnavailable, Reason: "database", Message: "secret detail", RetryAfter: ra})
		want := "1"
		if ra > 0 {
			want = "30"
		}
		if w.Code != 503 || w.Header().Get("x-amzn-ErrorType") != "ServiceUnavailableException" ||
			w.Header().Get("Retry-After") != want || strings.Contains(w.Body.String(), "secret") {
			t.Errorf("RetryAfter %v: %d %q Retry-After %q body %s", ra, w.Code, w.Header().Get("x-amzn-ErrorType"),
				w.Header().Get("Retry-After"), w.Body)
		}
	}
}
