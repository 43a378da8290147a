package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certgate/certgate/internal/loadgen"
)

// certgate bench SCENARIO --reference: the same load against the target
// and against a bare net/http handler serving the bytes the target
// answered (status, headers, body), in alternating phases, so that the
// ratio of the two is measured in one run on one machine. The bare
// server runs inside the bench process, on loopback; the requests it gets
// are the very requests the target gets (signed the same way, same Host,
// same path), only the TCP connection goes elsewhere.

// referenceScenarios are the scenarios --reference takes: reads, whose
// one captured answer stands for every answer.
var referenceScenarios = map[string]bool{"aws-get": true, "aws-list": true, "hw-list": true, "hw-show": true}

// benchCtxKey carries per-phase settings of a request through the
// operation, which reads them in sendDecode.
type benchCtxKey struct{}

type benchCtx struct {
	client  *http.Client                                 // instead of the bencher's
	capture func(status int, h http.Header, body []byte) // receives the answer
}

func benchCtxOf(ctx context.Context) *benchCtx {
	c, _ := ctx.Value(benchCtxKey{}).(*benchCtx)
	return c
}

// captured is one answer of the target, replayed by the bare handler.
type captured struct {
	status int
	header http.Header
	body   []byte
}

// capture runs op once against the target and keeps its answer.
func capture(ctx context.Context, op loadgen.Op) (*captured, error) {
	var c *captured
	class := op(context.WithValue(ctx, benchCtxKey{}, &benchCtx{capture: func(status int, h http.Header, body []byte) {
		c = &captured{status: status, header: h.Clone(), body: body}
	}}))
	if class != "" {
		return nil, fmt.Errorf("the request to capture failed: %s", class)
	}
	if c == nil {
		return nil, errors.New("no answer captured")
	}
	return c, nil
}

// ServeHTTP answers every request with the captured bytes, after reading
// the request's body as the target would. Date is net/http's own, as on
// the target.
func (c *captured) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h := w.Header()
	for k, v := range c.header {
		if k != "Date" {
			h[k] = v
		}
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(c.body)
}

// bareServer serves c on a loopback port and returns a client whose
// connections all go there, whatever the request's URL names.
func bareServer(c *captured, conns int) (client *http.Client, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	addr := ln.Addr().String()
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:        nil,
		MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: 90 * time.Second,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}, func() {
		tr.CloseIdleConnections()
		_ = srv.Close()
	}, nil
}

// referenceResult is what --reference prints: each phase in the order
// run, the totals of each side, and the subject's share of the
// reference's throughput.
type referenceResult struct {
	Scenario   string        `json:"scenario"`
	Phases     []benchResult `json:"phases"`
	Reference  float64       `json:"referenceRequestsPerSecond"`
	Subject    float64       `json:"subjectRequestsPerSecond"`
	Ratio      float64       `json:"ratio"`
	BodyBytes  int           `json:"bodyBytes"`
	StatusCode int           `json:"status"`
}

// runReference alternates reference and subject phases, each of
// f.opts (its duration or request count), rounds times.
func runReference(ctx context.Context, f *benchFlags, name string, op loadgen.Op, stdout, stderr io.Writer) int {
	if !referenceScenarios[name] {
		fmt.Fprintf(stderr, "certgate bench: --reference takes aws-get, aws-list, hw-list or hw-show, not %s\n", name)
		return 2
	}
	c, err := capture(ctx, op)
	if err != nil {
		fmt.Fprintf(stderr, "certgate bench %s: %v\n", name, err)
		return 1
	}
	client, stop, err := bareServer(c, f.opts.Concurrency)
	if err != nil {
		fmt.Fprintf(stderr, "certgate bench: the reference server: %v\n", err)
		return 1
	}
	defer stop()
	refCtx := context.WithValue(ctx, benchCtxKey{}, &benchCtx{client: client})
	out := referenceResult{Scenario: name, BodyBytes: len(c.body), StatusCode: c.status}
	var refN, subN uint64
	var refT, subT float64
	for range max(f.rounds, 1) {
		for _, side := range []string{"reference", "subject"} {
			pctx := ctx
			if side == "reference" {
				pctx = refCtx
			}
			run, done, err := loadgen.Start(pctx, f.opts, op)
			if err != nil {
				fmt.Fprintf(stderr, "certgate bench: %v\n", err)
				return 2
			}
			<-done
			rep := run.Report()
			res := newBenchResult(name+" "+side, *f, rep)
			out.Phases = append(out.Phases, res)
			if side == "reference" {
				refN, refT = refN+rep.Requests, refT+rep.Elapsed.Seconds()
			} else {
				subN, subT = subN+rep.Requests, subT+rep.Elapsed.Seconds()
			}
			if ctx.Err() != nil {
				fmt.Fprintln(stderr, "certgate bench: interrupted")
				return 1
			}
		}
	}
	if refT > 0 && subT > 0 {
		out.Reference = math.Round(float64(refN)/refT*10) / 10
		out.Subject = math.Round(float64(subN)/subT*10) / 10
	}
	if out.Reference > 0 {
		out.Ratio = math.Round(out.Subject/out.Reference*1000) / 1000
	}
	printResult(stdout, f.jsonOut, out, out.table)
	for _, p := range out.Phases {
		if p.Requests == 0 {
			return 1
		}
	}
	return 0
}

func (r referenceResult) table(w io.Writer) {
	fmt.Fprintf(w, "%s against a bare net/http handler serving the same answer (HTTP %d, %d body bytes), %d connections\n\n",
		r.Scenario, r.StatusCode, r.BodyBytes, firstConcurrency(r.Phases))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\trequests/s\tp50\tp99\terrors\t")
	d := func(v float64) string { return fmtLatency(time.Duration(v * 1e6)) }
	for _, p := range r.Phases {
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%d\t\n", strings.TrimPrefix(p.Scenario, r.Scenario+" "), p.Throughput, d(p.Latency.P50), d(p.Latency.P99), p.Errors)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nreference %.1f/s, subject %.1f/s: the subject serves %.1f%% of the reference's requests/s\n",
		r.Reference, r.Subject, r.Ratio*100)
	fmt.Fprintln(w, "(the bare handler runs inside this bench process and shares its CPU; the target is a process of its own)")
}

func firstConcurrency(p []benchResult) int {
	if len(p) == 0 {
		return 0
	}
	return p[0].Concurrency
}
