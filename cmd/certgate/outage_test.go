package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/smithy-go"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/apig/v2/model"

	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/internal/pgtest"
	"github.com/certgate/certgate/seal"
)

// TestPostgresOutage stops the database under a running server (a crash,
// then a fast shutdown, which ends sessions with 57P01): both dialects
// answer 503 with Retry-After in their own format, /healthz says so, the
// log gets a bounded number of ERROR lines, and once PostgreSQL is back,
// requests succeed again without restarting certgate.
func TestPostgresOutage(t *testing.T) {
	pg := pgtest.NewPrivate(t)
	key, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	db := pg.URL(t)
	s := startServer(t, func(c *Config) {
		c.Database, c.MasterKey, c.MasterKeyFile = db, key.Encode(), ""
		c.DBConnectTimeout = 2 * time.Second
	})
	acct := s.newAccount()
	ctx := context.Background()
	awsc := s.client(acct, "us-east-1")
	hw := s.hwClient(acct, "")
	if _, err := awsc.GenerateClientCertificate(ctx, &apigateway.GenerateClientCertificateInput{}); err != nil {
		t.Fatal(err)
	}

	mark, start, failed := len(s.logs.String()), time.Now(), 0
	for _, mode := range []string{"immediate", "fast"} {
		pg.Stop(t, mode)
		stopped := time.Now()
		const n = 40
		for i := 0; i < n; i++ {
			resp, body := s.do(acct, "GET", "/clientcertificates", nil, nil)
			var msg struct{ Message string }
			_ = json.Unmarshal(body, &msg)
			if resp.StatusCode != 503 || resp.Header.Get("x-amzn-ErrorType") != "ServiceUnavailableException" ||
				resp.Header.Get("Retry-After") == "" || msg.Message != "Service unavailable; retry later" {
				t.Fatalf("%s stop, AWS: %d %q Retry-After %q %s", mode, resp.StatusCode,
					resp.Header.Get("x-amzn-ErrorType"), resp.Header.Get("Retry-After"), body)
			}
			resp, body = s.hwDo(acct, "GET", "/apigw/certificates", nil)
			var hb map[string]string
			_ = json.Unmarshal(body, &hb)
			if resp.StatusCode != 503 || hb["error_code"] != "APIG.9999" || hb["request_id"] == "" ||
				resp.Header.Get("Retry-After") == "" {
				t.Fatalf("%s stop, Huawei: %d Retry-After %q %s", mode, resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
		}
		// The SDKs see the error code (API Gateway models it for some
		// operations only, so for these it is a generic API error) and
		// the status, which their retryers retry.
		_, err := awsc.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
		var ae smithy.APIError
		var re *awshttp.ResponseError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailableException" || !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
			t.Errorf("%s stop: aws-sdk-go-v2 got %v, want a 503 ServiceUnavailableException", mode, err)
		}
		if status, code, _ := hwErr(func() error { _, err := hw.ListCertificatesV2(&model.ListCertificatesV2Request{}); return err }()); status != 503 || code != "APIG.9999" {
			t.Errorf("%s stop: Huawei SDK got %d %s, want 503 APIG.9999", mode, status, code)
		}
		resp, body := s.do(nil, "GET", "/healthz", nil, nil)
		if resp.StatusCode != 503 || !strings.Contains(string(body), "database unavailable") {
			t.Errorf("%s stop: /healthz %d %s", mode, resp.StatusCode, body)
		}

		t.Logf("PostgreSQL stopped (-m %s): %d requests answered 503 in %v", mode, 2*n+2, time.Since(stopped).Round(time.Millisecond))
		failed += 2*n + 2

		pg.Start(t)
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := awsc.GetClientCertificates(ctx, &apigateway.GetClientCertificatesInput{})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after PostgreSQL restarted (-m %s): still %v", mode, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if _, err := hw.ListCertificatesV2(&model.ListCertificatesV2Request{}); err != nil {
			t.Errorf("Huawei after restart: %v", err)
		}
		if resp, _ := s.do(nil, "GET", "/healthz", nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("/healthz after restart: %d", resp.StatusCode)
		}
	}

	logs := s.logs.String()[mark:]
	errLines := strings.Count(logs, "level=ERROR")
	// One line per reason per interval, and the first is immediate.
	bound := 1 + int(time.Since(start)/api.UnavailableLogEvery)
	var shown []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "level=ERROR") && len(shown) < 3 {
			shown = append(shown, l)
		}
	}
	t.Logf("two outages: %d requests failed, %d ERROR log lines (bound %d):\n%s", failed, errLines, bound, strings.Join(shown, "\n"))
	if errLines > bound || errLines == 0 {
		t.Errorf("%d ERROR lines for %d failed requests, want 1..%d:\n%s", errLines, failed, bound, logs)
	}
	assertNoSecrets(t, "log", logs, acct.SecretAccessKey)
}
