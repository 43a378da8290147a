package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/internal/loadgen"
)

// certgate bench: the load tool. It signs every request itself (SigV4 or
// SDK-HMAC-SHA256, with internal/sign, the signer the tests prove against
// the server's verifiers), drives it with internal/loadgen, and prints a
// table or JSON. Data a scenario needs (a certificate to GET, leaf
// certificates to upload) is made before the clock starts.

const benchSynopsis = "certgate bench SCENARIO [flags]"

const benchAbout = `Puts load on a certgate server or gateway and reports throughput, latency percentiles (p50, p90,
p99, max) and errors by type. Scenarios:
  aws-get        GetClientCertificate of one certificate it generates first (SigV4)
  aws-list       GetClientCertificates, the first page of --limit (SigV4)
  aws-generate   GenerateClientCertificate (SigV4; stops counting successes at the account's quota)
  hw-upload      Huawei CreateCertificateV2 with RSA-2048 leaves made beforehand (SDK-HMAC-SHA256)
  hw-list        Huawei ListCertificatesV2, a page at --offset of --limit (SDK-HMAC-SHA256)
  hw-show        Huawei ShowDetailsOfCertificateV2 of one certificate it uploads first (SDK-HMAC-SHA256)
  gw-handshake   full TLS handshakes (no resumption) to --gateway-url's host, SNI --sni
  gw-proxy       GETs of --gateway-url
  mixed          several of the above, chosen per request by --weights aws-get=8,aws-list=1,...
  seed           not a load: fills a database with certificate records (certgate bench seed --help)
Closed loop by default (--concurrency workers back to back); --rate R sends R requests/s on a fixed timetable
and measures latency from each request's due time, so a stall counts as the queueing it causes.
Credentials: --access-key-id with --secret-access-key (or the environment's AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY), or --credentials-file (the bootstrap credentials file, profile --profile), which also
gives the Huawei project id. Or --create-account: a new account is created in --database (as certgate account
create does, beside a running server) for the run, and deleted at the end with what the run made.
--reference (reads only) measures the target against a bare net/http handler serving the target's own answer
with the same load generator, in alternating phases, and prints the ratio; the bare handler runs inside the
bench process, sharing its CPU.`

