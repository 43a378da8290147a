package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/internal/pgtest"
)

// TestWatchRevision: a revision move committed on one handle is announced
// on another handle's watch channel, and the channel closes with its ctx.
func TestWatchRevision(t *testing.T) {
	url := pgtest.URL(t)
	writer, watcher := openT(t, url), openT(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	ch := watcher.WatchRevision(ctx)
	time.Sleep(200 * time.Millisecond) // let it LISTEN
	for len(ch) > 0 {
		<-ch
	}
	c := &certgate.Certificate{ID: "watched", Scope: certgate.Scope{AccountID: "123456789012"}, Kind: certgate.KindServer,
		CertificatePEM: "-", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := writer.CreateCertificate(ctx, c, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10 s of a committed revision move")
	}
	cancel()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the watch channel stayed open after its ctx ended")
		}
	}
}
