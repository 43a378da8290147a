package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestAdminCommandsValidate: the commands that open the master key check
// their settings as serve does, and refuse a bad one with serve's message,
// before they touch the database.
func TestAdminCommandsValidate(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	acct := s.newAccount()
	runIt := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(ctx, args, &stdout, &stderr, noEnv)
		return code, stdout.String(), stderr.String()
	}
	for _, bad := range [][]string{
		{"--db-max-conns", "0"},
		{"--db-connect-timeout", "-1s"},
		{"--heartbeat-interval", "1ms"},
	} {
		cmds := [][]string{
			{"account", "create"},
			{"token", "create", "--access-key-id", acct.AccessKeyID},
			{"access-key", "create", "--account-id", acct.Account.ID},
			{"master-key", "rotate"},
		}
		if bad[0] == "--heartbeat-interval" {
			cmds = cmds[3:] // only serve and rotate have it
		}
		serveArgs := append([]string{"serve", "--addr", "127.0.0.1:0", "--database", s.Config.Database}, bad...)
		code, _, serveErr := runIt(serveArgs...)
		msg, ok := strings.CutPrefix(serveErr, "certgate serve: ")
		if code != 1 || !ok || !strings.Contains(msg, bad[0]) {
			t.Fatalf("serve %v: exit %d, %q", bad, code, serveErr)
		}
		for _, cmd := range cmds {
			args := append(append(cmd, "--database", s.Config.Database), bad...)
			code, stdout, stderr := runIt(args...)
			want := "certgate " + cmd[0] + " " + cmd[1] + ": " + msg
			if code != 1 || stdout != "" || stderr != want {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, code, stdout, stderr, want)
			}
		}
	}
}
