// Package nginxtest runs a real nginx (Debian's nginx-light) for tests: a
// private configuration in a temporary directory, a loopback port, an
// HTTPS server that can require client certificates, and a reload that
// returns only once the new configuration answers.
//
// Without nginx a test skips through internal/testtool (and fails under
// CERTGATE_REQUIRE_TOOLS=1). The binary is found on PATH, then at
// /usr/sbin/nginx.
package nginxtest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testtool"
)

// GenerationHeader carries the configuration generation on every answer,
// errors included, so that a reload can be seen to have taken effect.
const GenerationHeader = "X-Nginxtest-Generation"

// Config is what the test's nginx serves.
type Config struct {
	// ServerCertPEM and ServerKeyPEM make the server HTTPS; empty serves
	// plain HTTP.
	ServerCertPEM, ServerKeyPEM string
	// ClientCAPEM is written to the file ssl_client_certificate names.
	ClientCAPEM string
	// VerifyClient sets ssl_verify_client on: a request without a
	// certificate that chains to ClientCAPEM gets nginx's 400.
	VerifyClient bool
	// Workers is worker_processes (default 1).
	Workers int
	// ExtraHTTP is raw configuration added inside http {} (more servers,
	// upstreams with keepalive for proxy_pass).
	ExtraHTTP string
}

// Server is a running nginx. Its main server answers every URI with 200,
// the header X-Client-DN ($ssl_client_s_dn) and a body
// "uri=$request_uri dn=$ssl_client_s_dn\n".
type Server struct {
	// Addr is host:port of the main server; URL is its base URL.
	Addr, URL string
	Dir       string

	t   testing.TB
	bin string

	mu       sync.Mutex
	cfg      Config
	gen      int
	cmd      *exec.Cmd
	waitDone chan error
}

// Binary returns nginx's path, or skips (or fails) t.
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	testtool.Missing(t, "nginx (Debian's nginx-light)")
	return ""
}

// Start runs nginx in the foreground with cfg, and stops it when the test
// ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	s := &Server{t: t, bin: Binary(t), Dir: t.TempDir(), cfg: cfg, gen: 1}
	for _, d := range []string{"logs", "temp"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var last error
	for range 5 { // another process may take the port between pick and bind
		port, err := testtool.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if last = s.start(); last == nil {
			t.Cleanup(s.Stop)
			return s
		}
		if !strings.Contains(last.Error(), "Address already in use") {
			break
		}
	}
	t.Fatalf("nginx did not start: %v", last)
	return nil
}

func (s *Server) path(name string) string { return filepath.Join(s.Dir, name) }

func (s *Server) args(extra ...string) []string {
	return append([]string{"-p", s.Dir + "/", "-c", s.path("nginx.conf"), "-e", s.path("logs/error.log")}, extra...)
}

func (s *Server) start() error {
	if err := s.write(); err != nil {
		return err
	}
	if s.cfg.ServerCertPEM != "" {
		s.URL = "https://" + s.Addr
	} else {
		s.URL = "http://" + s.Addr
	}
	cmd := exec.Command(s.bin, s.args("-g", "daemon off; master_process on;")...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("nginx exited (%v): %s %s", err, out.String(), s.ErrorLog())
		case <-deadline:
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("nginx did not answer on %s within 15 s: %s", s.Addr, s.ErrorLog())
		case <-time.After(10 * time.Millisecond):
		}
		if gen, err := s.generation(); err == nil && gen == s.gen {
			s.cmd = cmd
			s.waitDone = exited
			return nil
		}
	}
}

