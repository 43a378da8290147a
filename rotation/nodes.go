package rotation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certgate/certgate/store"
)

// ErrNodesLackKey means live nodes have not announced the key a rotation
// would move everything to; the error wrapping it names them.
var ErrNodesLackKey = errors.New("live nodes lack the new master key")

// LiveBeats is how many heartbeat intervals a node may miss and still count
// as live.
const LiveBeats = 3

// CheckNodes returns an error wrapping ErrNodesLackKey when a node seen at
// or after since (see store.Heartbeat) has not announced that it holds
// keyID. Such a node would fail every request for a record re-sealed
// under keyID. Nodes that never heartbeat (older versions) are not seen.
func CheckNodes(ctx context.Context, st store.Nodes, keyID string, since, now time.Time) error {
	nodes, err := st.ListNodes(ctx, since)
	if err != nil {
		return fmt.Errorf("list live nodes: %w", err)
	}
	var lacking []string
	for _, n := range nodes {
		if slices.Contains(n.KeyIDs, keyID) {
			continue
		}
		held := strings.Join(n.KeyIDs, ", ")
		if held == "" {
			held = "none"
		}
		lacking = append(lacking, fmt.Sprintf("node %s (host %s, address %s, seen %v ago) holds only %s",
			n.ID, n.Hostname, n.Addr, now.Sub(n.SeenAt).Round(time.Second), held))
	}
	if len(lacking) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d live node(s) have not announced master key %s: %s; they would answer 503 for every "+
		"record re-sealed under it. Restart each with --master-key-file holding %s (and the old key in "+
		"--previous-master-key-files), or pass --force to rotate anyway",
		ErrNodesLackKey, len(lacking), keyID, strings.Join(lacking, "; "), keyID)
}
