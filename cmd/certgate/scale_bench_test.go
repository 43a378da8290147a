package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The scale figures of issue 13 (start-up and memory with a million
// certificates stored) against a database seeded beforehand, which CI does
// not have: the benchmarks skip unless CERTGATE_SCALE_DB names one.
//
//	certgate serve --database sqlite:/tmp/m1/d.db   # once, to create it; stop it
//	certgate bench seed --database sqlite:/tmp/m1/d.db --count 1000000 --kind both --credentials-file /tmp/m1/seedcreds
//	CERTGATE_SCALE_DB=sqlite:/tmp/m1/d.db CERTGATE_SCALE_CREDENTIALS=/tmp/m1/seedcreds \
//	  go test -run '^$' -bench Scale -benchtime 3x ./cmd/certgate
//
// For SQLite the master key is the master.key beside the database;
// CERTGATE_SCALE_MASTER_KEY_FILE names another (PostgreSQL needs it).
func scaleSetup(b *testing.B) (env []string, args []string, creds string) {
	db := os.Getenv("CERTGATE_SCALE_DB")
	if db == "" {
		b.Skip("set CERTGATE_SCALE_DB (and CERTGATE_SCALE_CREDENTIALS) to a seeded database")
	}
	creds = os.Getenv("CERTGATE_SCALE_CREDENTIALS")
	args = []string{"--database", db, "--addr", "127.0.0.1:0", "--rate-limit", "0", "--client-certificate-quota", "0",
		"--server-certificate-quota", "0", "--bootstrap-credentials-file", "none"}
	if mk := os.Getenv("CERTGATE_SCALE_MASTER_KEY_FILE"); mk != "" {
		args = append(args, "--master-key-file", mk)
	}
	return cgEnv(), args, creds
}

// BenchmarkScaleStartup: from exec to the first 200 from /healthz, and to
// the gateway's first snapshot (/healthz then says when it was current).
func BenchmarkScaleStartup(b *testing.B) {
	env, args, _ := scaleSetup(b)
	certgateBinary(b) // built before the clock starts
	var took, snap []time.Duration
	for range b.N {
		start := time.Now()
		p := startCertgate(b, env, args...)
		took = append(took, time.Since(start))
		// The gateway builds its first snapshot beside the API: until
		// then /healthz says revision 0 and gives no "current as of".
		for {
			var h map[string]string
			resp, err := http.Get(p.URL + "/healthz")
			if err == nil {
				_ = json.NewDecoder(resp.Body).Decode(&h)
				resp.Body.Close()
			}
			if h["gateway_current_as_of"] != "" {
				snap = append(snap, time.Since(start))
				break
			}
			if time.Since(start) > time.Minute {
				b.Fatalf("no gateway snapshot after a minute: %v", h)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if code := p.stop(); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "ms-median-to-healthy")
	b.ReportMetric(float64(took[len(took)-1].Milliseconds()), "ms-max-to-healthy")
	slices.Sort(snap)
	b.ReportMetric(float64(snap[len(snap)/2].Milliseconds()), "ms-median-to-gateway-snapshot")
}

// BenchmarkScaleRSS: the server's resident memory under a read load (AWS
// gets and list pages, Huawei list pages with their total), sampled from
// /proc every 50 ms, and the peak the kernel recorded (VmHWM).
func BenchmarkScaleRSS(b *testing.B) {
	env, args, creds := scaleSetup(b)
	if creds == "" {
		b.Skip("set CERTGATE_SCALE_CREDENTIALS to the seed's credentials file")
	}
	p := startCertgate(b, env, args...)
	defer p.stop()
	pid := p.cmd.Process.Pid
	idle := procStatus(pid)
	if idle == nil {
		b.Skip("no /proc/PID/status here")
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if kb := procStatus(pid)["VmRSS"]; kb > peak.Load() {
					peak.Store(kb)
				}
			}
		}
	}()
	dur := os.Getenv("CERTGATE_SCALE_DURATION")
	if dur == "" {
		dur = "10s"
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "mixed", "--endpoint", p.URL, "--credentials-file", creds,
		"--weights", "aws-get=8,aws-list=1,hw-list=1", "--duration", dur, "--json"}, &out, &errb, func(string) string { return "" })
	close(stop)
	<-sampled
	if code != 0 {
		b.Fatalf("bench mixed: exit %d: %s", code, errb.String())
	}
	var res benchResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		b.Fatal(err)
	}
	final := procStatus(pid)
	b.Logf("load: %d requests, %.0f/s, p99 %.1f ms, errors %v", res.Requests, res.Throughput, res.Latency.P99, res.ErrorsBy)
	b.ReportMetric(float64(idle["VmRSS"])/1024, "MB-rss-idle")
	b.ReportMetric(float64(peak.Load())/1024, "MB-rss-peak-sampled")
	b.ReportMetric(float64(final["VmHWM"])/1024, "MB-rss-hwm")
	b.ReportMetric(res.Throughput, "req/s")
	if res.Errors != 0 {
		b.Errorf("errors under load: %v", res.ErrorsBy)
	}
	// Is /healthz still fine after the load?
	resp, err := http.Get(p.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		b.Errorf("/healthz after the load: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// procStatus reads the kB fields of /proc/PID/status.
func procStatus(pid int) map[string]int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, " kB")), 10, 64)
		if err == nil {
			out[k] = n
		}
	}
	return out
}
