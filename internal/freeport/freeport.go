// Package freeport finds free loopback TCP ports for the real servers
// mugai's tests start (Postfix, PostgreSQL, slapd, clamd, nats-server,
// mugai itself). The kernel hands out a port nobody listens on at that
// moment; another process may take it before the server binds it, and
// the server's start then fails and says so.
package freeport

import (
	"net"
	"strconv"
	"testing"
)

// Find is "127.0.0.1:port" with a port nobody listens on.
func Find() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Port is a free loopback port for the test, which fails if there is
// none.
func Port(t testing.TB) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(Addr(t))
	n, _ := strconv.Atoi(p)
	return n
}

// Addr is Find for the test, which fails if there is no free port.
func Addr(t testing.TB) string {
	t.Helper()
	a, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	return a
}