// benchFlags are the settings of one bench run.
type benchFlags struct {
	endpoint, gatewayURL, sni      string
	accessKeyID, secret, credsFile string
	profile, region, projectID     string
	weights                        string
	insecure, jsonOut              bool
	createAccount, keepAccount     bool
	caFile, connectTo              string
	reference                      bool
	rounds, warmup                 int
	leaves, limit, offset          int
	opts                           loadgen.Options
	progressEvery                  time.Duration
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	var f benchFlags
	// The store settings (--database, the master key) are there for
	// --create-account; nothing is opened without it.
	c := newCmd("bench", benchSynopsis, benchAbout, stdout, stderr)
	if err := c.bind(getenv, storeScope); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fs := c.fs
	fs.StringVar(&f.endpoint, "endpoint", "http://127.0.0.1:8080", "the API's URL")
	fs.StringVar(&f.gatewayURL, "gateway-url", "", "gw-proxy: the URL to GET; gw-handshake: its host:port is dialled")
	fs.StringVar(&f.sni, "sni", "", "gw-handshake, gw-proxy: the TLS server name (default: the URL's host)")
	fs.BoolVar(&f.insecure, "insecure", false, "gw-*: do not verify the gateway's certificate")
	fs.StringVar(&f.caFile, "ca-file", "", "gw-*: PEM file of CA certificates to verify the gateway with")
	fs.StringVar(&f.connectTo, "connect-to", "", "gw-*: dial this HOST:PORT instead of --gateway-url's, keeping the URL's host as the Host header and the TLS server name (as curl --connect-to does), to load a custom domain before DNS names it")
	fs.StringVar(&f.accessKeyID, "access-key-id", "", "access key id (default: $AWS_ACCESS_KEY_ID)")
	fs.StringVar(&f.secret, "secret-access-key", "", "secret access key (default: $AWS_SECRET_ACCESS_KEY; prefer the environment or a file, which stay out of process listings)")
	fs.StringVar(&f.credsFile, "credentials-file", "", "a credentials file in the bootstrap file's format")
	fs.StringVar(&f.profile, "profile", "certgate", "the profile to read from --credentials-file")
	fs.StringVar(&f.region, "region", "us-east-1", "AWS region for SigV4 and the client certificates")
	fs.StringVar(&f.projectID, "project-id", "", "Huawei project id (default: from --credentials-file)")
	fs.StringVar(&f.weights, "weights", "", "mixed: SCENARIO=WEIGHT,... (for example aws-get=8,aws-list=1,hw-list=1)")
	fs.IntVar(&f.limit, "limit", 0, "aws-list, hw-list: the page size asked for (0: the API's default, 25 for AWS and 20 for Huawei; at most 500)")
	fs.IntVar(&f.offset, "offset", 0, "hw-list: the offset asked for (Huawei lists by offset; AWS by position token)")
	fs.IntVar(&f.leaves, "leaves", 8, "hw-upload: how many distinct RSA-2048 leaf certificates to make beforehand and cycle through")
	fs.IntVar(&f.opts.Concurrency, "concurrency", 16, "workers: requests in flight at most")
	fs.DurationVar(&f.opts.Duration, "duration", 0, "run this long (default 10s unless --requests is given)")
	fs.IntVar(&f.opts.Requests, "requests", 0, "run this many requests")
	fs.Float64Var(&f.opts.Rate, "rate", 0, "open loop: requests per second on a fixed timetable (0: closed loop)")
	fs.BoolVar(&f.jsonOut, "json", false, "print the result as one JSON object")
	fs.BoolVar(&f.createAccount, "create-account", false, "create a new account in --database for this run (instead of credentials), and delete it, with what the run made, at the end")
	fs.BoolVar(&f.keepAccount, "keep-account", false, "with --create-account: keep the account at the end (its id is printed; its secret is never shown)")
	fs.BoolVar(&f.reference, "reference", false, "aws-get, aws-list, hw-list, hw-show: capture one answer of the target, serve it from a bare net/http handler in this process, and run the same load against both in turn (reference, target, ...; each phase --duration or --requests long) to print the ratio. aws-generate: also measure rsa.GenerateKey(2048) on GOMAXPROCS goroutines, for half the duration before the run and half after, and print the run's rate as a fraction of it (run the tool on the server's machine)")
	fs.IntVar(&f.warmup, "warmup-requests", 0, "send this many requests, uncounted, before the run (aws-generate: at least the server's --key-pool-size, so that the run measures the sustained rate, not the pool's stock)")
	fs.IntVar(&f.rounds, "rounds", 2, "--reference: how many reference-then-target pairs of phases to run")
	fs.DurationVar(&f.progressEvery, "progress-interval", time.Second, "how often the live line is redrawn (on a terminal only)")

	if len(args) > 0 && args[0] == "seed" {
		return cmdBenchSeed(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return 0
		}
		fmt.Fprintf(stderr, "Usage: %s\n(certgate bench --help lists the scenarios and flags)\n", benchSynopsis)
		return 2
	}
	name := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "certgate bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if f.opts.Duration == 0 && f.opts.Requests == 0 {
		f.opts.Duration = 10 * time.Second
	}
	if err := f.opts.Validate(); err != nil {
		fmt.Fprintf(stderr, "certgate bench: %v\n", err)
		return 2
	}
	keygenRef := f.reference && keygenWork[name] != ""
	if keygenRef && f.opts.Duration == 0 {
		fmt.Fprintf(stderr, "certgate bench: --reference for %s needs --duration\n", name)
		return 2
	}
	if f.keepAccount && !f.createAccount {
		fmt.Fprintln(stderr, "certgate bench: --keep-account needs --create-account")
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if f.createAccount {
		if f.accessKeyID != "" || f.secret != "" || f.credsFile != "" || f.projectID != "" {
			fmt.Fprintln(stderr, "certgate bench: --create-account makes its own credentials; give no --access-key-id, --secret-access-key, --credentials-file or --project-id")
			return 2
		}
		done, err := benchAccount(ctx, c, &f, stderr)
		if err != nil {
			return c.fail(err)
		}
		defer done()
	} else if err := f.credentials(getenv); err != nil {
		fmt.Fprintf(stderr, "certgate bench: %v\n", err)
		return 2
	}

	b, err := newBencher(&f)
	if err != nil {
		fmt.Fprintf(stderr, "certgate bench: %v\n", err)
		return 2
	}
	defer b.close()
	op, err := b.scenario(ctx, name)
	if err != nil {
		fmt.Fprintf(stderr, "certgate bench %s: %v\n", name, err)
		return 1
	}
	if f.reference && !keygenRef {
		return runReference(ctx, &f, name, op, stdout, stderr)
	}
	var rep loadgen.Report
	measure := func() float64 {
		// Right before the run: a reference measured in between would
		// share the CPU with the server refilling its key pool.
		if f.warmup > 0 {
			wopts := f.opts
			wopts.Duration, wopts.Requests, wopts.Rate = 0, f.warmup, 0
			if _, done, err := loadgen.Start(ctx, wopts, op); err == nil {
				<-done
			}
		}
		run, done, err := loadgen.Start(ctx, f.opts, op)
		if err != nil {
			fmt.Fprintf(stderr, "certgate bench: %v\n", err)
			return -1
		}
		if isTerminal(stdout) && f.progressEvery > 0 {
			showProgress(stdout, run, done, f.progressEvery)
		}
		<-done
		rep = run.Report()
		return rep.Throughput
	}
	var ref *keygenReference
	var got float64
	if keygenRef {
		got, ref = runKeygenReference(ctx, name, f.opts.Duration, measure)
	} else {
		got = measure()
	}
	if got < 0 {
		return 2
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "certgate bench: interrupted; the figures cover the requests that finished")
	}
	out := newBenchResult(name, f, rep)
	out.Reference = ref
	printResult(stdout, f.jsonOut, out, out.table)
	if rep.Requests == 0 {
		return 1
	}
	return 0
}

