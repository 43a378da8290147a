package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate"
)

// fill inserts n certificates with 1 KiB descriptions.
func fill(t *testing.T, db *DB, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := db.CreateCertificate(context.Background(), backupCert(fmt.Sprintf("%s%06d", prefix, i)), 0); err != nil {
			t.Fatal(err)
		}
	}
}

func backupCert(id string) *certgate.Certificate {
	now := time.Now().UTC()
	desc := make([]byte, 1024)
	for i := range desc {
		desc[i] = 'a' + byte(i%26)
	}
	return &certgate.Certificate{
		ID: id, Scope: certgate.Scope{AccountID: "123456789012", Region: "us-east-1"}, Kind: certgate.KindClient,
		Description: string(desc), Tags: map[string]string{}, CertificatePEM: "pem", KeySealed: []byte("sealed"),
		SealKeyID: "mk-0000000000000000", CreatedAt: now, UpdatedAt: now,
	}
}

// TestBackupWhileWriting copies a database that another handle keeps
// writing to, and checks that the copy is one consistent moment: the quota
// counters (updated in the same transactions as the rows) match the rows.
func TestBackupWhileWriting(t *testing.T) {
	defer func(n int32) { backupStepPages = n }(backupStepPages)
	backupStepPages = 8
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	db := mustOpen(t, src)
	defer db.Close()
	fill(t, db, "a", 400)

	writer := mustOpen(t, src)
	defer writer.Close()
	var wrote atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := writer.CreateCertificate(context.Background(), backupCert(fmt.Sprintf("w%06d", i)), 0); err != nil {
				t.Error(err)
				return
			}
			wrote.Add(1)
		}
	}()

	dst := filepath.Join(dir, "out", "backup.db")
	if err := os.Mkdir(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	var calls [][2]int
	err := Backup(context.Background(), src, dst, func(done, total int) {
		calls = append(calls, [2]int{done, total})
		time.Sleep(2 * time.Millisecond) // let the writer commit between steps
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 3 {
		t.Fatalf("progress called %d times: %v", len(calls), calls)
	}
	for i, c := range calls {
		if c[1] != calls[0][1] || (i > 0 && c[0] <= calls[i-1][0]) {
			t.Fatalf("progress is not a steady climb to one total (a restarted copy?): %v", calls)
		}
	}
	if last := calls[len(calls)-1]; last[0] != last[1] {
		t.Errorf("last progress %v", last)
	}
	t.Logf("copied %d pages in %d steps while %d certificates were written", calls[0][1], len(calls), wrote.Load())
	if wrote.Load() == 0 {
		t.Error("the writer wrote nothing during the backup")
	}

	fi, err := os.Stat(dst)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v", fi, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dst)); len(entries) != 1 {
		t.Errorf("the output directory holds %d entries, want only the backup", len(entries))
	}

	raw, err := sql.Open("sqlite", fileURI(dst)+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	var rows, counted int
	if err := raw.QueryRow("SELECT count(*) FROM certificates").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow("SELECT coalesce(sum(n), 0) FROM cert_counts").Scan(&counted); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if rows < 400 || rows != counted {
		t.Errorf("copy holds %d certificates but counts %d", rows, counted)
	}

	// The copy opens as a store.
	cp := mustOpen(t, dst)
	if _, err := cp.GetCertificate(context.Background(), certgate.Scope{AccountID: "123456789012", Region: "us-east-1"}, certgate.KindClient, "a000399"); err != nil {
		t.Errorf("copy: %v", err)
	}
	cp.Close()

	// An existing output is refused and left alone.
	before, _ := os.ReadFile(dst)
	err = Backup(context.Background(), src, dst, nil)
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("backup over an existing file: %v", err)
	}
	if after, _ := os.ReadFile(dst); string(after) != string(before) {
		t.Error("the existing file was changed")
	}
}

func TestBackupErrors(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	db := mustOpen(t, src)
	fill(t, db, "a", 200)
	db.Close()

	if err := Backup(context.Background(), filepath.Join(dir, "missing.db"), filepath.Join(dir, "x.db"), nil); err == nil {
		t.Error("backup of a missing database succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("backup created the missing source")
	}
	if err := Backup(context.Background(), src, src, nil); err == nil {
		t.Error("backup onto itself succeeded")
	}

	// Cancelled half-way: no output and no temporary files.
	defer func(n int32) { backupStepPages = n }(backupStepPages)
	backupStepPages = 4
	ctx, cancel := context.WithCancel(context.Background())
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o700)
	err := Backup(ctx, src, filepath.Join(out, "b.db"), func(done, total int) {
		if done > total/2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled backup: %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a cancelled backup left %d files", len(entries))
	}
}
