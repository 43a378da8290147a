// Package rotation re-seals every sealed value in a store — certificate
// private keys and access-key secrets — under the current master key, so
// that an older master key can be retired.
//
// It works online: servers keep running with the new key as current and the
// old one as previous, so they open both and seal new data under the new
// one. Each value is swapped with a compare-and-swap on its key id
// (store.Reseal), so a concurrent update is never overwritten; a value that
// changed meanwhile is simply listed again on the next pass if it is still
// under an old key. Nothing is kept between runs: an interrupted rotation is
// resumed by running it again.
package rotation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// CanaryMetaKey is the meta key under which the master key canary
// (seal.Sealer.Canary) is stored; cmd/certgate uses the same name.
const CanaryMetaKey = "seal_canary"

// Defaults of Options.
const (
	DefaultBatchSize = 500
	DefaultMaxPasses = 10
)

// ErrIncomplete means values are still sealed under other keys when Run
// gave up; the error wrapping it says how many and which keys.
var ErrIncomplete = errors.New("rotation incomplete")

// Options tune Run. The zero value is usable.
type Options struct {
	// BatchSize is how many values are listed per store read (default 500).
	BatchSize int
	// MaxPasses bounds the passes over the store (default 10). A pass is
	// needed again only for values that changed under an old key while the
	// previous pass ran, which means some node still seals with an old key.
	MaxPasses int
	// Progress, when set, is called at the start, after every batch and at
	// the end with the values re-sealed so far and an estimate of those
	// left. It runs on Run's goroutine.
	Progress func(done, remaining int)
	// Logger receives warnings (unreadable values, lost races); nil
	// discards them.
	Logger *slog.Logger
	// Check, when set, is called before anything is re-sealed and again
	// before the canary moves; an error stops the run there (the command
	// passes CheckNodes, so that a live node lacking the new key is not
	// stranded).
	Check func(ctx context.Context) error
}

// Stats describes a run.
type Stats struct {
	KeyID          string        // the current key everything was sealed under
	Found          int           // values under other keys when the run started
	Resealed       int           // values this run re-sealed
	Raced          int           // values that changed concurrently before they could be swapped
	Failed         []string      // values that do not open (corrupt): "type/id"
	Passes         int           // passes over the store
	CanaryResealed bool          // the canary was moved to the current key by this run
	Elapsed        time.Duration // wall time of the run
}

// Store is what rotation needs of the store: the sealed values and the
// canary's meta row.
type Store interface {
	store.Sealed
	store.Meta
}

