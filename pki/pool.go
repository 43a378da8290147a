package pki

import (
	"context"
	"crypto"
	"crypto/rand"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// PoolOptions configures a KeyPool.
type PoolOptions struct {
	KeyType KeyType
	// Size is the capacity. 0 disables pooling: Get always generates inline.
	Size int
	// Workers is the number of background generator goroutines; default 1,
	// which leaves the other core(s) for serving requests.
	Workers int
	// Random is the random source (default crypto/rand.Reader). Workers and
	// inline Gets read it concurrently, so it must be safe for that.
	Random io.Reader
	// Logger receives worker start/stop and generation errors; default
	// discards.
	Logger *slog.Logger
	// RetryDelay is how long a worker waits after a failed generation before
	// trying again, so a broken random source cannot make it spin; default 1s.
	RetryDelay time.Duration
}

// KeyPool holds up to Size pre-generated private keys, refilled in the
// background, so that bursts of certificate generation do not each pay for
// RSA key generation (~50 ms of CPU per 2048-bit key).
//
// Free capacity is tracked by slot tokens: a worker takes a token before
// generating and turns it into a key afterwards, and Get turns a key back
// into a token. Workers therefore block (never spin) when the pool is full,
// and never generate more keys than fit.
type KeyPool struct {
	kt         KeyType
	size       int
	workers    int
	random     io.Reader
	log        *slog.Logger
	retryDelay time.Duration

	keys  chan crypto.Signer // ready keys; cap size
	slots chan struct{}      // free capacity; cap size, starts full

	mu      sync.Mutex
	started bool
	closed  bool
	stop    chan struct{} // closed by Close
	wg      sync.WaitGroup

	hits, misses atomic.Uint64

	// gen generates one key; GenerateKey except in tests, which substitute
	// slow or counting generators.
	gen func(KeyType, io.Reader) (crypto.Signer, error)
}

// NewKeyPool returns a pool that is empty until Start is called.
func NewKeyPool(opts PoolOptions) *KeyPool {
	p := &KeyPool{
		kt:         opts.KeyType,
		size:       max(opts.Size, 0),
		workers:    opts.Workers,
		random:     opts.Random,
		log:        opts.Logger,
		retryDelay: opts.RetryDelay,
		stop:       make(chan struct{}),
		gen:        GenerateKey,
	}
	if p.kt == "" {
		p.kt = RSA2048
	}
	if p.workers <= 0 {
		p.workers = 1
	}
	if p.random == nil {
		p.random = rand.Reader
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.retryDelay <= 0 {
		p.retryDelay = time.Second
	}
	p.keys = make(chan crypto.Signer, p.size)
	p.slots = make(chan struct{}, p.size)
	for range p.size {
		p.slots <- struct{}{}
	}
	return p
}

// Start launches the background refill, which runs until ctx is cancelled or
// Close is called. Calls after the first, and calls after Close, do nothing.
// With Size 0 there is nothing to refill and no goroutine is started.
func (p *KeyPool) Start(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.closed || p.size == 0 {
		return
	}
	p.started = true
	p.log.Debug("key pool starting", "key_type", string(p.kt), "size", p.size, "workers", p.workers)
	for i := range p.workers {
		p.wg.Add(1)
		go p.work(ctx, i)
	}
}

func (p *KeyPool) work(ctx context.Context, id int) {
	defer p.wg.Done()
	defer p.log.Debug("key pool worker stopped", "worker", id)
	for {
		// Wait for free capacity, or for the end.
		select {
		case <-p.slots:
		case <-p.stop:
			return
		case <-ctx.Done():
			return
		}
		// Both channels may be ready at once; prefer stopping, so Close is
		// not delayed by one more generation.
		select {
		case <-p.stop:
			p.slots <- struct{}{}
			return
		case <-ctx.Done():
			p.slots <- struct{}{}
			return
		default:
		}
		k, err := p.gen(p.kt, p.random)
		if err != nil {
			p.slots <- struct{}{}
			p.log.Error("key pool: key generation failed", "worker", id, "err", err)
			t := time.NewTimer(p.retryDelay)
			select {
			case <-t.C:
			case <-p.stop:
				t.Stop()
				return
			case <-ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		// Cannot block: the slot taken above reserves room in keys.
		p.keys <- k
	}
}

// Get returns a pre-generated key if one is ready, and otherwise generates
// one inline. Every key is handed out at most once. If ctx is already done,
// Get returns ctx.Err() without consuming a key; inline generation itself is
// not interruptible. Taking a pooled key frees a slot, which wakes a worker
// to refill it. Get keeps working after Close, generating inline once the
// remaining keys are gone.
func (p *KeyPool) Get(ctx context.Context) (crypto.Signer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case k := <-p.keys:
		p.slots <- struct{}{} // cannot block: the key held this slot
		p.hits.Add(1)
		return k, nil
	default:
	}
	p.misses.Add(1)
	return p.gen(p.kt, p.random)
}

// Len returns the number of keys ready now.
func (p *KeyPool) Len() int { return len(p.keys) }

// Cap returns the pool's capacity (PoolOptions.Size).
func (p *KeyPool) Cap() int { return p.size }

// KeyType returns the type of key the pool hands out.
func (p *KeyPool) KeyType() KeyType { return p.kt }

// Close stops the workers and waits for them. A worker in the middle of
// generating a key finishes that key first (RSA generation cannot be
// interrupted), so Close waits at most about one generation. Close is
// idempotent and safe on a pool that was never started.
func (p *KeyPool) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.stop)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Stats returns how many Gets were served from the pool (hits) and how many
// generated inline (misses).
func (p *KeyPool) Stats() (hits, misses uint64) {
	return p.hits.Load(), p.misses.Load()
}
