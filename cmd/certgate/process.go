package main

import (
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"

	"github.com/certgate/certgate/gateway"
)

// The process model: one node runs the API (--addr), the gateway's HTTPS
// listener and its HTTP listener, each of which may be off. A node that
// runs none of them is refused.

// Default ports of the gateway's listeners: a listener that is "off" on
// this node still names a port, the one custom domains are checked against
// and HTTP-to-HTTPS redirects point to, since other nodes listen there.
const (
	defaultGatewayHTTPPort  = 8081
	defaultGatewayHTTPSPort = 8443
)

// listenerOff parses a gateway listener address that turns the listener
// off on this node: "off" (the protocol's default port) or "off:PORT" (the
// port the listeners of other nodes, or a load balancer in front of them,
// use). ok is false for an address to listen on.
func listenerOff(addr string, defaultPort int) (port int, ok bool, err error) {
	if addr == "off" {
		return defaultPort, true, nil
	}
	rest, found := strings.CutPrefix(addr, "off:")
	if !found {
		return 0, false, nil // a host may be named off-something
	}
	p, err := strconv.Atoi(rest)
	if err != nil || p < 1 || p > 65535 {
		return 0, true, fmt.Errorf("want off or off:PORT (1 to 65535), got %q", addr)
	}
	return p, true, nil
}

// apiOff reports whether this node runs no API (--addr off).
func (c *Config) apiOff() bool { return c.Addr == "off" }

// gatewayListens reports whether this node binds the gateway listener at
// addr: the gateway is on and the address is not off.
func (c *Config) gatewayListens(addr string) bool {
	_, off, _ := listenerOff(addr, 0)
	return c.Gateway == "on" && !off
}

// ingressPort is the port custom domains are checked against for a
// listener address that is not bound here (--gateway off, or off).
func ingressPort(addr string, defaultPort int) int {
	if p, off, _ := listenerOff(addr, defaultPort); off {
		return p
	}
	p, _ := addrPort(addr)
	return p
}

// validateProcess reports the process-model settings that are wrong: the
// gateway's addresses, and a node left with nothing to serve.
func (c *Config) validateProcess(bad func(string, ...any)) {
	if c.Gateway != "on" && c.Gateway != "off" {
		bad("--gateway must be on or off, got %q", c.Gateway)
	}
	for _, l := range []struct {
		flag, addr string
		port       int
	}{{"--gateway-http-addr", c.GatewayHTTPAddr, defaultGatewayHTTPPort}, {"--gateway-https-addr", c.GatewayHTTPSAddr, defaultGatewayHTTPSPort}} {
		if _, off, err := listenerOff(l.addr, l.port); off {
			if err != nil {
				bad("%s: %v", l.flag, err)
			}
			continue
		}
		if _, err := addrPort(l.addr); err != nil && !(c.gatewayListens(l.addr) && strings.HasSuffix(l.addr, ":0")) {
			// Port 0 (any free port) only where this node listens: the
			// port it gets is then the one domains are checked against.
			bad("%s: %v (or off)", l.flag, err)
		}
	}
	if c.apiOff() && !c.gatewayListens(c.GatewayHTTPAddr) && !c.gatewayListens(c.GatewayHTTPSAddr) {
		bad("--addr off with --gateway off, or with both --gateway-https-addr and --gateway-http-addr off, leaves this node nothing to serve")
	}
}

// loadUpstreamRoots reads --gateway-upstream-ca-file: the system roots plus
// the file's certificates (only the file's when the system pool cannot be
// loaded). Its errors name the file, never what it holds.
func loadUpstreamRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pool, err := gateway.UpstreamRoots(path)
	if err != nil {
		return nil, fmt.Errorf("--gateway-upstream-ca-file %w", err)
	}
	return pool, nil
}
