package api

import (
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/certgate/certgate"
)

// RateLimiter is a token bucket per account. It is local to one node: with
// several nodes, an account may make up to (nodes × rate) requests per second.
type RateLimiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewRateLimiter allows perSecond requests per second per account with the
// given burst. perSecond <= 0 disables limiting.
func NewRateLimiter(perSecond float64, burst int, now func() time.Time) *RateLimiter {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = int(math.Max(1, math.Ceil(perSecond)))
	}
	return &RateLimiter{rate: rate.Limit(perSecond), burst: burst, now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token for account, or returns an EThrottled error carrying
// how long to wait.
func (l *RateLimiter) Allow(account string) error {
	if l == nil || l.rate <= 0 {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	b, ok := l.buckets[account]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[account] = b
	}
	b.seen = now
	l.sweepLocked(now)
	r := b.lim.ReserveN(now, 1)
	l.mu.Unlock()

	delay := r.DelayFrom(now)
	if delay == 0 {
		return nil
	}
	r.CancelAt(now) // a refused request must not consume future capacity
	secs := int(math.Ceil(delay.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &certgate.Error{
		Code:       certgate.EThrottled,
		Message:    fmt.Sprintf("Too Many Requests: the account's limit is %g requests per second with a burst of %d", float64(l.rate), l.burst),
		RetryAfter: time.Duration(secs) * time.Second,
	}
}

// sweepLocked drops buckets idle long enough to be full again, so that the
// map does not grow without bound.
func (l *RateLimiter) sweepLocked(now time.Time) {
	if now.Sub(l.sweep) < time.Minute {
		return
	}
	l.sweep = now
	idle := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Minute
	for k, b := range l.buckets {
		if now.Sub(b.seen) > idle {
			delete(l.buckets, k)
		}
	}
}
