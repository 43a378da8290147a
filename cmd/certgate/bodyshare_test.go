package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/auth/hwsign"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/internal/sign"
)

// forgedHead is the head of a POST signed for accessKeyID with a wrong
// secret, announcing a body of n bytes: what a caller who knows a key id,
// not its secret, can send. huawei selects the dialect; declared adds the
// X-Amz-Content-Sha256 that aws-sdk-go-v2 sends.
func forgedHead(t *testing.T, addr, path, accessKeyID string, n int, huawei bool, hdr map[string]string) string {
	t.Helper()
	body := bytes.Repeat([]byte("a"), n)
	r, err := http.NewRequest("POST", "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	if huawei {
		err = sign.Huawei(hwsign.CanonicalRequest, r, body, accessKeyID, "not-the-secret", nil, time.Now())
	} else {
		err = sign.SigV4(sigv4.CanonicalRequest, r, body, accessKeyID, "not-the-secret", "us-east-1", "apigateway", time.Now())
	}
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", path, addr, n)
	_ = r.Header.Write(&b)
	b.WriteString("\r\n")
	return b.String()
}

// TestForgedDeclaredHashNotRead: a SigV4 request that declares its body's
// hash (X-Amz-Content-Sha256) is refused from its headers when the
// signature is wrong: the server never asks for, or waits for, its body.
func TestForgedDeclaredHashNotRead(t *testing.T) {
	s := startServer(t, nil)
	acct := s.newAccount()
	sum := sha256.Sum256(bytes.Repeat([]byte("a"), 1000))
	head := forgedHead(t, s.Addr(), "/clientcertificates", acct.AccessKeyID, 1000, false,
		map[string]string{"X-Amz-Content-Sha256": hex.EncodeToString(sum[:]), "Expect": "100-continue"})
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("forged signature with a declared hash, body unsent: no answer (%v)", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-Errortype") != "InvalidSignatureException" {
		t.Errorf("forged signature with a declared hash, Expect: 100-continue: %d %s %s; want 403 InvalidSignatureException before the body",
			resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), b)
	}
}

// TestStalledForgedBodiesDoNotBlockOthers reproduces the attack of a caller
// who knows one tenant's access key id, not its secret: more requests than
// there are body slots, in both dialects, signed with a wrong secret, each
// sending one byte of its body and stalling. Another tenant's signed POST,
// from another address, is still served, at once.
func TestStalledForgedBodiesDoNotBlockOthers(t *testing.T) {
	s := startServer(t, nil)
	attacked, victim := s.newAccount(), s.newAccount()
	hwPath := "/v2/" + attacked.Account.ProjectID + "/apigw/certificates"
	const n = 70 // > the 64 body slots
	answers := make(chan int, n)
	for i := range n {
		path, huawei := "/clientcertificates", false
		if i%2 == 1 {
			path, huawei = hwPath, true
		}
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, forgedHead(t, s.Addr(), path, attacked.AccessKeyID, 1000, huawei, nil)+"a"); err != nil {
			t.Fatal(err)
		}
		go func() {
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				answers <- 0
				return
			}
			resp.Body.Close()
			answers <- resp.StatusCode
		}()
	}
	// The requests beyond what may wait for a body are refused after the
	// slot wait; by then the others are waiting for their bodies.
	for range n - 64 {
		if code := <-answers; code != http.StatusTooManyRequests {
			t.Fatalf("a stalled forged request: answered %d; want 429 (busy)", code)
		}
	}

	// The victim connects from another loopback address.
	client := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	body := []byte(`{"description":"during the attack"}`)
	req, err := http.NewRequestWithContext(context.Background(), "POST", s.URL()+"/clientcertificates", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := sign.SigV4(sigv4.CanonicalRequest, req, body, victim.AccessKeyID, victim.SecretAccessKey, "us-east-1", "apigateway", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		var m map[string]string
		_ = json.Unmarshal(b, &m)
		t.Fatalf("another tenant's signed POST during the attack: %d %s %s; want 201", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), m["message"])
	}

	// The attacked tenant itself, declaring its body's hash
	// (X-Amz-Content-Sha256): its signature holds from the headers, so the
	// share that the abuser of its key id holds does not apply to it.
	// (aws-sdk-go-v2's API Gateway client does not send the header.)
	body = []byte(`{"description":"owner during the attack"}`)
	sum := sha256.Sum256(body)
	req, err = http.NewRequestWithContext(context.Background(), "POST", s.URL()+"/clientcertificates", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if err := sign.SigV4(sigv4.CanonicalRequest, req, body, attacked.AccessKeyID, attacked.SecretAccessKey, "us-east-1", "apigateway", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the attacked key's owner, hash declared, during the attack: %d %s %s; want 201", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), b)
	}
}
