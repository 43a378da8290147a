package certs

import (
	"context"
	"crypto/x509/pkix"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/certgate/certgate"
)

// WithClock and WithRandom are what make the core's times, ids and serials
// reproducible in tests: the same clock and random stream give the same
// record, and every time the core writes comes from the clock.
func TestInjectedClockAndRandom(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	generate := func() (*Service, *certgate.Certificate, *time.Time) {
		svc, _ := newTestService(t)
		now := start
		WithClock(func() time.Time { return now })(svc)
		WithRandom(mathrand.NewChaCha8([32]byte{7}))(svc)
		svc.keys = ecdsaKeys{}
		svc.cfg.ClientTemplate.Subject = pkix.Name{CommonName: "ApiGateway"}
		c, err := svc.GenerateClientCertificate(ctx, awsScope, GenerateInput{})
		if err != nil {
			t.Fatal(err)
		}
		return svc, c, &now
	}
	svc, a, now := generate()
	_, b, _ := generate()
	if a.ID != b.ID || a.SerialNumber != b.SerialNumber {
		t.Errorf("same random stream, different records: id %s/%s serial %s/%s", a.ID, b.ID, a.SerialNumber, b.SerialNumber)
	}
	if !a.CreatedAt.Equal(start) || !a.UpdatedAt.Equal(start) {
		t.Errorf("created %v updated %v, want the injected clock %v", a.CreatedAt, a.UpdatedAt, start)
	}
	if a.NotBefore.After(start) || a.NotBefore.Before(start.Add(-24*time.Hour)) || !a.NotAfter.After(start) {
		t.Errorf("validity %v..%v does not follow the injected clock %v", a.NotBefore, a.NotAfter, start)
	}
	*now = start.Add(time.Hour)
	c, err := svc.SetDescription(ctx, awsScope, certgate.KindClient, a.ID, "later")
	if err != nil {
		t.Fatal(err)
	}
	if !c.UpdatedAt.Equal(*now) || !c.CreatedAt.Equal(start) {
		t.Errorf("after an update: created %v updated %v, want %v and %v", c.CreatedAt, c.UpdatedAt, start, *now)
	}
}
