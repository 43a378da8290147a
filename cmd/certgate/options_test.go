package main

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
)

// "OPTIONS *" is not an unauthenticated way in: it gets the dialect's
// missing-authentication answer, not net/http's bare 200.
func TestOptionsStarNeedsAuthentication(t *testing.T) {
	s := startServer(t, nil)
	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("OPTIONS * HTTP/1.1\r\nHost: " + s.Addr() + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" {
		t.Fatalf("OPTIONS *: %d %q, want 403 MissingAuthenticationTokenException", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	}
}
