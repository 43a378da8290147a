// Package api is the HTTP plumbing shared by certgate's API dialects: request
// ids, bounded body reading, the access log, per-account rate limiting, and the
// adapter that lets handlers return errors which each dialect renders in its
// own wire format. It never imports a dialect; cmd/certgate mounts them.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/certgate/certgate"
)

// DefaultMaxBodyBytes caps request bodies: the largest legitimate request
// (an uploaded certificate chain with its key and CA bundle) is far smaller.
const DefaultMaxBodyBytes = 1 << 20

type ctxKey int

const (
	requestIDKey ctxKey = iota
	logNoteKey
)

// RequestID returns the request id stored in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// logNote is what a request's handlers tell the Middleware for its
// access-log line. It is filled in place: the line is written after the
// handlers return, by the Middleware that made the context.
type logNote struct {
	account string
	code    string // the dialect's error code
	reason  string // certgate.Error's Reason
}

func noteOf(ctx context.Context) *logNote {
	n, _ := ctx.Value(logNoteKey).(*logNote)
	if n == nil {
		return &logNote{} // not under Middleware: nothing to log
	}
	return n
}

// SetAccount records the authenticated account for the access log.
func SetAccount(ctx context.Context, accountID string) { noteOf(ctx).account = accountID }

// noteErrorCode records the dialect's code of the error answered.
func noteErrorCode(ctx context.Context, code string) { noteOf(ctx).code = code }

// NewRequestID returns a random request id in UUID form, as AWS's are.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// headerWritten reports whether a status was already sent on w, as far as
// the Middleware's recorder knows.
func headerWritten(w http.ResponseWriter) bool {
	for w != nil {
		if rec, ok := w.(*statusRecorder); ok {
			return rec.status != 0
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return false
		}
		w = u.Unwrap()
	}
	return false
}

// Recover, deferred by a dialect, answers a panic as an internal error in the
// dialect's own format (render), and logs it with the request id. When part
// of the answer was already sent it aborts the connection instead, so that
// the client cannot take a truncated answer for a whole one. The Middleware's
// own recovery stays as the last resort for code outside the dialects.
func Recover(logger *slog.Logger, render Renderer, w http.ResponseWriter, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
		slog.String("request_id", RequestID(r.Context())), slog.String("panic", fmt.Sprint(p)),
		slog.String("stack", string(debug.Stack())))
	if headerWritten(w) {
		panic(http.ErrAbortHandler)
	}
	render(w, r, &certgate.Error{Code: certgate.EInternal, Message: "Internal server error", Err: fmt.Errorf("panic: %v", p)})
}

// Middleware assigns a request id, recovers panics (answering 500 without
// details), and writes one access-log line per request. It never logs
// bodies, query strings, error messages or credentials: query strings carry
// position tokens, messages quote input, and headers carry signatures. An
// answered error is logged by its code and reason, which come from code.
//
// The dialects recover their own panics and answer them in their own
// format (Dialect); the Middleware's recovery is the last resort for code
// outside any dialect, so its answer is in none: a plain-text 500.
//
// It also bounds the ERROR lines of an outage: RenderError logs
// EUnavailable errors through a limiter kept here (see
// UnavailableLogEvery), and their access-log lines are WARN, not ERROR.
func Middleware(logger *slog.Logger, next http.Handler) http.Handler {
	return middleware(logger, newLogLimiter(UnavailableLogEvery, nil), next)
}

func middleware(logger *slog.Logger, lim *logLimiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := NewRequestID()
		note := &logNote{}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = context.WithValue(ctx, logNoteKey, note)
		ctx = context.WithValue(ctx, limiterKey{}, lim)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.LogAttrs(ctx, slog.LevelError, "panic serving request",
					slog.String("request_id", id), slog.String("panic", fmt.Sprint(p)))
				if rec.status == 0 {
					http.Error(rec, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}
			level := slog.LevelInfo
			switch {
			case rec.status == http.StatusServiceUnavailable:
				// An outage or a drain: RenderError has logged the cause
				// once for many requests.
				level = slog.LevelWarn
			case rec.status >= 500:
				level = slog.LevelError
			}
			attrs := []slog.Attr{
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.EscapedPath()),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.String("account", note.account),
				slog.String("remote", r.RemoteAddr),
				slog.Duration("duration", time.Since(start)),
			}
			if note.code != "" {
				attrs = append(attrs, slog.String("code", note.code))
			}
			if note.reason != "" {
				attrs = append(attrs, slog.String("reason", note.reason))
			}
			logger.LogAttrs(ctx, level, "request", attrs...)
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// ReadBody reads the whole request body, at most limit bytes. A larger body
// gives EInvalid with Reason "too_large"; a body that is not valid UTF-8
// gives EInvalid with Reason "bad_utf8" (every dialect here speaks JSON).
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	b, err := readLimited(r, limit)
	if err != nil {
		return nil, err
	}
	if err := CheckUTF8(b); err != nil {
		return nil, err
	}
	return b, nil
}

func tooLarge(limit int64) error {
	return &certgate.Error{Code: certgate.EInvalid, Reason: "too_large",
		Message: fmt.Sprintf("The request body is too large: the limit is %d bytes", limit)}
}

// Renderer writes an error in a dialect's wire format.
type Renderer func(w http.ResponseWriter, r *http.Request, err error)

// HandlerFunc is an HTTP handler that returns an error instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h: a returned error is logged when internal and rendered by
// render, and so is a panic. Internal details go to the log with the request
// id, never to the client.
func Handle(logger *slog.Logger, render Renderer, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer Recover(logger, render, w, r)
		if err := h(w, r); err != nil {
			RenderError(logger, render, w, r, err)
		}
	})
}

// RenderError logs err when it is internal (an EUnavailable one at a
// bounded rate), notes its Reason for the access log, and renders it.
func RenderError(logger *slog.Logger, render Renderer, w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; there is no one to answer.
		return
	}
	if e := certgate.AsError(err); e != nil {
		noteOf(r.Context()).reason = e.Reason
	}
	switch certgate.ErrorCode(err) {
	case certgate.EUnavailable:
		logUnavailable(r.Context(), logger, certgate.AsError(err), err)
	case certgate.EInternal:
		logger.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", RequestID(r.Context())), slog.String("error", err.Error()))
	}
	render(w, r, err)
}
