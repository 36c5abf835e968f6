// Package ids makes the names mugai gives to what it keeps: item IDs,
// which sort by time and name a file, a folder or an object, and
// tokens, which must not be guessed. Both come from crypto/rand, whose
// Read never fails (it ends the process if the kernel gives no entropy).
package ids

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// timeLayout is the time part of an item ID: UTC to the second.
const timeLayout = "20060102T150405Z"

// New returns a sortable item ID for something made at t: its UTC time,
// a hyphen and 16 random hex digits (64 bits), such as
// "20261203T124100Z-1f2e3d4c5b6a7988". IDs made in the same second sort
// in random order. An ID is ASCII letters, digits and one hyphen, so it
// is a valid quarantine item ID, outbox entry and file name.
//
// An item ID is not a secret: whoever may see an item is checked apart
// from its ID. Use Token for names that grant access.
func New(t time.Time) string {
	var b [8]byte
	rand.Read(b[:])
	return t.UTC().Format(timeLayout) + "-" + hex.EncodeToString(b[:])
}

// tokenBytes is a token's size: 256 bits, twice the 128 that no search
// can exhaust.
const tokenBytes = 32

// Token returns 32 random bytes as unpadded URL-safe base64 (RFC 4648
// section 5), 43 characters of A-Z, a-z, 0-9, "-" and "_": session, CSRF
// and form tokens, download links, and any name that must not be
// guessed. It is also a valid MIME boundary and Message-ID local part.
func Token() string {
	var b [tokenBytes]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
