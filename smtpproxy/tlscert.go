package smtpproxy

import (
	"crypto/tls"
	"path/filepath"

	"github.com/mugai-project/mugai/internal/tlsutil"
)

// loadTLS returns the STARTTLS configuration: the configured certificate,
// or a self-signed one kept in DataDir/tls (generated on first use).
func (r *Relay) loadTLS() (*tls.Config, error) {
	o := &r.opts
	if o.TLSConfig != nil {
		return o.TLSConfig, nil
	}
	cfg, generated, err := tlsutil.Config(o.TLSCert, o.TLSKey, filepath.Join(o.DataDir, "tls"), "selfsigned", o.Hostname)
	if err != nil {
		return nil, err
	}
	if generated != "" {
		r.log.Warn("smtp: no TLS certificate configured; generated a self-signed one", "cert", generated)
	}
	return cfg, nil
}
