package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/certgate/certgate/rotation"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

const masterKeyUsage = `Usage:
  certgate master-key generate --out FILE    create a new master key file and print its id
  certgate master-key rotate [flags]         re-seal every record under the current master key
`

// cmdMasterKey dispatches the master-key subcommands.
func cmdMasterKey(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, masterKeyUsage)
		return 2
	}
	switch args[0] {
	case "generate":
		return cmdMasterKeyGenerate(args[1:], stdout, stderr)
	case "rotate":
		return cmdMasterKeyRotate(ctx, args[1:], stdout, stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, masterKeyUsage)
		return 0
	}
	fmt.Fprintf(stderr, "certgate master-key: unknown command %q\n\n%s", args[0], masterKeyUsage)
	return 2
}

func cmdMasterKeyGenerate(args []string, stdout, stderr io.Writer) int {
	c := newCmd("master-key generate", "certgate master-key generate --out FILE",
		"Creates a new random 256-bit master key in FILE (mode 0600) and prints its id. It never overwrites a\n"+
			"file: replacing a master key would make everything sealed under it unreadable.", stdout, stderr)
	out := c.fs.String("out", "", "file to create (mode 0600); an existing file is never overwritten (required)")
	if code, ok := c.parseFlags(args); !ok {
		return code
	}
	if *out == "" || c.fs.NArg() > 0 {
		return c.usageError("--out FILE is required")
	}
	k, err := seal.CreateMasterKeyFile(*out, rand.Reader)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return c.abort(fmt.Errorf("%s already exists; not overwriting a master key", *out))
		}
		return c.abort(err)
	}
	// The id alone on stdout, so that scripts can capture it.
	fmt.Fprintln(stdout, k.ID())
	fmt.Fprintf(stderr, "Created master key %s in %s. Back it up and copy it to every node.\n", k.ID(), *out)
	return 0
}

const rotateHelp = `Re-seals every private key and access-key secret under the current master key (--master-key-file),
opening them with the keys in --previous-master-key-files. It runs online, beside running servers, and
can be interrupted: running it again resumes. When it finishes, the old keys are no longer used.

Procedure (every node shares the database):
  1. certgate master-key generate --out /etc/certgate/master-NEW.key
     Copy the file to every node.
  2. Restart each node, one at a time, with
       --master-key-file /etc/certgate/master-NEW.key --previous-master-key-files /etc/certgate/master.key
     Nodes now open both keys and seal new data under the new one. Every node must run with the new key
     as current before step 3, or the nodes still on the old key keep sealing new data under it.
     Step 3 refuses to start (and to finish) while a live node has not announced the new key: nodes
     record the keys they hold every --heartbeat-interval; --force overrides.
  3. certgate master-key rotate --database ... \
       --master-key-file /etc/certgate/master-NEW.key --previous-master-key-files /etc/certgate/master.key
  4. Restart each node with --master-key-file /etc/certgate/master-NEW.key only (no previous keys).
     Then the old key can be destroyed (keep it as long as you keep backups taken before the rotation).`

func cmdMasterKeyRotate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := newCmd("master-key rotate", "certgate master-key rotate --master-key-file NEW --previous-master-key-files OLD[,OLDER] [flags]",
		rotateHelp, stdout, stderr)
	if err := c.bind(getenv, storeScope, c.cfg.heartbeatSetting()); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	batch := c.fs.Int("batch-size", rotation.DefaultBatchSize, "records read per batch")
	force := c.fs.Bool("force", false, "rotate even while live nodes have not announced the new key (they will answer 503 for re-sealed records until restarted with it)")
	if code, ok := c.parse(args); !ok {
		return code
	}
	ctx, stop := notifyContext(ctx)
	defer stop()
	// openStore refuses to go on unless every key in use is loaded.
	err := c.openStore(ctx, true)
	defer c.close()
	if err != nil {
		return c.abort(err)
	}
	cfg, st, sealer := c.cfg, c.st, c.sealer
	cur := sealer.CurrentKeyID()
	var check func(context.Context) error
	if !*force {
		// Live nodes announce their keys (see heartbeat): one lacking the
		// new key would fail every request for a re-sealed record.
		interval := cfg.HeartbeatInterval
		if interval <= 0 {
			interval = DefaultConfig().HeartbeatInterval
		}
		check = func(ctx context.Context) error {
			now := time.Now()
			return rotation.CheckNodes(ctx, st, cur, now.Add(-rotation.LiveBeats*interval), now)
		}
		// Asked first so that a refusal comes before any progress output;
		// Run asks again before it moves the canary.
		if err := check(ctx); err != nil {
			fmt.Fprintf(stderr, "certgate master-key rotate: refused: %v\nNothing was changed.\n", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "Re-sealing every record under master key %s (loaded: %s)\n", cur, strings.Join(sealer.KeyIDs(), ", "))
	pr := newProgress(stderr, "records")
	stats, err := rotation.Run(ctx, st, sealer, rotation.Options{
		Check:     check,
		BatchSize: *batch,
		Progress:  func(done, remaining int) { pr.update(done, done+remaining) },
		Logger:    newLogger(stderr, "warn", "text"),
	})
	pr.done()
	if err != nil {
		if errors.Is(err, rotation.ErrNodesLackKey) {
			fmt.Fprintf(stderr, "certgate master-key rotate: refused: %v\nRe-sealed %d records; the canary was not moved, so the old key is still needed.\n", err, stats.Resealed)
			return 1
		}
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "Interrupted after re-sealing %d records; run the same command again to resume.\n", stats.Resealed)
			return 1
		}
		fmt.Fprintf(stderr, "certgate master-key rotate: %v\nRe-sealed %d records before stopping; the old keys are still needed.\n", err, stats.Resealed)
		return 1
	}
	rate := ""
	if s := stats.Elapsed.Seconds(); stats.Resealed > 0 && s > 0 {
		rate = fmt.Sprintf(" (%.0f records/s)", float64(stats.Resealed)/s)
	}
	fmt.Fprintf(stdout, "Re-sealed %d records in %v%s.\n", stats.Resealed, stats.Elapsed.Round(time.Millisecond), rate)
	if stats.Raced > 0 {
		fmt.Fprintf(stdout, "%d records were changed by a server while being re-sealed; the server's writes were kept.\n", stats.Raced)
	}
	var old []string
	for _, id := range sealer.KeyIDs() {
		if id != cur {
			old = append(old, id)
		}
	}
	if len(old) == 0 {
		fmt.Fprintf(stdout, "All records are sealed under %s. No previous keys were loaded.\n", cur)
		return 0
	}
	fmt.Fprintf(stdout, "All records are sealed under %s. Remove %s from --previous-master-key-files on every node, "+
		"then the old key can be destroyed.\n", cur, strings.Join(old, ", "))
	return 0
}

