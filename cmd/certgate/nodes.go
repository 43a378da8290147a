package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/certgate/certgate/rotation"
	"github.com/certgate/certgate/store"
)

// sealKeyCheckEvery bounds how often the heartbeat lists every master key
// in use (a scan of the seal-key indexes); the canary is read every beat.
const sealKeyCheckEvery = 30 * time.Second

// node is this server as the other processes see it: a row in the nodes
// table, refreshed every --heartbeat-interval, naming the master keys it
// holds; and the keys the database uses that it lacks, for /healthz.
type node struct {
	id string

	mu        sync.Mutex
	missing   []string // master key ids in use in the database but not loaded
	scanned   []string // the key ids of every sealed value, at lastScan
	lastScan  time.Time
	beatFails bool
}

func newNodeID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "node-" + hex.EncodeToString(b)
}

// missingKeys returns the key ids the node lacks, as last checked.
func (n *node) missingKeys() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.missing)
}

// heartbeat beats once at once, then every interval until ctx is done,
// then removes the node's row: a node that stopped cleanly is not live.
func (m *Main) heartbeat(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(m.Config.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := m.Store.DeleteNode(dctx, m.node.id); err != nil {
				m.Logger.Warn("could not remove this node from the nodes table; it stops counting as live after 3 missed heartbeats",
					slog.String("node", m.node.id), slog.String("error", err.Error()))
			}
			return
		case <-t.C:
			m.beat(ctx)
		}
	}
}

// beat records the node and checks its keys against the database. Failures
// are logged when they start and when they end, not every beat: a database
// outage is reported by the requests and /healthz already.
func (m *Main) beat(ctx context.Context) {
	bctx, cancel := context.WithTimeout(ctx, max(m.Config.HeartbeatInterval, 2*time.Second))
	defer cancel()
	host, _ := os.Hostname()
	err := m.Store.Heartbeat(bctx, store.NodeInfo{ID: m.node.id, Hostname: host, Addr: m.Addr(),
		KeyIDs: m.Sealer.KeyIDs(), SeenAt: time.Now()})
	n := &m.node
	n.mu.Lock()
	failed := n.beatFails
	n.beatFails = err != nil
	n.mu.Unlock()
	switch {
	case err != nil && !failed:
		m.Logger.Warn("heartbeat failed", slog.String("node", n.id), slog.String("error", err.Error()))
	case err == nil && failed:
		m.Logger.Info("heartbeat recovered", slog.String("node", n.id))
	}
	if err == nil {
		m.checkKeys(bctx)
	}
}

// checkKeys finds master keys the database uses that this node lacks: the
// canary's (a finished rotation moved it) every beat, every record's at
// most every sealKeyCheckEvery. A read that fails changes nothing.
func (m *Main) checkKeys(ctx context.Context) {
	loaded := m.Sealer.KeyIDs()
	var inUse []string
	if v, err := m.Store.GetMeta(ctx, metaSealCanary); err == nil {
		if id := rotation.CanaryKeyID(v); id != "" {
			inUse = append(inUse, id)
		}
	}
	n := &m.node
	n.mu.Lock()
	scanned := n.scanned
	scan := time.Since(n.lastScan) >= sealKeyCheckEvery
	prev := slices.Clone(n.missing)
	n.mu.Unlock()
	if scan {
		ids, err := m.Store.SealKeyIDs(ctx)
		if err != nil {
			return
		}
		scanned = ids
	}
	// Between scans, what the last one found still counts.
	inUse = append(inUse, scanned...)
	var missing []string
	for _, id := range inUse {
		if id != "" && !slices.Contains(loaded, id) && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	n.mu.Lock()
	n.missing = missing
	if scan {
		n.scanned, n.lastScan = scanned, time.Now()
	}
	n.mu.Unlock()
	switch {
	case len(missing) > 0 && !slices.Equal(missing, prev):
		m.Logger.Error("the database holds data sealed under master keys this node does not hold: requests that need them answer 503 and /healthz answers 503; restart the node with the key in --master-key-file or --previous-master-key-files",
			slog.String("missing_master_keys", strings.Join(missing, ",")), slog.String("loaded", strings.Join(loaded, ",")))
	case len(missing) == 0 && len(prev) > 0:
		m.Logger.Info("every master key the database uses is loaded again")
	}
}

// keyHealth is /healthz's view of the keys: "" when every key in use is
// loaded, else the missing ids.
func (m *Main) keyHealth() string {
	return strings.Join(m.node.missingKeys(), ",")
}
