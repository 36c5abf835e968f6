package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freePort returns a loopback address with a port nobody listens on.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFor dials addr until it answers or the process has had 60 s.
func waitFor(t *testing.T, addr string) {
	t.Helper()
	for range 600 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// TestServeRunsRelayAndBothSites starts the binary as an operator would
// and checks that the relay, both transfer sites and the admin listener
// answer, then that SIGTERM stops it cleanly.
func TestServeRunsRelayAndBothSites(t *testing.T) {
	dir := t.TempDir()
	smtpAddr, up, down, admin := freePort(t), freePort(t), freePort(t), freePort(t)
	cfg := fmt.Sprintf("data_dir = %q\n[smtp]\nlisten = %q\n[admin]\nlisten = %q\n[web]\nupload_listen = %q\ndownload_listen = %q\n",
		filepath.Join(dir, "data"), smtpAddr, admin, up, down)
	cfgFile := filepath.Join(dir, "mugai.toml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(mugaiBin, "serve", "-config", cfgFile)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	for _, a := range []string{smtpAddr, up, down, admin} {
		waitFor(t, a)
	}

	c, err := net.Dial("tcp", smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	greeting, _ := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if !strings.HasPrefix(greeting, "220 ") {
		t.Errorf("SMTP greeting %q", greeting)
	}
	// The sites use a self-signed certificate generated into the data folder.
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, a := range []string{up, down} {
		resp, err := client.Get("https://" + a + "/")
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s: %d %s, want a redirect to the login page", a, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, err := http.Get("http://" + admin + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, log.String())
	}
}
