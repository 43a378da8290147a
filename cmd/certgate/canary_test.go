package main

import (
	"testing"

	"github.com/certgate/certgate/rotation"
)

// The server reads and writes the master-key canary under metaSealCanary;
// rotation moves it under rotation.CanaryMetaKey. Two names for one meta
// row: if they drifted, a rotation would leave the servers checking a
// canary nobody updates, and every restart after it would refuse the new
// key. (open.go should say metaSealCanary = rotation.CanaryMetaKey; until
// then this pins them together.)
func TestCanaryMetaKeyIsRotations(t *testing.T) {
	if metaSealCanary != rotation.CanaryMetaKey {
		t.Fatalf("metaSealCanary = %q, rotation.CanaryMetaKey = %q", metaSealCanary, rotation.CanaryMetaKey)
	}
}
