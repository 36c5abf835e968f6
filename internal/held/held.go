// Package held names the items mugai withholds from a mail so that their
// recipients can reach them on the download site: a link per message,
// https://<download-site>/held/<token>, written into the notice of the
// sanitized mail (or into the notice sent instead of the message).
//
// A token is the item's quarantine ID, a dot, and an HMAC-SHA256 of that
// ID under a key kept in the data folder (256 bits, RFC 2104; on a
// cluster one key for every node, kept in the shared database), in
// unpadded URL-safe base64 (RFC 4648 section 5). It cannot be guessed
// or forged without the key, needs no row of its own (the relay writes
// it before the message is delivered, and a redone step writes the same
// one), and tells the site which item it names. The link alone grants
// nothing: the site shows the item only to a logged-in recipient of the
// message, or an administrator.
//
// Divergence: the token is one per message, not one per recipient: the
// sanitized message is built once for all its recipients, and binding to
// the recipient is done by the login (IsRecipient). What a recipient
// does on the page is theirs alone: their password tries (each
// recipient has their own), the contents they unlocked, their request
// for the original.
//
// The package also reads what the pages show of a held mail (Subject,
// Clean) and pairs a held PPAP mail with the sender's password mail
// that follows it (Hints, Passwords).
package held

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mugai-project/mugai/internal/fsutil"
	"github.com/mugai-project/mugai/internal/store"
)

// Links makes and checks held-item links.
type Links struct {
	key  []byte
	base string // the download site, without a trailing slash
}

// KeyFile is the key's file in the data folder.
const KeyFile = "held.key"

// LoadLinks reads the key from dataDir/held.key, making it on first use,
// for links to the download site at baseURL ("https://dl.example.lg.jp").
func LoadLinks(dataDir, baseURL string) (*Links, error) {
	name := filepath.Join(dataDir, KeyFile)
	key, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		rand.Read(key)
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("held: %w", err)
		}
		if err := fsutil.WriteFileSync(name, key, 0o600); err != nil {
			return nil, fmt.Errorf("held: writing the key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("held: reading the key: %w", err)
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("held: %s is shorter than 32 bytes", name)
	}
	return &Links{key: key, base: strings.TrimSuffix(baseURL, "/")}, nil
}

// KeyShare gives every node of a cluster one key: called with this
// node's key, it returns the cluster's (meta.DB.SharedKey).
type KeyShare func(ctx context.Context, candidate []byte) ([]byte, error)

// Share makes the links' key the cluster's, so that a link made by one
// node opens on the download site of any other. The first node to share
// gives its own key, and the links it made before keep working; every
// other node takes that key and writes it over its own held.key in
// dataDir, so that the file says which key is in use.
func (l *Links) Share(ctx context.Context, dataDir string, share KeyShare) error {
	key, err := share(ctx, l.key)
	if err != nil {
		return fmt.Errorf("held: sharing the key: %w", err)
	}
	if len(key) < 32 {
		return errors.New("held: the cluster's key is shorter than 32 bytes")
	}
	if hmac.Equal(key, l.key) {
		return nil
	}
	if err := fsutil.WriteFileSync(filepath.Join(dataDir, KeyFile), key, 0o600); err != nil {
		return fmt.Errorf("held: writing the cluster's key: %w", err)
	}
	l.key = key
	return nil
}

func (l *Links) mac(id string) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("mugai held item\x00" + id))
	return m.Sum(nil)
}

// Token is the token naming item id.
func (l *Links) Token(id string) string {
	return id + "." + base64.RawURLEncoding.EncodeToString(l.mac(id))
}

// URL is the link to item id's page, or "" when no download site is
// configured.
func (l *Links) URL(id string) string {
	if l == nil || l.base == "" {
		return ""
	}
	return l.base + "/held/" + l.Token(id)
}

// Item returns the item a token names; ok is false for anything that
// is not a token this key made.
func (l *Links) Item(token string) (id string, ok bool) {
	id, sum, found := strings.Cut(token, ".")
	if !found || !store.ValidID(id) {
		return "", false
	}
	// Strict: the unused low bits of the last character must be zero, so
	// that an item has one token, not several spellings of it.
	got, err := base64.RawURLEncoding.Strict().DecodeString(sum)
	if err != nil {
		return "", false
	}
	return id, hmac.Equal(got, l.mac(id))
}

// IsRecipient returns the address among rcpts that belongs to the user
// with login name user: the address itself, or an address whose local
// part is the login name, in any case (RFC 5321 2.4 lets a domain treat
// local parts without case). "" means the user is not a recipient.
func IsRecipient(user string, rcpts []string) string {
	if user == "" {
		return ""
	}
	for _, rc := range rcpts {
		local, _, _ := strings.Cut(rc, "@")
		if strings.EqualFold(rc, user) || strings.EqualFold(strings.Trim(local, `"`), user) {
			return rc
		}
	}
	return ""
}
