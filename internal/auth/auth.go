// Package auth signs mugai's web users in: local accounts whose passwords
// are hashed with Argon2id (RFC 9106, the PHC string format of the
// reference implementation), roles, a lockout per account and source
// address after repeated failures (with an alarm for the account as a
// whole instead of a lock), and server-side sessions with a CSRF token
// each.
//
// Local checks the accounts in the database. With a Directory (LDAP or
// Active Directory, ldap.go), every name that is not a local account is
// checked by a bind to the directory instead, whose groups give the
// role and the department; Local keeps the lockout, the sessions and a
// record of each directory user (directory.go). Sessions are kept in
// the database by the hash of their token only, so a copy of the
// database does not let anyone sign in.
//
// Divergence: RFC 9106 section 4 recommends t=1, m=2 GiB; mugai uses
// OWASP's smaller profile (t=2, m=19 MiB, p=1) so that an office server
// can hash a login burst without running out of memory.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Role is what a user may do.
type Role string

// The roles. An approver may also upload; an admin may do everything.
const (
	RoleUser     Role = "user"
	RoleApprover Role = "approver"
	RoleAdmin    Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleUser || r == RoleApprover || r == RoleAdmin }

// CanApprove reports whether r may approve transfers.
func (r Role) CanApprove() bool { return r == RoleApprover || r == RoleAdmin }

// User is one account.
type User struct {
	Name        string
	DisplayName string
	Role        Role
	// Department (所属) chooses the sanitizer policy for what the user
	// receives; "" is the default policy.
	Department string
	// Mail is where mugai's notifications to the user go; "" when
	// unknown (the sites then guess: name@domain).
	Mail string
	// Directory marks an account the directory manages: its password,
	// role and department come from there at each login.
	Directory bool
	Disabled  bool
	Created   time.Time
	// Failures counts consecutive failed logins from any address (the
	// alarm's count); LockedUntil is the latest end of a lockout of the
	// account from one address (see lockout.go).
	Failures    int
	LockedUntil time.Time
}

// Errors. A login page shows ErrBadCredentials, which does not tell
// which accounts exist, or a *LockedError, which only tells that the
// asking address tried too often (unknown accounts lock the same way).
var (
	ErrBadCredentials = errors.New("auth: wrong user name or password")
	ErrLocked         = errors.New("auth: locked out after repeated failures from this address")
	ErrDisabled       = errors.New("auth: account disabled")
	ErrNoUser         = errors.New("auth: no such user")
	ErrExists         = errors.New("auth: user already exists")
	ErrInvalidName    = errors.New("auth: a user name is 1 to 64 letters, digits, '.', '_', '-' or '@'")
	ErrWeakPassword   = errors.New("auth: a password has at least 10 characters")
	ErrNoSession      = errors.New("auth: no such session")
	ErrDirectoryUser  = errors.New("auth: the account is managed by the directory")
	ErrInvalidMail    = errors.New("auth: a mail address is local-part@domain, without a display name")
)

// Authenticator checks a user name and password. It returns the user, or
// an error that wraps ErrBadCredentials, ErrLocked or ErrDisabled.
type Authenticator interface {
	Authenticate(ctx context.Context, name, password string) (User, error)
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidName reports whether name can name a user.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// ValidMail reports whether addr can be a user's mail address: "" (none)
// or a bare address (RFC 5322 addr-spec) of at most 254 octets (RFC 5321
// 4.5.3.1.3).
func ValidMail(addr string) bool {
	if addr == "" {
		return true
	}
	a, err := mail.ParseAddress(addr)
	return err == nil && a.Name == "" && a.Address == addr && len(addr) <= 254
}

// MinPasswordLen is the shortest password accepted for a new one.
const MinPasswordLen = 10

// Params are the Argon2id cost parameters.
type Params struct {
	Time    uint32 // passes; default 2
	Memory  uint32 // KiB; default 19456
	Threads uint8  // default 1
}

func (p Params) withDefaults() Params {
	if p.Time == 0 {
		p.Time = 2
	}
	if p.Memory == 0 {
		p.Memory = 19 * 1024
	}
	if p.Threads == 0 {
		p.Threads = 1
	}
	return p
}

// Hash returns the PHC string of password:
// $argon2id$v=19$m=…,t=…,p=…$salt$hash (unpadded base64).
func Hash(password string, p Params) (string, error) {
	p = p.withDefaults()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// maxMemory bounds the memory a stored hash may ask for, so that a
// tampered database cannot make a login allocate gigabytes.
const maxMemory = 1 << 18 // KiB (256 MiB)

// Verify reports whether password matches the PHC string enc, in
// constant time.
func Verify(enc, password string) (bool, error) {
	f := strings.Split(enc, "$")
	if len(f) != 6 || f[1] != "argon2id" {
		return false, errors.New("auth: not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(f[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errors.New("auth: unsupported argon2 version")
	}
	var p Params
	if _, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("auth: bad argon2 parameters: %w", err)
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return false, errors.New("auth: argon2 parameters out of range")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(f[4])
	want, err2 := base64.RawStdEncoding.DecodeString(f[5])
	if err1 != nil || err2 != nil || len(want) < 16 || len(want) > 64 {
		return false, errors.New("auth: bad argon2 encoding")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// tokenHash is how a session token is stored.
func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
