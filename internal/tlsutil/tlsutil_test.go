package tlsutil

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSelfSignedOnceThenKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	cfg, gen, err := Config("", "", dir, "web", "mugai.example.jp")
	if err != nil {
		t.Fatal(err)
	}
	if gen != filepath.Join(dir, "web.crt") {
		t.Errorf("generated = %q", gen)
	}
	cert, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cert.DNSNames, "localhost") || !slices.Contains(cert.DNSNames, "mugai.example.jp") {
		t.Errorf("names %v", cert.DNSNames)
	}
	if fi, err := os.Stat(filepath.Join(dir, "web.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi, err)
	}
	_, gen, err = Config("", "", dir, "web")
	if err != nil || gen != "" {
		t.Errorf("second start regenerated the certificate (%q, %v)", gen, err)
	}
	if _, _, err := Config(filepath.Join(dir, "missing.crt"), filepath.Join(dir, "missing.key"), dir, "web"); err == nil {
		t.Error("a configured certificate that does not exist was accepted")
	}
}
