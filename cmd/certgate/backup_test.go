package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/sqlite"
)

// TestBackupOnline backs up a database while a client keeps generating
// certificates, checks the copy, restores it as the README says, and
// serves from it.
func TestBackupOnline(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, stop := serveAt(t, dir, nil)
	dbPath := sqlitePath(s.Config.Database)
	boot := s.Bootstrap
	inv := &inventory{}
	seed(t, s, s.newAccount(), inv, 20)
	// Enough data for the copy to take several steps.
	scope := certgate.Scope{AccountID: boot.Account.ID, Region: "us-east-1"}
	for range 300 {
		c, err := s.Certs.GenerateClientCertificate(ctx, scope, certs.GenerateInput{Description: strings.Repeat("d", 1000)})
		if err != nil {
			t.Fatal(err)
		}
		inv.add(c.ID, scope, certgate.KindClient)
	}

	api := s.client(boot, "us-east-1")
	var (
		stopWriting atomic.Bool
		mu          sync.Mutex
		written     []string
		wrote       atomic.Int64
		wg          sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stopWriting.Load() {
			out, err := api.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{Description: aws.String(strings.Repeat("w", 1000))})
			if err != nil {
				t.Errorf("generate during backup: %v", err)
				return
			}
			mu.Lock()
			written = append(written, *out.ClientCertificateId)
			mu.Unlock()
			wrote.Add(1)
		}
	}()
	for wrote.Load() < 3 {
		time.Sleep(10 * time.Millisecond)
	}

	out := filepath.Join(dir, "backups", "certgate-backup.db")
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		t.Fatal(err)
	}
	var calls [][2]int
	before := wrote.Load()
	err := sqlite.Backup(ctx, dbPath, out, func(done, total int) {
		calls = append(calls, [2]int{done, total})
		time.Sleep(5 * time.Millisecond) // give the writer room between steps
	})
	during := wrote.Load() - before
	if err != nil {
		t.Fatal(err)
	}
	// What existed when the backup finished, and what came after it.
	mu.Lock()
	atBackup := len(written)
	mu.Unlock()
	time.Sleep(100 * time.Millisecond)
	stopWriting.Store(true)
	wg.Wait()
	t.Logf("backup: %d pages in %d steps; %d certificates were generated during it", calls[len(calls)-1][1], len(calls), during)
	if len(calls) < 3 {
		t.Errorf("progress called %d times", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] <= calls[i-1][0] {
			t.Errorf("progress did not increase: %v", calls)
			break
		}
	}
	if during == 0 {
		t.Error("no certificate was written during the backup")
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file mode: %v %v", fi, err)
	}

	// The copy passes integrity_check, opens as a store, and every sealed
	// value in it opens with the master key.
	raw, err := sql.Open("sqlite", out+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := raw.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	raw.Close()
	key, err := seal.LoadMasterKeyFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer := seal.NewSealer(key)
	cp, err := sqlite.Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	items, err := cp.ListSealed(ctx, "none", store.SealedCursor{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	nCerts := 0
	for _, it := range items {
		aad := certgate.SecretAAD(it.ID)
		if it.Type == store.SealedCertificateKey {
			aad = certgate.KeyAAD(it.ID, it.AccountID, it.Kind)
			nCerts++
		}
		if _, err := sealer.Open(it.Envelope, it.KeyID, aad); err != nil {
			t.Fatalf("%s %s in the backup: %v", it.Type, it.ID, err)
		}
	}
	cp.Close()
	if nCerts < len(inv.m)+int(before) {
		t.Errorf("the backup holds %d certificates, but %d existed when it started", nCerts, len(inv.m)+int(before))
	}

	// The CLI: an existing file is refused, --force replaces it.
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"backup", "--database", s.Config.Database, "--out", out}, &stdout, &stderr, noEnv); code != 1 || !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("backup over an existing file: exit %d %s", code, stderr.String())
	}
	stop()
	mu.Lock()
	after := append([]string(nil), written[atBackup:]...)
	mu.Unlock()

	// Restore: server stopped; copy the backup over the database; remove the
	// -wal and -shm files; start with the same key.
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(dbPath + "-wal")
	os.Remove(dbPath + "-shm")
	s2, _ := serveAt(t, dir, nil)
	// What was acknowledged before the backup started is in it; what came
	// during it may be (the snapshot is the moment the copy began); what
	// came after it is not.
	for _, id := range written[:before] {
		inv.add(id, scope, certgate.KindClient)
	}
	if n := inv.checkKeys(t, s2); n < len(inv.m) || n > len(inv.m)+atBackup-int(before) || n != nCerts {
		t.Errorf("restored database holds %d certificates, want %d (the backup's), between %d and %d", n, nCerts, len(inv.m), len(inv.m)+atBackup-int(before))
	}
	api2 := s2.client(boot, "us-east-1")
	for _, id := range []string{written[0], written[before-1]} {
		if _, err := api2.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String(id)}); err != nil {
			t.Errorf("certificate %s from the backup: %v", id, err)
		}
	}
	for _, id := range after {
		if _, err := api2.GetClientCertificate(ctx, &apigateway.GetClientCertificateInput{ClientCertificateId: aws.String(id)}); err == nil {
			t.Errorf("certificate %s made after the backup exists after the restore", id)
		}
	}
	t.Logf("restored: %d certificates serve, %d made after the backup are gone", nCerts, len(after))
}