// Run re-seals, under sealer's current key, every value the store holds
// under any other key, then moves the master-key canary to the current key.
// The sealer must have every key in use loaded (current and previous).
//
// Run is idempotent: after an interruption (ctx cancelled, crash) running
// it again finishes the job, and on a store that is already rotated it does
// nothing. It returns an error wrapping ErrIncomplete when values remain
// under old keys after opts.MaxPasses passes, and an error naming the
// values that failed to open (seal.ErrDecrypt) after re-sealing the rest;
// in both cases the canary stays where it was, because the old key is
// still needed.
func Run(ctx context.Context, st Store, sealer *seal.Sealer, opts Options) (stats Stats, err error) {
	start := time.Now()
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.MaxPasses <= 0 {
		opts.MaxPasses = DefaultMaxPasses
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cur := sealer.CurrentKeyID()
	stats.KeyID = cur
	defer func() { stats.Elapsed = time.Since(start) }()

	if opts.Check != nil {
		if err := opts.Check(ctx); err != nil {
			return stats, err
		}
	}
	// Counting first costs one read of the envelopes but gives the operator
	// a total and an ETA.
	total, err := count(ctx, st, cur, opts.BatchSize)
	if err != nil {
		return stats, err
	}
	stats.Found = total
	progress := func() {
		if opts.Progress != nil {
			opts.Progress(stats.Resealed, max(total-stats.Resealed, 0))
		}
	}
	progress()

	failed := map[store.SealedCursor]bool{}
	for {
		if stats.Passes == opts.MaxPasses {
			left, keys, err := remaining(ctx, st, cur, opts.BatchSize, failed)
			if err != nil {
				return stats, err
			}
			if left > 0 {
				return stats, fmt.Errorf("%w: after %d passes, %d values are still sealed under %s: a node may still be sealing "+
					"new data with an old key as current; give every node --master-key-file with key %s, then run the rotation again",
					ErrIncomplete, stats.Passes, left, strings.Join(keys, ", "), cur)
			}
			break
		}
		stats.Passes++
		racedBefore := stats.Raced
		// A pass may see values created during it (ids are random), so it
		// is bounded, or a node sealing with an old key could keep it going.
		limit := 2*total + opts.BatchSize
		seen, err := pass(ctx, st, sealer, opts, limit, &stats, failed, progress, log)
		raced := stats.Raced - racedBefore
		if err != nil {
			return stats, err
		}
		if seen == 0 {
			break
		}
		// Values that changed meanwhile may still be under an old key: the
		// next pass lists them again.
		total = max(total, stats.Resealed+raced)
	}
	total = stats.Resealed // some may have been deleted meanwhile
	progress()

	if len(stats.Failed) > 0 {
		slices.Sort(stats.Failed)
		return stats, fmt.Errorf("%d sealed values do not open with their master key and were left as they are (corrupt rows?): %s; "+
			"the old key cannot be retired until they are deleted or repaired", len(stats.Failed), strings.Join(firstN(stats.Failed, 10), ", "))
	}
	if opts.Check != nil {
		if err := opts.Check(ctx); err != nil {
			return stats, err
		}
	}
	moved, err := resealCanary(ctx, st, sealer)
	if err != nil {
		return stats, err
	}
	stats.CanaryResealed = moved
	return stats, nil
}

// pass walks the store once from the start, or until it has seen limit
// values, and re-seals what it finds. It returns how many values (other
// than known failures) it saw.
func pass(ctx context.Context, st Store, sealer *seal.Sealer, opts Options, limit int, stats *Stats,
	failed map[store.SealedCursor]bool, progress func(), log *slog.Logger) (int, error) {
	cur := sealer.CurrentKeyID()
	var cursor store.SealedCursor
	seen := 0
	for {
		if err := ctx.Err(); err != nil {
			return seen, err
		}
		items, err := st.ListSealed(ctx, cur, cursor, opts.BatchSize)
		if err != nil {
			return seen, fmt.Errorf("list sealed values: %w", err)
		}
		if len(items) == 0 || seen >= limit {
			return seen, nil
		}
		for _, it := range items {
			cursor = store.SealedCursor{Type: it.Type, ID: it.ID}
			if failed[cursor] {
				continue
			}
			seen++
			swapped, err := reseal(ctx, st, sealer, it)
			switch {
			case errors.Is(err, seal.ErrDecrypt):
				// One corrupt row must not block the others; it is reported
				// at the end and keeps the old key needed.
				failed[cursor] = true
				stats.Failed = append(stats.Failed, it.Type+"/"+it.ID)
				log.Warn("sealed value does not open; left as it is", slog.String("type", it.Type),
					slog.String("id", it.ID), slog.String("key_id", it.KeyID), slog.Any("error", err))
			case errors.Is(err, seal.ErrUnknownKey):
				return seen, fmt.Errorf("%s %s is sealed under master key %s, which is not loaded: add its key file to "+
					"--previous-master-key-files and run the rotation again", it.Type, it.ID, it.KeyID)
			case err != nil:
				return seen, err
			case swapped:
				stats.Resealed++
			default:
				stats.Raced++
				log.Debug("sealed value changed during rotation; will look again", slog.String("type", it.Type), slog.String("id", it.ID))
			}
		}
		progress()
	}
}

// reseal opens one value and swaps in a new envelope under the current key.
func reseal(ctx context.Context, st Store, sealer *seal.Sealer, it store.SealedItem) (bool, error) {
	var aad []byte
	switch it.Type {
	case store.SealedCertificateKey:
		aad = certgate.KeyAAD(it.ID, it.AccountID, it.Kind)
	case store.SealedAccessKey:
		aad = certgate.SecretAAD(it.ID)
	default:
		return false, fmt.Errorf("unknown sealed value type %q (id %s): is this binary older than the database?", it.Type, it.ID)
	}
	pt, err := sealer.Open(it.Envelope, it.KeyID, aad)
	if err != nil {
		return false, err
	}
	env, keyID, err := sealer.Seal(pt, aad)
	clear(pt)
	if err != nil {
		return false, err
	}
	ok, err := st.Reseal(ctx, it, env, keyID)
	if err != nil {
		return false, fmt.Errorf("reseal %s %s: %w", it.Type, it.ID, err)
	}
	return ok, nil
}

// count returns how many values are sealed under keys other than cur.
func count(ctx context.Context, st Store, cur string, batch int) (int, error) {
	n, _, err := remaining(ctx, st, cur, batch, nil)
	return n, err
}

// remaining counts the values under keys other than cur, except skip, and
// names those keys.
func remaining(ctx context.Context, st Store, cur string, batch int, skip map[store.SealedCursor]bool) (int, []string, error) {
	var cursor store.SealedCursor
	n := 0
	var keys []string
	for {
		items, err := st.ListSealed(ctx, cur, cursor, batch)
		if err != nil {
			return 0, nil, fmt.Errorf("list sealed values: %w", err)
		}
		if len(items) == 0 {
			return n, keys, nil
		}
		for _, it := range items {
			cursor = store.SealedCursor{Type: it.Type, ID: it.ID}
			if skip[cursor] {
				continue
			}
			n++
			if !slices.Contains(keys, it.KeyID) {
				keys = append(keys, it.KeyID)
			}
		}
	}
}

// resealCanary moves the canary to the current key, last, so that "the
// canary is under the new key" means "the rotation finished". It reports
// whether it changed anything.
func resealCanary(ctx context.Context, st Store, sealer *seal.Sealer) (bool, error) {
	cur := sealer.CurrentKeyID()
	for attempt := 0; attempt < 3; attempt++ {
		stored, err := st.GetMeta(ctx, CanaryMetaKey)
		if certgate.ErrorCode(err) == certgate.ENotFound {
			return false, nil // nothing was ever sealed here
		}
		if err != nil {
			return false, fmt.Errorf("read master key canary: %w", err)
		}
		if CanaryKeyID(stored) == cur {
			return false, nil
		}
		// Never replace a canary that the loaded keys cannot vouch for: it
		// is the database's record of which key it belongs to.
		if err := sealer.CheckCanary(stored); err != nil {
			return false, fmt.Errorf("master key canary: %w", err)
		}
		fresh, err := sealer.Canary()
		if err != nil {
			return false, err
		}
		ok, err := st.SwapMeta(ctx, CanaryMetaKey, stored, fresh)
		if err != nil {
			return false, fmt.Errorf("replace master key canary: %w", err)
		}
		if ok {
			return true, nil
		}
		// Another rotation run swapped it first; look again.
	}
	return false, errors.New("master key canary keeps changing: is another rotation with a different key running?")
}

// CanaryKeyID returns the master key id a stored canary names, or "" when
// it is malformed. (Format: "cgcanary1.<key id>.<envelope>", see seal.)
func CanaryKeyID(stored string) string {
	parts := strings.Split(strings.TrimSpace(stored), ".")
	if len(parts) != 3 {
		return ""
	}
	return parts[1]
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(slices.Clone(s[:n]), fmt.Sprintf("and %d more", len(s)-n))
}
