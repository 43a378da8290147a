package api

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestRateLimiter(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	l := NewRateLimiter(2, 3, clk.now)
	for i := 0; i < 3; i++ {
		if err := l.Allow("a"); err != nil {
			t.Fatalf("request %d within the burst: %v", i, err)
		}
	}
	err := l.Allow("a")
	e := certgate.AsError(err)
	if e == nil || e.Code != certgate.EThrottled || e.RetryAfter < time.Second {
		t.Fatalf("4th request: %v", err)
	}
	if err := l.Allow("b"); err != nil {
		t.Errorf("another account is limited by the first: %v", err)
	}
	// A refused request does not use up future capacity: after half a
	// second (one token at 2/s) exactly one request passes.
	clk.add(500 * time.Millisecond)
	if err := l.Allow("a"); err != nil {
		t.Errorf("after refill: %v", err)
	}
	if err := l.Allow("a"); err == nil {
		t.Error("a second request passed with one token refilled")
	}
	// Idle buckets are swept, so the map stays bounded.
	clk.add(10 * time.Minute)
	_ = l.Allow("c")
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	if n != 1 {
		t.Errorf("%d buckets after the sweep, want 1", n)
	}
	if err := NewRateLimiter(0, 0, nil).Allow("x"); err != nil {
		t.Errorf("disabled limiter refused: %v", err)
	}
	var nilLimiter *RateLimiter
	if err := nilLimiter.Allow("x"); err != nil {
		t.Errorf("nil limiter refused: %v", err)
	}
}

func TestReadBody(t *testing.T) {
	cases := []struct {
		body   string
		limit  int64
		reason string
	}{
		{`{"a":1}`, 100, ""},
		{"", 100, ""},
		{strings.Repeat("a", 101), 100, "too_large"},
		{"\xff\xfe", 100, "bad_utf8"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
		b, err := ReadBody(r, c.limit)
		if c.reason == "" {
			if err != nil || string(b) != c.body {
				t.Errorf("%q: %q %v", c.body, b, err)
			}
			continue
		}
		if e := certgate.AsError(err); e == nil || e.Code != certgate.EInvalid || e.Reason != c.reason {
			t.Errorf("%q: %v, want reason %s", c.body, err, c.reason)
		}
	}
	// A body without Content-Length that grows past the limit is cut off.
	r := httptest.NewRequest("POST", "/", io.MultiReader(bytes.NewReader(make([]byte, 60)), bytes.NewReader(make([]byte, 60))))
	r.ContentLength = -1
	if _, err := ReadBody(r, 100); certgate.AsError(err) == nil || certgate.AsError(err).Reason != "too_large" {
		t.Errorf("streamed body over the limit: %v", err)
	}
}

func TestQuery(t *testing.T) {
	r := httptest.NewRequest("GET", "/x?tagKeys=a+b&tagKeys=c%20d&bare&bad=%zz", nil)
	q := Query(r)
	if strings.Join(q["tagKeys"], "|") != "a+b|c d" || !q.Has("bare") || q.Has("bad") {
		t.Errorf("Query = %v", q)
	}
}
