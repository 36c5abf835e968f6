package held

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// sealer seals what the password hints keep outside the process (a
// cluster's NATS): AES-256-GCM with a random nonce (NIST SP 800-38D),
// the entry's key as additional data so that a sealed value cannot be
// moved to another recipient's key, under a key derived with HKDF-SHA256
// (RFC 5869) from the held-link key (held.key), which every node of a
// cluster has the same for its links to work. It also names entries
// with an HMAC-SHA256 under a second derived key, so that a key names
// no address, item or password.
type sealer struct {
	aead  cipher.AEAD
	names []byte
}

func newSealer(secret []byte) (*sealer, error) {
	sk, err := hkdf.Key(sha256.New, secret, nil, "mugai held hints seal", 32)
	if err != nil {
		return nil, err
	}
	nk, err := hkdf.Key(sha256.New, secret, nil, "mugai held hints names", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sk)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, names: nk}, nil
}

// seal is v in JSON, sealed for the entry named key.
func (s *sealer) seal(key string, v any) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return s.aead.Seal(nil, nil, plain, []byte(key)), nil
}

// open reads into v what seal sealed for the entry named key.
func (s *sealer) open(key string, sealed []byte, v any) error {
	plain, err := s.aead.Open(nil, nil, sealed, []byte(key))
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// name is a token for a key of the parts, 128 bits of their HMAC in
// hex.
func (s *sealer) name(parts ...string) string {
	m := hmac.New(sha256.New, s.names)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
