package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/certgate/certgate"
)

// UnavailableLogEvery is how often, at most, RenderError logs an
// EUnavailable error of one Reason. An outage fails every request the same
// way; one line per request would flood the log (82,339 lines in 13 s were
// seen) and bury the line that says what broke.
const UnavailableLogEvery = 10 * time.Second

// logLimiter lets one line per key through every interval and counts the
// rest, so that the next line can say how many it stands for.
type logLimiter struct {
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	keys map[string]*limitState
}

type limitState struct {
	last       time.Time
	suppressed int
}

// maxLimiterKeys bounds the keys (Reasons, which come from code, so few).
const maxLimiterKeys = 64

func newLogLimiter(every time.Duration, now func() time.Time) *logLimiter {
	if now == nil {
		now = time.Now
	}
	return &logLimiter{every: every, now: now, keys: map[string]*limitState{}}
}

// allow reports whether a line for key may be written now, and how many
// were suppressed since the previous one.
func (l *logLimiter) allow(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	s, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= maxLimiterKeys {
			clear(l.keys)
		}
		l.keys[key] = &limitState{last: now}
		return true, 0
	}
	if now.Sub(s.last) < l.every {
		s.suppressed++
		return false, 0
	}
	n := s.suppressed
	s.last, s.suppressed = now, 0
	return true, n
}

type limiterKey struct{}

// logUnavailable logs an EUnavailable error, at most once per
// UnavailableLogEvery and Reason when the request came through Middleware.
func logUnavailable(ctx context.Context, logger *slog.Logger, e *certgate.Error, err error) {
	suppressed := 0
	if l, ok := ctx.Value(limiterKey{}).(*logLimiter); ok {
		var allowed bool
		if allowed, suppressed = l.allow(e.Reason); !allowed {
			return
		}
	}
	logger.LogAttrs(ctx, slog.LevelError, "service unavailable",
		slog.String("request_id", RequestID(ctx)), slog.String("reason", e.Reason),
		slog.String("error", err.Error()), slog.Int("suppressed", suppressed))
}