// credentials fills the key and project id from the flags, the
// environment and the credentials file, in that order.
func (f *benchFlags) credentials(getenv func(string) string) error {
	if f.credsFile != "" {
		akid, secret, project, err := readProfile(f.credsFile, f.profile)
		if err != nil {
			return err
		}
		if f.accessKeyID == "" {
			f.accessKeyID = akid
		}
		if f.secret == "" {
			f.secret = secret
		}
		if f.projectID == "" {
			f.projectID = project
		}
	}
	if f.accessKeyID == "" {
		f.accessKeyID = getenv("AWS_ACCESS_KEY_ID")
	}
	if f.secret == "" {
		f.secret = getenv("AWS_SECRET_ACCESS_KEY")
	}
	return nil
}

var projectComment = regexp.MustCompile(`\bproject ([0-9a-f]{32})\b`)

// readProfile reads profile from an INI credentials file.
func readProfile(path, profile string) (akid, secret, project string, err error) {
	file, err := os.Open(path)
	if err != nil {
		return "", "", "", fmt.Errorf("credentials file: %w", err)
	}
	defer file.Close()
	akid, secret, project, err = parseProfile(file, profile)
	if err != nil {
		return "", "", "", fmt.Errorf("credentials file %s: %w", path, err)
	}
	return akid, secret, project, nil
}

// parseProfile reads an INI credentials file as the AWS tools do: [profile]
// sections (or [profile NAME]) of key = value lines. The bootstrap file's
// comment names the Huawei project id ("project HEX"); a project_id key in
// the profile wins over it. Errors never quote the file.
func parseProfile(r io.Reader, profile string) (akid, secret, project string, err error) {
	var section, fromComment string
	found := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case line[0] == '#' || line[0] == ';':
			if m := projectComment.FindStringSubmatch(line); m != nil && fromComment == "" {
				fromComment = m[1]
			}
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(strings.TrimPrefix(line[1:len(line)-1], "profile "))
			found = found || section == profile
		case section == profile:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "aws_access_key_id":
				akid = strings.TrimSpace(v)
			case "aws_secret_access_key":
				secret = strings.TrimSpace(v)
			case "project_id":
				project = strings.TrimSpace(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", "", errors.New("unreadable (a line longer than 64 KiB?)")
	}
	if !found || akid == "" || secret == "" {
		return "", "", "", fmt.Errorf("no profile [%s] with aws_access_key_id and aws_secret_access_key", profile)
	}
	if project == "" {
		project = fromComment
	}
	return akid, secret, project, nil
}

// isTerminal reports whether w is a character device, where a progress
// line that redraws itself makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func showProgress(w io.Writer, run *loadgen.Run, done <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var last loadgen.Snapshot
	for {
		select {
		case <-done:
			fmt.Fprint(w, "\r\033[K")
			return
		case <-t.C:
			s := run.Progress()
			rate := float64(s.Requests-last.Requests) / (s.Elapsed - last.Elapsed).Seconds()
			last = s
			fmt.Fprintf(w, "\r\033[K%6.1fs  %d requests  %.0f/s  %d errors  p99 %s",
				s.Elapsed.Seconds(), s.Requests, rate, s.Errors, fmtLatency(s.P99))
		}
	}
}

