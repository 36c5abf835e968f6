// Package tlsutil gives mugai's listeners their certificate: the one the
// operator configured, or a self-signed one generated on first use and
// kept in the data folder, so that STARTTLS and HTTPS work on a bare
// machine and the operator is told to install a real one.
package tlsutil

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// Config loads certFile and keyFile. When certFile is empty it uses
// dir/base.crt and dir/base.key, generating them first if they do not
// exist; generated is then the new certificate's path, for the log.
// names are added to the self-signed certificate's DNS names beside
// localhost and the host name.
func Config(certFile, keyFile, dir, base string, names ...string) (cfg *tls.Config, generated string, err error) {
	if certFile == "" {
		certFile, keyFile = filepath.Join(dir, base+".crt"), filepath.Join(dir, base+".key")
		if _, err := os.Stat(certFile); errors.Is(err, fs.ErrNotExist) {
			if err := selfSigned(dir, certFile, keyFile, names, time.Now()); err != nil {
				return nil, "", fmt.Errorf("tls: self-signed certificate: %w", err)
			}
			generated = certFile
		}
	}
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("tls: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS12}, generated, nil
}

// selfSigned writes an ECDSA P-256 certificate valid for two years for
// localhost, names, this host's name and its addresses.
func selfSigned(dir, certFile, keyFile string, names []string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mugai", Organization: []string{"mugai self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(2 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, n := range names {
		if n != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, n.IP)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileSync(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return fsutil.WriteFileSync(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// Ephemeral makes a certificate for name alone with a new Ed25519 key,
// kept only in memory and valid for as long as a process may run: for a TLS session inside the process, whose client trusts this
// certificate and nothing else. Leaf is set.
func Ephemeral(name string, now time.Time) (tls.Certificate, error) {
	pub, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(100 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{name},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, k)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: leaf}, nil
}
