package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
)

// TestUnavailableLogIsBounded: an outage failing every request writes one
// ERROR line per UnavailableLogEvery and Reason, which counts the ones it
// stands for, and access-log lines at WARN.
func TestUnavailableLogIsBounded(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	render := func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusServiceUnavailable) }
	down := &certgate.Error{Code: certgate.EUnavailable, Reason: "database", Message: "m",
		Err: errString("postgres: get access key: dial tcp 127.0.0.1:5432: connect: connection refused")}
	h := middleware(logger, newLogLimiter(UnavailableLogEvery, clk.now),
		Handle(logger, render, func(w http.ResponseWriter, r *http.Request) error { return down }))
	serve := func(n int) {
		for i := 0; i < n; i++ {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/clientcertificates", nil))
		}
	}
	serve(1000)
	clk.add(UnavailableLogEvery)
	serve(1)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var errs, warns []string
	for _, l := range lines {
		switch {
		case strings.Contains(l, "level=ERROR"):
			errs = append(errs, l)
		case strings.Contains(l, "level=WARN") && strings.Contains(l, "msg=request"):
			warns = append(warns, l)
		}
	}
	t.Logf("1001 requests during an outage: %d ERROR lines, %d WARN access lines; ERROR lines:\n%s", len(errs), len(warns), strings.Join(errs, "\n"))
	if len(errs) != 2 {
		t.Fatalf("%d ERROR lines, want 2 (one per %v)", len(errs), UnavailableLogEvery)
	}
	if !strings.Contains(errs[0], "suppressed=0") || !strings.Contains(errs[1], "suppressed=999") ||
		!strings.Contains(errs[1], "reason=database") || !strings.Contains(errs[1], "connection refused") {
		t.Errorf("ERROR lines lack the reason, cause or suppressed count")
	}
	if len(warns) != 1001 {
		t.Errorf("%d WARN access lines, want one per request", len(warns))
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

type errString string

func (e errString) Error() string { return string(e) }