// notifyContext stops a long command cleanly on SIGINT or SIGTERM.
func notifyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
}

// loadPreviousKeys reads the keys of --previous-master-key-files.
func loadPreviousKeys(cfg *Config) ([]*seal.MasterKey, error) {
	var keys []*seal.MasterKey
	for _, p := range strings.Split(cfg.PreviousMasterKeyFiles, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, err := seal.LoadMasterKeyFile(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("--previous-master-key-files: %s does not exist", p)
			}
			return nil, fmt.Errorf("--previous-master-key-files: %w", err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// withRotationHint adds the likeliest fix to a canary naming a key that is
// not loaded: after switching to a new key, the old one is still needed
// until the rotation is done.
func withRotationHint(err error) error {
	if !errors.Is(err, seal.ErrUnknownKey) {
		return err
	}
	return fmt.Errorf("%w; during a master key rotation the new key is --master-key-file and the old one goes in "+
		"--previous-master-key-files (CERTGATE_PREVIOUS_MASTER_KEY_FILES) until 'certgate master-key rotate' has finished", err)
}

// checkSealKeys refuses a sealer that lacks a key some record is sealed
// under, naming the missing ids.
func checkSealKeys(ctx context.Context, st store.Store, sealer *seal.Sealer) error {
	inUse, err := st.SealKeyIDs(ctx)
	if err != nil {
		return fmt.Errorf("list master keys in use: %w", err)
	}
	loaded := sealer.KeyIDs()
	var missing []string
	for _, id := range inUse {
		if id != "" && !slices.Contains(loaded, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("the database holds records sealed under master key %s, which is not loaded (loaded: %s): "+
		"add its key file to --previous-master-key-files (CERTGATE_PREVIOUS_MASTER_KEY_FILES), and run "+
		"'certgate master-key rotate' before retiring it", strings.Join(missing, ", "), strings.Join(loaded, ", "))
}

// progress shows a count going up on a terminal (in place, with \r) or in
// a log (a line about every second), with the rate and an ETA.
type progress struct {
	w        io.Writer
	unit     string
	tty      bool
	start    time.Time
	last     time.Time
	shown    bool
	lastDone int
	inLine   bool
}

func newProgress(w io.Writer, unit string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, unit: unit, tty: tty, start: time.Now()}
}

func (p *progress) update(done, total int) {
	if total <= 0 {
		return // nothing to do: say nothing
	}
	now := time.Now()
	interval := time.Second
	if p.tty {
		interval = 100 * time.Millisecond
	}
	final := done >= total && total > 0
	if p.shown && now.Sub(p.last) < interval && !final {
		return
	}
	if final && p.shown && p.lastDone == done {
		return
	}
	p.last, p.shown, p.lastDone = now, true, done
	line := p.format(done, total, now)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.inLine = true
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) format(done, total int, now time.Time) string {
	el := now.Sub(p.start)
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	s := fmt.Sprintf("%d/%d %s (%.0f%%)", done, total, p.unit, pct)
	if secs := el.Seconds(); secs > 0.2 && done > 0 {
		rate := float64(done) / secs
		s += fmt.Sprintf(", %.0f %s/s", rate, p.unit)
		if done < total {
			eta := time.Duration(float64(total-done) / rate * float64(time.Second))
			s += ", ETA " + eta.Round(time.Second).String()
		}
	}
	return s
}

// done ends the in-place line on a terminal.
func (p *progress) done() {
	if p.inLine {
		fmt.Fprintln(p.w)
		p.inLine = false
	}
}
