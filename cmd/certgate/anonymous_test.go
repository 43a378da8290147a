package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawRequest sends a request's head (with Content-Length: declared) on a
// fresh connection and none of its body, then reads the answer. A server
// that reads the body before it authenticates never answers: it waits for
// the body (on the old code, until its 60 s read timeout), so the read
// deadline here fails the test instead of hanging it.
func rawRequest(t *testing.T, addr, method, path string, declared int, hdr map[string]string) (string, *http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, path, addr, declared)
	for k, v := range hdr {
		fmt.Fprintf(&head, "%s: %s\r\n", k, v)
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(c, head.String()); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	first, err := br.Peek(12)
	if err != nil {
		t.Fatalf("%s %s with an unsent %d-byte body: no answer (%v): the server waits for the body of an unauthenticated request", method, path, declared, err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(first), resp, b
}

// TestAnonymousBodiesNotRead checks item 2 of issue 7: an unsigned request is
// refused from its headers alone, before the server reads (or asks for) its
// body, in each dialect's own terms, whatever the body would have been.
func TestAnonymousBodiesNotRead(t *testing.T) {
	s := startServer(t, nil)
	project := s.Bootstrap.Account.ProjectID
	hwPath := "/v2/" + project + "/apigw/certificates"
	const mib = 1 << 20

	checkAWS := func(what string, resp *http.Response, body []byte) {
		t.Helper()
		var m map[string]string
		_ = json.Unmarshal(body, &m)
		if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" || m["message"] != "Missing Authentication Token" {
			t.Errorf("AWS, %s: %d %s %s; want 403 MissingAuthenticationTokenException", what, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body)
		}
	}
	checkHuawei := func(what string, resp *http.Response, body []byte) {
		t.Helper()
		var m map[string]string
		_ = json.Unmarshal(body, &m)
		if resp.StatusCode != 401 || m["error_code"] != "APIG.1000" {
			t.Errorf("Huawei, %s: %d %s; want 401 APIG.1000", what, resp.StatusCode, body)
		}
	}

	// Expect: 100-continue: Go's server sends "100 Continue" as soon as a
	// handler reads the body, so its absence shows that nothing was read.
	for _, tc := range []struct {
		path  string
		check func(string, *http.Response, []byte)
	}{{"/clientcertificates", checkAWS}, {hwPath, checkHuawei}} {
		first, resp, body := rawRequest(t, s.Addr(), "POST", tc.path, mib, map[string]string{"Expect": "100-continue"})
		if strings.Contains(first, " 100") {
			t.Errorf("POST %s, anonymous, Expect: 100-continue: answered %q: the server asked for the body", tc.path, first)
		}
		tc.check("Expect: 100-continue, 1 MiB announced", resp, body)

		// Without Expect: the answer must come while the body is unsent.
		_, resp, body = rawRequest(t, s.Addr(), "POST", tc.path, mib, nil)
		tc.check("1 MiB announced, none sent", resp, body)
		if !resp.Close {
			t.Errorf("POST %s, anonymous with an unread body: no Connection: close (the body is never read)", tc.path)
		}

		// Over the body limit: still the authentication answer, never a
		// 413 that would reveal the limit.
		_, resp, body = rawRequest(t, s.Addr(), "POST", tc.path, 2*mib, nil)
		tc.check("2 MiB announced (over the limit)", resp, body)
	}

	// A small body that is not UTF-8, sent whole: the answer is still about
	// authentication, not about the body.
	for _, tc := range []struct {
		path  string
		check func(string, *http.Response, []byte)
	}{{"/clientcertificates", checkAWS}, {hwPath, checkHuawei}} {
		resp, err := http.Post(s.URL()+tc.path, "application/json", bytes.NewReader([]byte("{\"description\":\"\xff\xfe\"}")))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tc.check("invalid UTF-8 body", resp, b)

		// A client that sends a whole 1 MiB body unsigned gets the answer,
		// not a reset connection: the body is read and thrown away.
		resp, err = http.Post(s.URL()+tc.path, "application/json", bytes.NewReader(bytes.Repeat([]byte("a"), mib)))
		if err != nil {
			t.Fatalf("POST %s, anonymous 1 MiB body sent whole: %v", tc.path, err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		tc.check("1 MiB body sent whole", resp, b)
	}

	// A token of the wrong shape is refused from the header too.
	_, resp, body := rawRequest(t, s.Addr(), "POST", hwPath, mib, map[string]string{"X-Auth-Token": "garbage", "Expect": "100-continue"})
	var m map[string]string
	_ = json.Unmarshal(body, &m)
	if resp.StatusCode != 401 || m["error_code"] != "APIG.1002" {
		t.Errorf("Huawei, bad token with 1 MiB announced: %d %s; want 401 APIG.1002", resp.StatusCode, body)
	}
}

// TestSignedBodiesStillRead checks that the reordering keeps the body phase:
// a signed request with Expect: 100-continue gets its 100 and is served, and
// a signed body that is not UTF-8 is still refused with 400, once the
// signature holds.
func TestSignedBodiesStillRead(t *testing.T) {
	s := startServer(t, nil)
	acct := s.newAccount()
	resp, b := s.do(acct, "POST", "/clientcertificates", []byte(`{"description":"ok"}`), map[string]string{"Expect": "100-continue"})
	if resp.StatusCode != 201 {
		t.Errorf("signed POST with Expect: 100-continue: %d %s", resp.StatusCode, b)
	}
	resp, b = s.do(acct, "POST", "/clientcertificates", []byte("{\"description\":\"\xff\"}"), nil)
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Errortype") != "BadRequestException" {
		t.Errorf("signed POST with invalid UTF-8: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), b)
	}
}

// TestMaxConnsPerClient checks --max-conns-per-client: connections over the
// limit are closed before anything is read from them.
func TestMaxConnsPerClient(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxConnsPerClient = 2 })
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	over, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	_ = over.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := over.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("third connection from one client with a limit of 2: read %d bytes, %v; want it closed", n, err)
	}
	// The two within the limit still work.
	for i, c := range held {
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d within the limit: %v %v", i, resp, err)
		}
		resp.Body.Close()
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
