package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/store"
)

// certgate bench seed: fills a database through the store with valid
// records, for the scale figures (lists and start-up at 1M certificates).
// Every record is made by the domain core's own create operations
// (GenerateClientCertificate, CreateServerCertificate), so it is exactly
// what the API would have stored: real X.509, the key sealed under the
// record's AAD, the facts parsed from the certificate. Only the key
// generation is shortened: a small pool of keys made up front signs every
// certificate.

const seedSynopsis = "certgate bench seed --count N [--accounts K | --account-id ID,...] [--kind client|server|both] [flags]"

const seedAbout = `Writes N certificate records straight into the database (no server needed; one may run on it), spread
round-robin over K new accounts or the existing accounts given by --account-id. Client certificates are
generated as GenerateClientCertificate does (in --region); server certificates are self-signed leaves uploaded
as Huawei's CreateCertificateV2 does, each under a unique name. A few keys (--keys) made up front sign every
certificate, so that the database's writes, not key generation, bound the rate.
Quotas are bypassed: seeding exists to build tenants beyond the default quotas (60 client certificates per
account and region, 1000 server certificates per account). The quota counters stay exact, so a server with
its default quotas serves every seeded record and refuses new ones in a full scope, as it would anyway.
The new accounts' credentials are written only to --credentials-file (mode 0600, the bootstrap file's format:
profile certgate is the first account, seed-1 ... seed-K each account), never to the output.`

// Limits of the seed flags: beyond them a run is a typo, not a plan.
const (
	maxSeedCount    = 100_000_000
	maxSeedAccounts = 10_000
	maxSeedKeys     = 1024
	maxSeedWorkers  = 64

	// SQLite commits concurrent writes together (store/sqlite), so more
	// writers mean fewer fsyncs per record (about 2.4 times the rate of 4
	// writers). On PostgreSQL the creates of one account and kind take its
	// counter row's lock until they commit, so they queue whatever the
	// number of writers, and more only add contention.
	seedSQLiteWorkers   = 16
	seedPostgresWorkers = 4
)

type seedFlags struct {
	count, accounts, keys, workers int
	accountIDs                     string
	kind, region, keyType          string
	credsFile                      string
	progressEvery                  time.Duration
}

// seedAccount is one account records go to, with what it got.
type seedAccount struct {
	ID, ProjectID string
	created       *accounts.Created // nil for an existing account
	client        atomic.Int64
	server        atomic.Int64
}

// seedKey is a pooled key with its PEM form (for uploads).
type seedKey struct {
	signer crypto.Signer
	pem    string
}

// cyclingKeys hands out the pooled keys in turn: certs.KeySource.
type cyclingKeys struct {
	keys []seedKey
	next atomic.Uint64
}

func (k *cyclingKeys) Get(context.Context) (crypto.Signer, error) {
	return k.keys[(k.next.Add(1)-1)%uint64(len(k.keys))].signer, nil
}