func TestBackupCLI(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, stop := serveAt(t, dir, nil)
	db := s.Config.Database
	out := filepath.Join(dir, "b.db")
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"backup", "--database", db, "--out", out}, &stdout, &stderr, noEnv); code != 0 {
		t.Fatalf("backup: exit %d %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "integrity check ok") {
		t.Errorf("backup output: %s", stdout.String())
	}
	s.newAccount()
	stdout.Reset()
	stderr.Reset()
	// The environment names the database too, and --force replaces.
	env := func(k string) string {
		if k == "CERTGATE_DATABASE" {
			return db
		}
		return ""
	}
	if code := run(ctx, []string{"backup", "--out", out, "--force"}, &stdout, &stderr, env); code != 0 {
		t.Fatalf("backup --force: exit %d %s", code, stderr.String())
	}
	stop()
	cp, err := sqlite.Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := cp.CountAccounts(ctx); err != nil || n != 2 {
		t.Errorf("the replaced backup holds %d accounts (%v), want 2", n, err)
	}
	cp.Close()
	if entries, _ := filepath.Glob(filepath.Join(dir, ".b.db*")); len(entries) > 0 {
		t.Errorf("temporary files left: %v", entries)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"backup", "--database", "postgres://certgate:s3cret@db.example:5432/certgate", "--out", filepath.Join(dir, "pg.db")}, 1, "pg_dump --format=custom --file=certgate.dump 'postgres://certgate:xxxxx@db.example:5432/certgate'"},
		{[]string{"backup", "--database", db}, 2, "--out FILE is required"},
		{[]string{"backup", "--database", "sqlite:" + filepath.Join(dir, "none.db"), "--out", filepath.Join(dir, "x.db")}, 1, "no database at"},
		{[]string{"backup", "--database", "mysql://x", "--out", filepath.Join(dir, "x.db")}, 2, "must be sqlite:PATH"},
	} {
		stdout.Reset()
		stderr.Reset()
		code := run(ctx, tc.args, &stdout, &stderr, noEnv)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, %s; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
		if strings.Contains(stderr.String(), "s3cret") {
			t.Error("the password was printed")
		}
	}
	for _, f := range []string{"pg.db", "x.db", "none.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was created", f)
		}
	}
	stdout.Reset()
	if code := run(ctx, []string{"backup", "--help"}, &stdout, &stderr, noEnv); code != 0 || !strings.Contains(stdout.String(), "-wal and -shm") {
		t.Errorf("backup --help: exit %d\n%s", code, stdout.String())
	}
}
