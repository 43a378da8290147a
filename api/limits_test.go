package api

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
)

func TestBodyLimiterBusy(t *testing.T) {
	l := NewBodyLimiter(1, 1024, time.Second)
	l.wait = time.Millisecond
	w := httptest.NewRecorder()
	body, release, err := l.Read(w, httptest.NewRequest("POST", "/", strings.NewReader("{}")))
	if err != nil || string(body) != "{}" {
		t.Fatalf("first body: %q %v", body, err)
	}
	_, _, err = l.Read(w, httptest.NewRequest("POST", "/", strings.NewReader("{}")))
	if e := certgate.AsError(err); e == nil || e.Code != certgate.EThrottled || e.Reason != "busy" || e.RetryAfter <= 0 {
		t.Fatalf("second body while the only slot is held: %v; want EThrottled busy", err)
	}
	release()
	release() // a second call must not free a slot it does not hold
	if _, rel, err := l.Read(w, httptest.NewRequest("POST", "/", strings.NewReader("{}"))); err != nil {
		t.Fatalf("after release: %v", err)
	} else {
		rel()
	}
	// Bodiless requests take no slot.
	body, _, err = l.Read(w, httptest.NewRequest("GET", "/", nil))
	if err != nil || body != nil {
		t.Fatalf("no body: %q %v", body, err)
	}
}

func TestBodyLimiterTooLarge(t *testing.T) {
	l := NewBodyLimiter(1, 1024, time.Second)
	r := httptest.NewRequest("POST", "/", bytes.NewReader(make([]byte, 2048)))
	if _, _, err := l.Read(httptest.NewRecorder(), r); certgate.AsError(err) == nil || certgate.AsError(err).Reason != "too_large" {
		t.Fatalf("declared too large: %v", err)
	}
	r = httptest.NewRequest("POST", "/", io.MultiReader(bytes.NewReader(make([]byte, 2048))))
	r.ContentLength = -1
	if _, _, err := l.Read(httptest.NewRecorder(), r); certgate.AsError(err) == nil || certgate.AsError(err).Reason != "too_large" {
		t.Fatalf("chunked too large: %v", err)
	}
	// The slot was given back.
	if _, rel, err := l.Read(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader("{}"))); err != nil {
		t.Fatalf("after a refused body: %v", err)
	} else {
		rel()
	}
}

// TestBodyLimiterDeadline: a body that does not arrive within the limiter's
// timeout is refused, and the connection is not held for the server's whole
// read timeout.
func TestBodyLimiterDeadline(t *testing.T) {
	l := NewBodyLimiter(4, 1024, 200*time.Millisecond)
	got := make(chan error, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, err := l.Read(w, r)
		got <- err
		w.WriteHeader(400)
	}))
	srv.Config.ReadTimeout = time.Minute
	srv.Start()
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
	select {
	case err := <-got:
		if e := certgate.AsError(err); e == nil || e.Reason != "read_body" || !strings.Contains(e.Message, "did not arrive within") {
			t.Fatalf("slow body: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the body read did not end at the limiter's deadline")
	}
}

func TestConnLimiter(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitConnsPerClient(inner, 2).(*ConnLimiter)
	defer ln.Close()
	accepted := acceptAll(ln)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	closed := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.Read(make([]byte, 1))
		return err != nil && !isTimeoutErr(err)
	}
	c1, c2 := dial(), dial()
	s1, s2 := <-accepted, <-accepted
	// Both active: a third is closed at once.
	if c3 := dial(); !closed(c3) {
		t.Fatal("third connection over a limit of 2 was kept")
	}
	// One idle: a newcomer replaces it.
	ln.ConnState(s1, http.StateIdle)
	ln.ConnState(s2, http.StateActive)
	c4 := dial()
	s4 := <-accepted
	if !closed(c1) {
		t.Fatal("the idle connection was not closed for the newcomer")
	}
	// Closing frees a place.
	s2.Close()
	if !closed(c2) {
		t.Fatal("closed connection still open")
	}
	dial()
	<-accepted
	_ = s4
	_ = c4
}

// acceptAll accepts ln's connections until it is closed.
func acceptAll(ln net.Listener) <-chan net.Conn {
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	return accepted
}

func isTimeoutErr(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestHandleRecoversThroughRenderer(t *testing.T) {
	var rendered error
	render := func(w http.ResponseWriter, r *http.Request, err error) {
		rendered = err
		w.WriteHeader(599)
	}
	h := Middleware(slog.New(slog.DiscardHandler), Handle(slog.New(slog.DiscardHandler), render, func(w http.ResponseWriter, r *http.Request) error {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 599 || certgate.ErrorCode(rendered) != certgate.EInternal {
		t.Fatalf("panic: status %d, rendered %v; want the dialect's renderer with EInternal", rec.Code, rendered)
	}
	if strings.Contains(rec.Body.String(), "boom") {
		t.Fatal("the panic value reached the client")
	}
}

// TestConnLimiterEvictsLongestIdle: a connection that just turned idle may
// already be carrying its next request (the server reports it active only
// once the headers are in), so a newcomer replaces the connection idle
// longest, never a fresher one.
func TestConnLimiterEvictsLongestIdle(t *testing.T) {
	const max = 9
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitConnsPerClient(inner, max).(*ConnLimiter)
	defer ln.Close()
	clock := time.Now()
	ln.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	accepted := acceptAll(ln)
	type pair struct{ client, server net.Conn }
	dial := func() pair {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return pair{c, <-accepted}
	}
	closed := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.Read(make([]byte, 1))
		return err != nil && !isTimeoutErr(err)
	}
	active := dial()
	ln.ConnState(active.server, http.StateActive)
	var idle []pair // oldest first
	for range max - 1 {
		p := dial()
		ln.ConnState(p.server, http.StateIdle)
		idle = append(idle, p)
	}
	for round := range 5 {
		p := dial()
		if !closed(idle[0].client) {
			t.Fatalf("round %d: the connection idle longest was not the one evicted", round)
		}
		for i, q := range idle[1:] {
			if _, err := q.server.Write([]byte("x")); err != nil {
				t.Fatalf("round %d: connection %d, idle for less long, was evicted: %v", round, i+1, err)
			}
			if _, err := io.ReadFull(q.client, make([]byte, 1)); err != nil {
				t.Fatalf("round %d: connection %d, idle for less long, was evicted: %v", round, i+1, err)
			}
		}
		ln.ConnState(p.server, http.StateIdle)
		idle = append(idle[1:], p)
	}
}