func cmdBenchSeed(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c, err := newAdminCmd("bench seed", seedSynopsis, seedAbout, stdout, stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var f seedFlags
	c.fs.IntVar(&f.count, "count", 0, "how many certificate records to write (required)")
	c.fs.IntVar(&f.accounts, "accounts", 1, "how many new accounts to create and spread the records over")
	c.fs.StringVar(&f.kind, "kind", "client", "client (AWS client certificates), server (Huawei SSL certificates) or both (alternating)")
	c.fs.StringVar(&f.region, "region", "us-east-1", "AWS region of the client certificates")
	c.fs.StringVar(&f.keyType, "key-type", string(pki.ECDSAP256), "key type: ecdsa-p256 or rsa2048")
	c.fs.IntVar(&f.keys, "keys", 8, "how many keys to generate up front and sign every certificate with")
	c.fs.IntVar(&f.workers, "workers", 0, "goroutines writing records (default 16 on SQLite, whose concurrent writes share commits, and 4 on PostgreSQL, where the writes of one account queue on its certificate counter anyway)")
	c.fs.StringVar(&f.credsFile, "credentials-file", "", "write the new accounts' credentials to this new file (mode 0600); it must not exist")
	c.fs.DurationVar(&f.progressEvery, "progress-interval", time.Second, "how often the live line is redrawn (on a terminal only)")
	// --account-id may be given several times; each adds to the list.
	c.fs.Func("account-id", "comma-separated existing account ids to spread the records over, instead of new accounts (may be repeated)", func(v string) error {
		if f.accountIDs != "" {
			f.accountIDs += ","
		}
		f.accountIDs += v
		return nil
	})
	if code, ok := c.parse(args); !ok {
		return code
	}
	workersSet := false
	c.fs.Visit(func(fl *flag.Flag) { workersSet = workersSet || fl.Name == "workers" })
	if !workersSet {
		f.workers = seedSQLiteWorkers
		if isPostgres(c.cfg.Database) {
			f.workers = seedPostgresWorkers
		}
	}
	ids, kt, msg := f.check(c.fs)
	if msg != "" {
		return c.usageError("%s", msg)
	}
	if f.credsFile != "" {
		if _, err := os.Lstat(f.credsFile); err == nil {
			return c.usageError("--credentials-file %s exists; seed never overwrites a file (credentials in it would be lost)", f.credsFile)
		}
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	svc, err := c.open(ctx, true)
	defer c.close()
	if err != nil {
		return c.abort(err)
	}

	setup := time.Now()
	s := &seeder{f: f, start: setup.UTC()}
	s.runID = randomHex(4)
	if s.keys, err = seedKeys(kt, f.keys); err != nil {
		return c.abort(err)
	}
	var creds *os.File
	if f.credsFile != "" {
		// Created now, exclusively, so that a file appearing meanwhile is
		// not overwritten and a bad path fails before any account exists.
		if creds, err = os.OpenFile(f.credsFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return c.abort(fmt.Errorf("credentials file: %w", err))
		}
	}
	if s.accts, err = seedAccounts(ctx, svc, c.st, ids, f.accounts, s.runID); err == nil && creds != nil {
		err = writeSeedCredentials(creds, s.accts, s.runID)
	}
	if creds != nil {
		if cerr := creds.Close(); err == nil {
			err = cerr
		}
		if err != nil && s.createdAny() == 0 {
			os.Remove(f.credsFile)
		}
	}
	if err != nil {
		// Accounts created before the failure stay; say so, so that the
		// operator can find them (their names carry the run id).
		if n := s.createdAny(); n > 0 {
			fmt.Fprintf(stderr, "certgate bench seed: %d accounts named seed-%s-* were created before the failure\n", n, s.runID)
		}
		return c.fail(err)
	}
	subject, _ := pki.ParseSubject(c.cfg.ClientCertSubject) // the default, checked by Validate
	// Quota 0: no limit, see seedAbout. The store still counts.
	s.core = certs.New(c.st, c.sealer, &cyclingKeys{keys: s.keys}, nil, certs.Config{
		ClientTemplate: pki.ClientCertTemplate{Subject: subject, Validity: c.cfg.ClientCertValidity},
	})
	s.setup = time.Since(setup)

	done := make(chan struct{})
	var progress sync.WaitGroup
	if isTerminal(stdout) && f.progressEvery > 0 {
		progress.Go(func() { s.showProgress(stdout, done, f.progressEvery) })
	}
	began := time.Now()
	err = s.run(ctx)
	s.elapsed = time.Since(began)
	close(done)
	progress.Wait()

	res := s.result(f.credsFile)
	printResult(stdout, c.asJSON, res, res.text)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "certgate bench seed: interrupted after %d of %d records (each one written is complete and durable)\n", res.Records, f.count)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "certgate bench seed: stopped after %d of %d records: %v\n", res.Records, f.count, failMessage(err))
		return 1
	}
	return 0
}