// write renders the configuration for the current generation.
func (s *Server) write() error {
	c := s.cfg
	workers := c.Workers
	if workers <= 0 {
		workers = 1
	}
	var b strings.Builder
	if os.Geteuid() == 0 {
		// As root, workers would run as nobody, who cannot use the temp
		// paths in this private directory.
		b.WriteString("user root;\n")
	}
	fmt.Fprintf(&b, "worker_processes %d;\npid %s;\nerror_log %s info;\n", workers, s.path("nginx.pid"), s.path("logs/error.log"))
	// Bounds a reload: an old worker holding a keep-alive connection
	// leaves within a second.
	b.WriteString("worker_shutdown_timeout 1s;\nevents { worker_connections 1024; }\nhttp {\n")
	fmt.Fprintf(&b, "  access_log %s;\n", s.path("logs/access.log"))
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&b, "  %s_temp_path %s;\n", t, s.path("temp/"+t))
	}
	b.WriteString("  default_type text/plain;\n  keepalive_requests 100000;\n")
	b.WriteString("  server {\n")
	if c.ServerCertPEM != "" {
		if err := s.file("server.pem", c.ServerCertPEM); err != nil {
			return err
		}
		if err := s.file("server.key", c.ServerKeyPEM); err != nil {
			return err
		}
		fmt.Fprintf(&b, "    listen %s ssl;\n    ssl_certificate %s;\n    ssl_certificate_key %s;\n", s.Addr, s.path("server.pem"), s.path("server.key"))
		if c.ClientCAPEM != "" {
			if err := s.file("client-ca.pem", c.ClientCAPEM); err != nil {
				return err
			}
			fmt.Fprintf(&b, "    ssl_client_certificate %s;\n    ssl_verify_depth 4;\n", s.path("client-ca.pem"))
		}
		if c.VerifyClient {
			b.WriteString("    ssl_verify_client on;\n")
		}
	} else {
		fmt.Fprintf(&b, "    listen %s;\n", s.Addr)
	}
	fmt.Fprintf(&b, "    add_header %s %d always;\n", GenerationHeader, s.gen)
	b.WriteString("    location / {\n      add_header X-Client-DN $ssl_client_s_dn always;\n")
	fmt.Fprintf(&b, "      add_header %s %d always;\n", GenerationHeader, s.gen)
	b.WriteString("      return 200 \"uri=$request_uri dn=$ssl_client_s_dn\\n\";\n    }\n  }\n")
	b.WriteString(c.ExtraHTTP)
	b.WriteString("\n}\n")
	return s.file("nginx.conf", b.String())
}

func (s *Server) file(name, content string) error {
	return os.WriteFile(s.path(name), []byte(content), 0o600)
}

// generation asks the main server, on a new connection without a client
// certificate, which configuration generation answers.
func (s *Server) generation() (int, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(s.URL + "/nginxtest-generation")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return strconv.Atoi(resp.Header.Get(GenerationHeader))
}

// SetClientCA replaces the trusted client CA bundle and reloads.
func (s *Server) SetClientCA(pem string) {
	s.t.Helper()
	s.Reload(func(c *Config) { c.ClientCAPEM = pem })
}

// Reload applies change to the configuration, reloads nginx, and returns
// once new connections are served by the new configuration only: the new
// generation answers and the old workers have exited.
func (s *Server) Reload(change func(*Config)) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	change(&s.cfg)
	s.gen++
	old := children(s.cmd.Process.Pid)
	if err := s.write(); err != nil {
		s.t.Fatal(err)
	}
	if out, err := exec.Command(s.bin, s.args("-s", "reload")...).CombinedOutput(); err != nil {
		s.t.Fatalf("nginx -s reload: %v: %s", err, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		gen, err := s.generation()
		if err == nil && gen == s.gen && !anyAlive(old) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("nginx did not serve generation %d within 15 s (last %d, %v): %s", s.gen, gen, err, s.ErrorLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// children lists the pids whose parent is pid (nginx's workers).
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so parse after ')'.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

func anyAlive(pids []int) bool {
	for _, p := range pids {
		if err := syscall.Kill(p, 0); err == nil || !errors.Is(err, syscall.ESRCH) {
			if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); err == nil && !zombie(st) {
				return true
			}
		}
	}
	return false
}

func zombie(stat []byte) bool {
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}

// ErrorLog returns nginx's error log so far (for failure messages).
func (s *Server) ErrorLog() string {
	b, _ := os.ReadFile(s.path("logs/error.log"))
	return string(b)
}

// AccessLog returns the access log's lines so far.
func (s *Server) AccessLog() []string {
	f, err := os.Open(s.path("logs/access.log"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	return lines
}

// Stop shuts nginx down (registered with t.Cleanup by Start).
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.waitDone:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.waitDone
	}
	s.cmd = nil
}
