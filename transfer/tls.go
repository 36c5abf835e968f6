package transfer

import (
	"crypto/tls"
	"fmt"
	"path/filepath"

	"github.com/mugai-project/mugai/internal/tlsutil"
)

// tlsConfig loads the configured certificate, or the self-signed one in
// DATA/tls/, generating it on first use.
func (s *Server) tlsConfig() (*tls.Config, error) {
	cfg, generated, err := tlsutil.Config(s.opts.TLSCertFile, s.opts.TLSKeyFile, filepath.Join(s.opts.DataDir, "tls"), "web")
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	if generated != "" {
		s.log.Warn("generated a self-signed certificate; configure one the staff's browsers trust", "cert", generated)
	}
	return cfg, nil
}
