package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/gwconfig"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/restapi"
	"github.com/certgate/certgate/store/postgres"
)

// Config is every setting of certgate serve. It is filled in this order:
// defaults, then environment variables, then flags; then Validate.
type Config struct {
	Addr                     string
	Database                 string
	MasterKeyFile            string
	MasterKey                string // from CERTGATE_MASTER_KEY only: a flag would show in ps
	PreviousMasterKeyFiles   string // comma-separated; keys that open records but never seal new ones
	BootstrapCredentialsFile string
	ClientCertificateQuota   int
	ServerCertificateQuota   int
	RestAPIQuota             int // REST APIs per account and region
	ResourceQuota            int // resources per REST API, the root included
	StageQuota               int // stages per REST API
	RateLimit                float64
	RateBurst                int
	KeyPoolSize              int
	KeyPoolWorkers           int
	ClientKeyType            string
	ClientCertValidity       time.Duration
	ClientCertSubject        string
	MaxBodyBytes             int64
	MaxBodiesInFlight        int
	MaxConnsPerClient        int
	Regions                  string // comma-separated; "" means AWS's public regions
	ShutdownTimeout          time.Duration
	ShutdownDelay            time.Duration
	DBMaxConns               int
	DBMinConns               int
	DBMaxConnLifetime        time.Duration
	DBMaxConnIdleTime        time.Duration
	DBConnectTimeout         time.Duration
	LogLevel                 string
	LogFormat                string
	AccessKeyCacheTTL        time.Duration
	HeartbeatInterval        time.Duration
	GatewayDomainSuffix      string
	// Gateway is "on" to run the data plane's listeners on this node.
	Gateway              string
	GatewayDefaultDomain string
	// GatewayHTTPAddr and GatewayHTTPSAddr are listen addresses, or "off"
	// / "off:PORT" (process.go).
	GatewayHTTPAddr       string
	GatewayHTTPSAddr      string
	GatewayUpstreamCAFile string
	// GatewayUpstreamDeny is a comma-separated list of CIDR prefixes the
	// gateway never connects to as a backend.
	GatewayUpstreamDeny string
}

// DefaultConfig returns the defaults: loopback only, embedded SQLite under
// ./certgate-data, AWS's quota and certificate shape.
func DefaultConfig() Config {
	return Config{
		Addr:                   "127.0.0.1:8080",
		Database:               "sqlite:certgate-data/certgate.db",
		ClientCertificateQuota: certs.DefaultClientQuota,
		ServerCertificateQuota: certs.DefaultServerQuota,
		RestAPIQuota:           restapi.DefaultRestAPIQuota,
		ResourceQuota:          restapi.DefaultResourceQuota,
		StageQuota:             restapi.DefaultStageQuota,
		RateLimit:              50,
		RateBurst:              100,
		KeyPoolSize:            40,
		KeyPoolWorkers:         1,
		ClientKeyType:          string(pki.RSA2048),
		ClientCertValidity:     pki.DefaultValidity,
		ClientCertSubject:      "C=US, L=Seattle, CN=ApiGateway",
		MaxBodyBytes:           api.DefaultMaxBodyBytes,
		MaxBodiesInFlight:      api.DefaultBodiesInFlight,
		MaxConnsPerClient:      api.DefaultMaxConnsPerClient,
		ShutdownTimeout:        30 * time.Second,
		DBMaxConns:             10,
		DBMaxConnLifetime:      30 * time.Minute,
		DBMaxConnIdleTime:      5 * time.Minute,
		DBConnectTimeout:       10 * time.Second,
		LogLevel:               "info",
		LogFormat:              "text",
		AccessKeyCacheTTL:      accounts.DefaultCacheTTL,
		HeartbeatInterval:      5 * time.Second,
		GatewayDomainSuffix:    gwconfig.DefaultDomainSuffix,
		Gateway:                "on",
		GatewayHTTPAddr:        "127.0.0.1:8081",
		GatewayHTTPSAddr:       "127.0.0.1:8443",
		GatewayUpstreamDeny:    DefaultUpstreamDeny,
	}
}