// benchResult is what bench prints; its JSON form is documented in the
// README ("Load tool"). Latencies are in milliseconds.
type benchResult struct {
	Scenario    string            `json:"scenario"`
	Concurrency int               `json:"concurrency"`
	Rate        float64           `json:"rate,omitempty"` // open-loop target, requests/s
	Elapsed     float64           `json:"elapsedSeconds"`
	Requests    uint64            `json:"requests"`
	Errors      uint64            `json:"errors"`
	ErrorsBy    map[string]uint64 `json:"errorsByType"`
	Reference   *keygenReference  `json:"reference,omitempty"` // aws-generate --reference
	Throughput  float64           `json:"requestsPerSecond"`
	Late        uint64            `json:"lateSends,omitempty"`
	Latency     latencyMS         `json:"latencyMs"`
}

type latencyMS struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func newBenchResult(name string, f benchFlags, r loadgen.Report) benchResult {
	errs := r.ErrorsBy
	if errs == nil {
		errs = map[string]uint64{}
	}
	return benchResult{
		Scenario: name, Concurrency: f.opts.Concurrency, Rate: r.Rate,
		Elapsed: math.Round(r.Elapsed.Seconds()*1000) / 1000, Requests: r.Requests, Errors: r.Errors, ErrorsBy: errs,
		Throughput: math.Round(r.Throughput*10) / 10, Late: r.Late,
		Latency: latencyMS{Mean: ms(r.Mean), P50: ms(r.P50), P90: ms(r.P90), P99: ms(r.P99), Max: ms(r.Max)},
	}
}

func fmtLatency(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	}
}

func (b benchResult) table(w io.Writer) {
	mode := fmt.Sprintf("closed loop, %d connections", b.Concurrency)
	if b.Rate > 0 {
		mode = fmt.Sprintf("open loop at %g/s, at most %d in flight; %d sends late", b.Rate, b.Concurrency, b.Late)
	}
	fmt.Fprintf(w, "%s: %d requests in %.2fs (%s)\n\n", b.Scenario, b.Requests, b.Elapsed, mode)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "requests/s\tp50\tp90\tp99\tmax\terrors\t")
	d := func(v float64) string { return fmtLatency(time.Duration(v * 1e6)) }
	fmt.Fprintf(tw, "%.1f\t%s\t%s\t%s\t%s\t%d\t\n", b.Throughput, d(b.Latency.P50), d(b.Latency.P90), d(b.Latency.P99), d(b.Latency.Max), b.Errors)
	tw.Flush()
	if len(b.ErrorsBy) > 0 {
		fmt.Fprintln(w, "\nerrors by type:")
		types := make([]string, 0, len(b.ErrorsBy))
		for k := range b.ErrorsBy {
			types = append(types, k)
		}
		slices.SortFunc(types, func(x, y string) int {
			if c := cmp.Compare(b.ErrorsBy[y], b.ErrorsBy[x]); c != 0 {
				return c
			}
			return strings.Compare(x, y)
		})
		for _, k := range types {
			fmt.Fprintf(w, "  %8d  %s\n", b.ErrorsBy[k], k)
		}
	}
	if b.Reference != nil {
		b.Reference.table(w, b.Scenario)
	}
}

// benchAccount creates the run's own account in c's database and puts its
// credentials in f. The returned func deletes it (with every record the
// run made) unless --keep-account; the database stays open until then, so
// the run's own key cache is the one purged.
func benchAccount(ctx context.Context, c *adminCmd, f *benchFlags, stderr io.Writer) (done func(), err error) {
	svc, err := c.open(ctx, true)
	if err != nil {
		c.close()
		return nil, err
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	created, err := svc.Create(ctx, accounts.CreateInput{Name: "bench-" + hex.EncodeToString(id)})
	if err != nil {
		c.close()
		return nil, err
	}
	f.accessKeyID, f.secret = created.AccessKeyID, created.SecretAccessKey
	f.projectID = created.Account.ProjectID
	fmt.Fprintf(stderr, "certgate bench: created account %s (%s) for this run\n", created.Account.ID, created.Account.Name)
	return func() {
		defer c.close()
		if f.keepAccount {
			fmt.Fprintf(stderr, "certgate bench: kept account %s (its secret is not shown; certgate access-key create gives it a new key)\n", created.Account.ID)
			return
		}
		// A fresh context: an interrupted run still cleans up.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := svc.Delete(dctx, created.Account.ID, true); err != nil {
			fmt.Fprintf(stderr, "certgate bench: could not delete account %s: %v\n", created.Account.ID, err)
			return
		}
		fmt.Fprintf(stderr, "certgate bench: deleted account %s and what the run made\n", created.Account.ID)
	}, nil
}

// printResult writes a bench result: indented JSON for scripts, or its
// table for people.
func printResult(w io.Writer, asJSON bool, v any, table func(io.Writer)) {
	if !asJSON {
		table(w)
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