// check validates the flags, returning the account ids given, the key
// type, or a message for a usage error.
func (f *seedFlags) check(fs *flag.FlagSet) (ids []string, kt pki.KeyType, msg string) {
	accountsSet := false
	fs.Visit(func(fl *flag.Flag) { accountsSet = accountsSet || fl.Name == "accounts" })
	switch {
	case f.count < 1 || f.count > maxSeedCount:
		return nil, "", fmt.Sprintf("--count is required, between 1 and %d", maxSeedCount)
	case f.accounts < 1 || f.accounts > maxSeedAccounts:
		return nil, "", fmt.Sprintf("--accounts must be between 1 and %d", maxSeedAccounts)
	case f.keys < 1 || f.keys > maxSeedKeys:
		return nil, "", fmt.Sprintf("--keys must be between 1 and %d", maxSeedKeys)
	case f.workers < 1 || f.workers > maxSeedWorkers:
		return nil, "", fmt.Sprintf("--workers must be between 1 and %d", maxSeedWorkers)
	case f.kind != "client" && f.kind != "server" && f.kind != "both":
		return nil, "", fmt.Sprintf("--kind must be client, server or both, not %q", certgate.Clip(f.kind))
	case len(f.region) > 32 || !regionPattern.MatchString(f.region):
		return nil, "", fmt.Sprintf("--region %q is not a region code (lowercase letters, digits and '-', like us-east-1)", certgate.Clip(f.region))
	}
	kt, err := pki.ParseKeyType(f.keyType)
	if err != nil {
		return nil, "", "--key-type must be ecdsa-p256 or rsa2048"
	}
	if f.accountIDs != "" {
		seen := map[string]bool{}
		for _, id := range strings.Split(f.accountIDs, ",") {
			id = strings.TrimSpace(id)
			if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
				return nil, "", fmt.Sprintf("--account-id %q is not an account id (12 digits)", certgate.Clip(id))
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		switch {
		case accountsSet:
			return nil, "", "give --accounts (new accounts) or --account-id (existing ones), not both"
		case f.credsFile != "":
			return nil, "", "--credentials-file holds new accounts' credentials; with --account-id no account is created"
		}
	}
	return ids, kt, ""
}

// seeder writes the records.
type seeder struct {
	f       seedFlags
	runID   string
	start   time.Time
	keys    []seedKey
	accts   []*seedAccount
	core    *certs.Service
	written atomic.Int64
	setup   time.Duration
	elapsed time.Duration
}

func (s *seeder) createdAny() int {
	n := 0
	for _, a := range s.accts {
		if a.created != nil {
			n++
		}
	}
	return n
}

// seedKeys generates the key pool.
func seedKeys(kt pki.KeyType, n int) ([]seedKey, error) {
	keys := make([]seedKey, n)
	for i := range keys {
		k, err := pki.GenerateKey(kt, rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := pki.MarshalPrivateKey(k)
		if err != nil {
			return nil, err
		}
		keys[i] = seedKey{signer: k, pem: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}
	}
	return keys, nil
}

// seedAccounts looks up the accounts given or creates n new ones, through
// the accounts service as account create does.
func seedAccounts(ctx context.Context, svc *accounts.Service, st store.Accounts, ids []string, n int, runID string) ([]*seedAccount, error) {
	var out []*seedAccount
	for _, id := range ids {
		a, err := st.GetAccount(ctx, id)
		if certgate.ErrorCode(err) == certgate.ENotFound {
			return nil, fmt.Errorf("account %s does not exist", id)
		}
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", id, err)
		}
		out = append(out, &seedAccount{ID: a.ID, ProjectID: a.ProjectID})
	}
	if len(ids) > 0 {
		return out, nil
	}
	for i := range n {
		created, err := svc.Create(ctx, accounts.CreateInput{Name: fmt.Sprintf("seed-%s-%d", runID, i+1)})
		if err != nil {
			return out, err
		}
		out = append(out, &seedAccount{ID: created.Account.ID, ProjectID: created.Account.ProjectID, created: created})
	}
	return out, nil
}

// writeSeedCredentials writes the bootstrap file's format, one profile per
// account, and syncs it.
func writeSeedCredentials(f *os.File, accts []*seedAccount, runID string) error {
	abs, err := filepath.Abs(f.Name())
	if err != nil {
		abs = f.Name()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# certgate bench seed credentials: %d accounts (run %s), account %s, project %s first.\n", len(accts), runID, accts[0].ID, accts[0].ProjectID)
	fmt.Fprintf(&b, "# Keep this file secret. Use it with:\n#   AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=certgate\n", abs)
	fmt.Fprintf(&b, "#   certgate bench SCENARIO --credentials-file %s [--profile seed-N]\n", abs)
	fmt.Fprintf(&b, "# Profile certgate is the first account; seed-1 ... seed-%d are the accounts in order.\n", len(accts))
	profile := func(name string, a *seedAccount) {
		fmt.Fprintf(&b, "\n# account %s, project %s\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\nproject_id = %s\n",
			a.ID, a.ProjectID, name, a.created.AccessKeyID, a.created.SecretAccessKey, a.ProjectID)
	}
	profile("certgate", accts[0])
	for i, a := range accts {
		profile("seed-"+strconv.Itoa(i+1), a)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	return nil
}

// run writes the records with s.f.workers goroutines; the first error
// stops them all.
func (s *seeder) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range s.f.workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= s.f.count {
					return
				}
				if err := s.one(ctx, i); err != nil {
					if ctx.Err() == nil {
						cancel(err)
					}
					return
				}
				s.written.Add(1)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// one writes record i. Records go round-robin over the accounts; with
// --kind both, the kinds alternate and each kind goes round-robin on its
// own, so that every account gets half of each.
func (s *seeder) one(ctx context.Context, i int) error {
	kind, slot := s.f.kind, i
	if kind == "both" {
		kind, slot = [2]string{"client", "server"}[i%2], i/2
	}
	a := s.accts[slot%len(s.accts)]
	if kind == "client" {
		_, err := s.core.GenerateClientCertificate(ctx, certgate.Scope{AccountID: a.ID, Region: s.f.region},
			certs.GenerateInput{Description: fmt.Sprintf("certgate bench seed %s #%d", s.runID, i)})
		if err != nil {
			return err
		}
		a.client.Add(1)
		return nil
	}
	in, err := s.serverInput(i)
	if err != nil {
		return err
	}
	// The Huawei dialect's scope: the account, no region.
	if _, err := s.core.CreateServerCertificate(ctx, certgate.Scope{AccountID: a.ID}, in); err != nil {
		return err
	}
	a.server.Add(1)
	return nil
}

// serverInput makes upload i: a self-signed leaf for a name of its own,
// signed by a pooled key, with its own serial and validity.
func (s *seeder) serverInput(i int) (certs.ServerInput, error) {
	k := s.keys[i%len(s.keys)]
	host := fmt.Sprintf("s%d.%s.seed.certgate.test", i, s.runID)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return certs.ServerInput{}, err
	}
	notBefore := s.start.Add(-time.Hour).Truncate(time.Second)
	usage := x509.KeyUsageDigitalSignature
	if _, rsaKey := k.signer.Public().(*rsa.PublicKey); rsaKey {
		usage |= x509.KeyUsageKeyEncipherment
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host, Organization: []string{"certgate bench seed"}},
		DNSNames:     []string{host},
		NotBefore:    notBefore,
		// Validities differ by a second per record, within a day.
		NotAfter:              notBefore.Add(365*24*time.Hour + time.Duration(i%86400)*time.Second),
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.signer.Public(), k.signer)
	if err != nil {
		return certs.ServerInput{}, fmt.Errorf("sign server certificate: %w", err)
	}
	return certs.ServerInput{
		Name:    fmt.Sprintf("seed_%s_%d", s.runID, i),
		CertPEM: pki.EncodeCertificatePEM(der),
		KeyPEM:  k.pem,
	}, nil
}

func (s *seeder) showProgress(w io.Writer, done <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	began := time.Now()
	var last int64
	lastAt := began
	for {
		select {
		case <-done:
			fmt.Fprint(w, "\r\033[K")
			return
		case now := <-t.C:
			n := s.written.Load()
			rate := float64(n-last) / now.Sub(lastAt).Seconds()
			last, lastAt = n, now
			fmt.Fprintf(w, "\r\033[K%6.1fs  %d of %d records  %.0f/s", now.Sub(began).Seconds(), n, s.f.count, rate)
		}
	}
}

// seedResult is what seed prints; its JSON form is documented in the
// README ("Load tool"). It names the accounts, never their keys.
type seedResult struct {
	Records          int64              `json:"records"`
	Client           int64              `json:"clientCertificates"`
	Server           int64              `json:"serverCertificates"`
	Accounts         []seedAccountCount `json:"accounts"`
	Region           string             `json:"region"`
	KeyType          string             `json:"keyType"`
	Workers          int                `json:"workers"`
	SetupSeconds     float64            `json:"setupSeconds"`   // accounts and keys
	Elapsed          float64            `json:"elapsedSeconds"` // the records
	RecordsPerSecond float64            `json:"recordsPerSecond"`
	CredentialsFile  string             `json:"credentialsFile,omitempty"`
}

type seedAccountCount struct {
	AccountID string `json:"accountId"`
	ProjectID string `json:"projectId"`
	Client    int64  `json:"clientCertificates"`
	Server    int64  `json:"serverCertificates"`
}

func (s *seeder) result(credsFile string) seedResult {
	r := seedResult{Region: s.f.region, KeyType: s.f.keyType, Workers: s.f.workers, Accounts: []seedAccountCount{},
		SetupSeconds: math.Round(s.setup.Seconds()*1000) / 1000, Elapsed: math.Round(s.elapsed.Seconds()*1000) / 1000}
	if kt, err := pki.ParseKeyType(s.f.keyType); err == nil {
		r.KeyType = kt.String()
	}
	for _, a := range s.accts {
		ac := seedAccountCount{AccountID: a.ID, ProjectID: a.ProjectID, Client: a.client.Load(), Server: a.server.Load()}
		r.Accounts = append(r.Accounts, ac)
		r.Client += ac.Client
		r.Server += ac.Server
	}
	r.Records = r.Client + r.Server
	if s.elapsed > 0 {
		r.RecordsPerSecond = math.Round(float64(r.Records)/s.elapsed.Seconds()*10) / 10
	}
	if credsFile != "" {
		if abs, err := filepath.Abs(credsFile); err == nil {
			credsFile = abs
		}
		r.CredentialsFile = credsFile
	}
	return r
}

func (r seedResult) text(w io.Writer) {
	if r.CredentialsFile != "" {
		fmt.Fprintf(w, "credentials of the %d new accounts: %s (profiles certgate, seed-1 ... seed-%d)\n", len(r.Accounts), r.CredentialsFile, len(r.Accounts))
	}
	fmt.Fprintf(w, "seeded %d records (%d client, %d server) over %d accounts in %.2fs: %.0f records/s (%s keys, %d workers; setup %.2fs)\n",
		r.Records, r.Client, r.Server, len(r.Accounts), r.Elapsed, r.RecordsPerSecond, r.KeyType, r.Workers, r.SetupSeconds)
}

// failMessage is a domain error's client-safe message, or the error.
func failMessage(err error) string {
	if e := certgate.AsError(err); e != nil && e.Code != certgate.EInternal {
		return e.Message
	}
	return err.Error()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