// DefaultUpstreamDeny keeps tenants' backends off the machine's link-local
// networks, where cloud metadata services answer (169.254.169.254 holds
// the instance's credentials), and off the unspecified addresses (which
// Linux dials as loopback). Loopback and private ranges stay allowed: a
// self-hosted gateway's backends often live there.
const DefaultUpstreamDeny = "169.254.0.0/16,fe80::/10,0.0.0.0/32,::/128"

// upstreamDeny parses --gateway-upstream-deny.
func upstreamDeny(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, err2 := netip.ParseAddr(f)
			if err2 != nil {
				return nil, fmt.Errorf("%q is neither a CIDR prefix nor an IP address", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// setting is one configurable value: its flag, its environment variable and
// where it is stored.
type setting struct {
	flag, env, usage string
	value            flag.Value
}

// scope names the commands a setting is read by.
type scope int

const (
	// storeScope is what every command that opens an existing database
	// reads: the database, its pool, and the master keys.
	storeScope scope = iota
	// serveScope is everything serve reads: storeScope and the server's
	// own settings.
	serveScope
	// databaseScope is --database alone, for backup: a backup copies
	// sealed data as it is and needs no master key.
	databaseScope
)

// settings lists the settings read within sc.
func (c *Config) settings(sc scope) []setting {
	database := setting{"database", "CERTGATE_DATABASE", "database: sqlite:PATH (embedded) or postgres://...", (*stringValue)(&c.Database)}
	if sc == databaseScope {
		return []setting{database}
	}
	store := []setting{
		database,
		{"master-key-file", "CERTGATE_MASTER_KEY_FILE", "file holding the master key that seals private keys (default: master.key beside the SQLite database; the key itself may be given in CERTGATE_MASTER_KEY instead)", (*stringValue)(&c.MasterKeyFile)},
		{"db-max-conns", "CERTGATE_DB_MAX_CONNS", "PostgreSQL: connections in the pool at most", (*intValue)(&c.DBMaxConns)},
		{"db-min-conns", "CERTGATE_DB_MIN_CONNS", "PostgreSQL: connections kept open at least", (*intValue)(&c.DBMinConns)},
		{"db-max-conn-lifetime", "CERTGATE_DB_MAX_CONN_LIFETIME", "PostgreSQL: a connection is replaced after this long", (*durationValue)(&c.DBMaxConnLifetime)},
		{"db-max-conn-idle-time", "CERTGATE_DB_MAX_CONN_IDLE_TIME", "PostgreSQL: an idle connection is closed after this long", (*durationValue)(&c.DBMaxConnIdleTime)},
		{"db-connect-timeout", "CERTGATE_DB_CONNECT_TIMEOUT", "PostgreSQL: how long to wait for a connection", (*durationValue)(&c.DBConnectTimeout)},
		{"previous-master-key-files", "CERTGATE_PREVIOUS_MASTER_KEY_FILES", "comma-separated files of older master keys, which still open records sealed under them but never seal new ones; needed while a master key rotation is in progress", (*stringValue)(&c.PreviousMasterKeyFiles)},
	}
	if sc == storeScope {
		return store
	}
	return append(append([]setting{
		{"addr", "CERTGATE_ADDR", "listen address of the API (both dialects and /healthz); off: a gateway-only node, which opens the database and the master key and runs the gateway but answers no API call and has no /healthz (probe its gateway listeners instead)", (*stringValue)(&c.Addr)},
	}, store...),
		setting{"bootstrap-credentials-file", "CERTGATE_BOOTSTRAP_CREDENTIALS_FILE", "where the first start writes the bootstrap account's credentials (AWS credentials-file format); \"none\" disables (default: credentials beside the SQLite database)", (*stringValue)(&c.BootstrapCredentialsFile)},
		setting{"client-certificate-quota", "CERTGATE_CLIENT_CERTIFICATE_QUOTA", "client certificates per account and region; 0 means unlimited", (*intValue)(&c.ClientCertificateQuota)},
		setting{"server-certificate-quota", "CERTGATE_SERVER_CERTIFICATE_QUOTA", "uploaded SSL certificates per account (Huawei project); 0 means unlimited", (*intValue)(&c.ServerCertificateQuota)},
		setting{"rest-api-quota", "CERTGATE_REST_API_QUOTA", "Amazon API Gateway REST APIs per account and region; 0 means unlimited", (*intValue)(&c.RestAPIQuota)},
		setting{"resource-quota", "CERTGATE_RESOURCE_QUOTA", "resources per REST API, the root included; 0 means unlimited", (*intValue)(&c.ResourceQuota)},
		setting{"stage-quota", "CERTGATE_STAGE_QUOTA", "stages per REST API; 0 means unlimited", (*intValue)(&c.StageQuota)},
		setting{"rate-limit", "CERTGATE_RATE_LIMIT", "API requests per second per account, per node; 0 disables", (*floatValue)(&c.RateLimit)},
		setting{"rate-burst", "CERTGATE_RATE_BURST", "burst size of the per-account rate limit", (*intValue)(&c.RateBurst)},
		setting{"key-pool-size", "CERTGATE_KEY_POOL_SIZE", "pre-generated private keys kept ready for GenerateClientCertificate; 0 disables the pool", (*intValue)(&c.KeyPoolSize)},
		setting{"key-pool-workers", "CERTGATE_KEY_POOL_WORKERS", "background goroutines refilling the key pool", (*intValue)(&c.KeyPoolWorkers)},
		setting{"client-key-type", "CERTGATE_CLIENT_KEY_TYPE", "key type of generated client certificates: rsa2048 or ecdsa-p256", (*stringValue)(&c.ClientKeyType)},
		setting{"client-cert-validity", "CERTGATE_CLIENT_CERT_VALIDITY", "validity of generated client certificates", (*durationValue)(&c.ClientCertValidity)},
		setting{"client-cert-subject", "CERTGATE_CLIENT_CERT_SUBJECT", "subject (and issuer) of generated client certificates", (*stringValue)(&c.ClientCertSubject)},
		setting{"max-body-bytes", "CERTGATE_MAX_BODY_BYTES", "largest accepted request body", (*int64Value)(&c.MaxBodyBytes)},
		setting{"max-bodies-in-flight", "CERTGATE_MAX_BODIES_IN_FLIGHT", "request bodies read into memory at once, across both APIs; a request that finds none free within 2s is refused with 429", (*intValue)(&c.MaxBodiesInFlight)},
		setting{"max-conns-per-client", "CERTGATE_MAX_CONNS_PER_CLIENT", "open API connections per client IP address (per /64 for IPv6); further ones are closed at once; 0 disables (do so behind a proxy, where all clients share one address)", (*intValue)(&c.MaxConnsPerClient)},
		setting{"regions", "CERTGATE_REGIONS", "comma-separated AWS regions served; a SigV4 credential scope naming another is refused (default: AWS's public commercial regions)", (*stringValue)(&c.Regions)},
		setting{"shutdown-timeout", "CERTGATE_SHUTDOWN_TIMEOUT", "how long a graceful shutdown waits for in-flight requests", (*durationValue)(&c.ShutdownTimeout)},
		setting{"shutdown-delay", "CERTGATE_SHUTDOWN_DELAY", "on SIGTERM, how long /healthz answers 503 (while requests are still served) before the listener closes; set it above your load balancer's health-check interval", (*durationValue)(&c.ShutdownDelay)},
		c.heartbeatSetting(),
		setting{"log-level", "CERTGATE_LOG_LEVEL", "debug, info, warn or error", (*stringValue)(&c.LogLevel)},
		setting{"log-format", "CERTGATE_LOG_FORMAT", "text or json", (*stringValue)(&c.LogFormat)},
		setting{"access-key-cache-ttl", "CERTGATE_ACCESS_KEY_CACHE_TTL", "how long a node caches a resolved access key on its own; a key deleted on another node (or by the CLI) keeps working here for at most this long; 0 disables the cache (the default: every request sees deletions at once, and SQLite serves the key from memory while nothing was committed)", (*durationValue)(&c.AccessKeyCacheTTL)},
		setting{"gateway-domain-suffix", "CERTGATE_GATEWAY_DOMAIN_SUFFIX", "DNS suffix of each Huawei API group's debugging domain, {group_id}.apic.SUFFIX, which the data plane routes", (*stringValue)(&c.GatewayDomainSuffix)},
		setting{"gateway", "CERTGATE_GATEWAY", "on: this node runs the gateway (the data plane) on --gateway-https-addr and --gateway-http-addr beside the API; off: no data plane on this node, the API only (the two addresses then only give the ports custom domains are checked against, where other nodes' gateways listen)", (*stringValue)(&c.Gateway)},
		setting{"gateway-default-domain", "CERTGATE_GATEWAY_DEFAULT_DOMAIN", "a bound domain served to TLS clients that send no SNI (default: none, such handshakes get unrecognized_name)", (*stringValue)(&c.GatewayDefaultDomain)},
		setting{"gateway-http-addr", "CERTGATE_GATEWAY_HTTP_ADDR", "the data plane's HTTP listen address (with --gateway on); a custom domain's ingress_http_port must be its port. off: no HTTP listener on this node; off:PORT also names the port the cluster's HTTP listeners use, which domains are checked against (plain off means 8081)", (*stringValue)(&c.GatewayHTTPAddr)},
		setting{"gateway-https-addr", "CERTGATE_GATEWAY_HTTPS_ADDR", "the data plane's HTTPS listen address (with --gateway on); a custom domain's ingress_https_port must be its port. off: no HTTPS listener on this node; off:PORT also names the port the cluster's HTTPS listeners use, which domains are checked against and HTTP-to-HTTPS redirects point to (plain off means 8443)", (*stringValue)(&c.GatewayHTTPSAddr)},
		setting{"gateway-upstream-deny", "CERTGATE_GATEWAY_UPSTREAM_DENY", "comma-separated CIDR prefixes (or addresses) the gateway never connects to as a backend, checked at connect time, after DNS; \"\" allows every address. The default keeps backends off link-local networks (cloud metadata) and the unspecified addresses", (*stringValue)(&c.GatewayUpstreamDeny)},
		setting{"gateway-upstream-ca-file", "CERTGATE_GATEWAY_UPSTREAM_CA_FILE", "a PEM bundle of CA certificates trusted, beside the system roots, to verify the backends the gateway calls over HTTPS (default: the system roots only)", (*stringValue)(&c.GatewayUpstreamCAFile)},
	)
}

// heartbeatSetting is shared by serve and master-key rotate, which must
// agree on it.
func (c *Config) heartbeatSetting() setting {
	return setting{"heartbeat-interval", "CERTGATE_HEARTBEAT_INTERVAL", "how often a server records in the database that it is alive and which master keys it holds; a node that misses 3 beats no longer counts as live for 'master-key rotate' (give serve and rotate the same value)", (*durationValue)(&c.HeartbeatInterval)}
}

// bind applies the environment to c, then registers c's settings as flags
// on fs so that parsing fs overrides the environment.
func (c *Config) bind(fs *flag.FlagSet, getenv func(string) string, sc scope, extra ...setting) error {
	for _, s := range append(c.settings(sc), extra...) {
		if v := getenv(s.env); v != "" {
			if err := s.value.Set(v); err != nil {
				return fmt.Errorf("%s=%q: %v", s.env, v, err)
			}
		}
		fs.Var(s.value, s.flag, s.usage+" (env "+s.env+")")
	}
	c.MasterKey = getenv("CERTGATE_MASTER_KEY")
	return nil
}

// usage prints a command's help: every flag with its environment variable
// and current value.
func usage(w io.Writer, fs *flag.FlagSet, synopsis string, extra string) {
	fmt.Fprintf(w, "Usage: %s\n\n", synopsis)
	if extra != "" {
		fmt.Fprintln(w, extra)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Settings (flag, then environment variable):")
	fs.VisitAll(func(f *flag.Flag) {
		// The value the flag was defined with (defaults, then the
		// environment), never one typed on this command line; and a
		// database URL only redacted, since the environment may hold its
		// password.
		def := f.DefValue
		if strings.Contains(def, "://") || strings.Contains(strings.ToLower(def), "password") {
			def = redactURL(def)
		}
		if def != "" && def != "0" && def != "false" {
			def = " (default " + strconv.Quote(def) + ")"
		} else {
			def = ""
		}
		fmt.Fprintf(w, "  --%s\n      %s%s\n", f.Name, f.Usage, def)
	})
}

// dataDir is the directory holding the embedded database, where certgate
// keeps its key file and bootstrap credentials by default.
func (c *Config) dataDir() string {
	if p := sqlitePath(c.Database); p != "" {
		return filepath.Dir(p)
	}
	return ""
}

// resolveDefaults fills settings whose defaults depend on others.
func (c *Config) resolveDefaults() {
	if c.MasterKeyFile == "" && c.MasterKey == "" && c.dataDir() != "" {
		c.MasterKeyFile = filepath.Join(c.dataDir(), "master.key")
	}
	if c.BootstrapCredentialsFile == "" && c.dataDir() != "" {
		c.BootstrapCredentialsFile = filepath.Join(c.dataDir(), "credentials")
	}
	if c.BootstrapCredentialsFile == "none" {
		c.BootstrapCredentialsFile = ""
	}
}

// Validate reports every invalid setting at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Addr == "" {
		bad("--addr must not be empty")
	}
	if _, ok := schemeOf(c.Database); !ok {
		bad("--database must be sqlite:PATH or postgres://..., got %q", redactURL(c.Database))
	}
	if c.MasterKey == "" && c.MasterKeyFile == "" {
		bad("no master key: set --master-key-file (CERTGATE_MASTER_KEY_FILE) or CERTGATE_MASTER_KEY")
	}
	if err := gwconfig.CheckDomainSuffix(c.GatewayDomainSuffix); err != nil {
		bad("--gateway-domain-suffix: %v", err)
	}
	c.validateProcess(bad)
	if _, err := upstreamDeny(c.GatewayUpstreamDeny); err != nil {
		bad("--gateway-upstream-deny: %v", err)
	}
	if c.ClientCertificateQuota < 0 {
		bad("--client-certificate-quota must be >= 0")
	}
	if c.ServerCertificateQuota < 0 {
		bad("--server-certificate-quota must be >= 0")
	}
	if c.RestAPIQuota < 0 {
		bad("--rest-api-quota must be >= 0")
	}
	if c.ResourceQuota < 0 {
		bad("--resource-quota must be >= 0")
	}
	if c.StageQuota < 0 {
		bad("--stage-quota must be >= 0")
	}
	if c.RateLimit < 0 {
		bad("--rate-limit must be >= 0")
	}
	if c.RateLimit > 0 && c.RateBurst < 1 {
		bad("--rate-burst must be >= 1 when --rate-limit is set")
	}
	if c.KeyPoolSize < 0 || c.KeyPoolSize > 10000 {
		bad("--key-pool-size must be between 0 and 10000")
	}
	if c.KeyPoolWorkers < 1 || c.KeyPoolWorkers > 64 {
		bad("--key-pool-workers must be between 1 and 64")
	}
	if _, err := pki.ParseKeyType(c.ClientKeyType); err != nil {
		bad("--client-key-type: %v", err)
	}
	if c.ClientCertValidity < time.Hour || c.ClientCertValidity > 100*365*24*time.Hour {
		bad("--client-cert-validity must be between 1h and 100 years")
	}
	if _, err := pki.ParseSubject(c.ClientCertSubject); err != nil {
		bad("--client-cert-subject: %v", err)
	}
	if c.MaxBodyBytes < 1024 {
		bad("--max-body-bytes must be at least 1024")
	}
	if c.MaxBodiesInFlight < 1 {
		bad("--max-bodies-in-flight must be at least 1")
	}
	if c.MaxConnsPerClient < 0 {
		bad("--max-conns-per-client must be >= 0")
	}
	if _, err := c.regions(); err != nil {
		bad("--regions: %v", err)
	}
	if c.ShutdownTimeout < 0 {
		bad("--shutdown-timeout must be >= 0")
	}
	if c.DBMaxConns < 1 || c.DBMaxConns > 1000 || c.DBMinConns < 0 || c.DBMinConns > c.DBMaxConns {
		bad("--db-max-conns must be between 1 and 1000, and --db-min-conns between 0 and --db-max-conns")
	}
	if c.DBMaxConnLifetime <= 0 || c.DBMaxConnIdleTime <= 0 || c.DBConnectTimeout <= 0 {
		bad("--db-max-conn-lifetime, --db-max-conn-idle-time and --db-connect-timeout must be positive")
	}
	if c.ShutdownDelay < 0 || c.ShutdownDelay > 10*time.Minute {
		bad("--shutdown-delay must be between 0 and 10m")
	}
	if c.HeartbeatInterval < 100*time.Millisecond || c.HeartbeatInterval > 5*time.Minute {
		bad("--heartbeat-interval must be between 100ms and 5m")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("--log-level: %v", err)
	}
	if c.AccessKeyCacheTTL < 0 || c.AccessKeyCacheTTL > time.Hour {
		bad("--access-key-cache-ttl must be between 0 and 1h")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("--log-format must be text or json")
	}
	return errors.Join(errs...)
}

// redactURL returns a --database value fit for a message or a log line.
// An SQLite path holds no secret and is shown as given; anything else goes
// through the store's one redaction, which masks every password form.
func redactURL(s string) string {
	if sqlitePath(s) != "" {
		return s
	}
	return postgres.RedactURL(s)
}

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not an integer")
	}
	*v = intValue(n)
	return nil
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

type int64Value int64

func (v *int64Value) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not an integer")
	}
	*v = int64Value(n)
	return nil
}
func (v *int64Value) String() string { return strconv.FormatInt(int64(*v), 10) }

type floatValue float64

func (v *floatValue) Set(s string) error {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("not a number")
	}
	*v = floatValue(n)
	return nil
}
func (v *floatValue) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }

type durationValue time.Duration

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration (e.g. 8760h, 30s)")
	}
	*v = durationValue(d)
	return nil
}
func (v *durationValue) String() string { return time.Duration(*v).String() }

func getenv(k string) string { return os.Getenv(k) }

// pool returns the PostgreSQL pool settings.
func (c *Config) pool() postgres.Options {
	return postgres.Options{
		MaxConns:        int32(c.DBMaxConns),
		MinConns:        int32(c.DBMinConns),
		MaxConnLifetime: c.DBMaxConnLifetime,
		MaxConnIdleTime: c.DBMaxConnIdleTime,
		ConnectTimeout:  c.DBConnectTimeout,
	}
}

// addrPort returns the port of a host:port listen address, which must be
// explicit (1 to 65535).
func addrPort(addr string) (int, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("want host:port, got %q", addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("the port of %q must be 1 to 65535", addr)
	}
	return p, nil
}
