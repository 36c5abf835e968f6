package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mugai-project/mugai/internal/ids"
	"github.com/mugai-project/mugai/internal/meta"
)

// Options configure Local. The zero value means the defaults.
type Options struct {
	Params Params
	// MaxFailures consecutive wrong passwords for an account from one
	// address lock that address out of the account for LockFor; each
	// further failure doubles the lock, up to MaxLock (see lockout.go).
	// Defaults 5, 15 minutes and 24 hours.
	MaxFailures int
	LockFor     time.Duration
	MaxLock     time.Duration
	// AlarmFailures consecutive failures for an account from any
	// addresses raise an alarm (ErrAlarm), again at every multiple;
	// default 20.
	AlarmFailures int
	// SessionTTL is how long a session lives without use (default 8
	// hours); SessionMax how long it lives at most (default 12 hours).
	SessionTTL time.Duration
	SessionMax time.Duration
	// Directory, if set, checks every name that is not a local account
	// (see directory.go); local accounts stay for break-glass admins.
	Directory Directory
	Now       func() time.Time // default time.Now
}

func (o Options) withDefaults() Options {
	o.Params = o.Params.withDefaults()
	if o.MaxFailures <= 0 {
		o.MaxFailures = 5
	}
	if o.LockFor <= 0 {
		o.LockFor = 15 * time.Minute
	}
	if o.MaxLock <= 0 {
		o.MaxLock = 24 * time.Hour
	}
	if o.AlarmFailures <= 0 {
		o.AlarmFailures = 20
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 8 * time.Hour
	}
	if o.SessionMax <= 0 {
		o.SessionMax = 12 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Local keeps users and sessions in mugai's database (SQLite, or the
// cluster's PostgreSQL, where every node sees the same sessions), in
// tables prefixed auth_ beside the other parts of mugai.
type Local struct {
	db   *meta.DB
	opts Options
	// dummy is a hash checked for unknown users, so that a login takes
	// as long whether or not the account exists.
	dummy string
}

var _ Authenticator = (*Local)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS auth_users (
	name TEXT PRIMARY KEY,
	display_name TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL,
	hash TEXT NOT NULL,
	disabled {bool},
	created {time},
	failures INTEGER NOT NULL DEFAULT 0,
	department TEXT NOT NULL DEFAULT '',
	directory {bool},
	mail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS auth_sessions (
	token_hash TEXT PRIMARY KEY,
	user_name TEXT NOT NULL,
	zone TEXT NOT NULL,
	csrf TEXT NOT NULL,
	created {time},
	last_seen {time},
	ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS auth_sessions_user ON auth_sessions(user_name);
`

// authSchema is the auth_ tables' versions (meta.Schema).
var authSchema = meta.Schema{Part: "auth", Versions: []string{schema + lockoutSchema},
	Columns: map[string][]meta.Column{"auth_users": userColumns}}

// NewLocal creates the auth_ tables if needed, or brings them up to date.
func NewLocal(ctx context.Context, db *meta.DB, opts Options) (*Local, error) {
	if err := db.Migrate(ctx, authSchema); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	l := &Local{db: db, opts: opts.withDefaults()}
	d, err := Hash(ids.Token(), l.opts.Params)
	if err != nil {
		return nil, err
	}
	l.dummy = d
	return l, nil
}

// Add creates a user.
func (l *Local) Add(ctx context.Context, u User, password string) error {
	if !ValidName(u.Name) {
		return ErrInvalidName
	}
	if u.Role == "" {
		u.Role = RoleUser
	}
	if !u.Role.Valid() {
		return fmt.Errorf("auth: unknown role %q (user, approver or admin)", u.Role)
	}
	if !ValidMail(u.Mail) {
		return ErrInvalidMail
	}
	if len([]rune(password)) < MinPasswordLen {
		return ErrWeakPassword
	}
	h, err := Hash(password, l.opts.Params)
	if err != nil {
		return err
	}
	_, err = l.db.ExecContext(ctx, `INSERT INTO auth_users (name, display_name, role, hash, created, department, mail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.Name, u.DisplayName, string(u.Role), h, l.db.Stamp(l.opts.Now()), u.Department, u.Mail)
	if err != nil {
		if meta.IsUnique(err) {
			return ErrExists
		}
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}

// SetPassword replaces a local user's password, clears its lockouts and
// ends the user's sessions. A directory user's password is the
// directory's: ErrDirectoryUser.
func (l *Local) SetPassword(ctx context.Context, name, password string) error {
	if len([]rune(password)) < MinPasswordLen {
		return ErrWeakPassword
	}
	h, err := Hash(password, l.opts.Params)
	if err != nil {
		return err
	}
	if u, err := l.User(ctx, name); err == nil && u.Directory {
		return ErrDirectoryUser
	}
	if err := l.update(ctx, name, `UPDATE auth_users SET hash=?, failures=0 WHERE name=?`, h, name); err != nil {
		return err
	}
	return l.clearLockouts(ctx, name)
}

// SetDisabled disables or enables a user; disabling ends its sessions.
func (l *Local) SetDisabled(ctx context.Context, name string, disabled bool) error {
	return l.update(ctx, name, `UPDATE auth_users SET disabled=? WHERE name=?`, disabled, name)
}

// SetRole changes a user's role.
func (l *Local) SetRole(ctx context.Context, name string, r Role) error {
	if !r.Valid() {
		return fmt.Errorf("auth: unknown role %q", r)
	}
	return l.update(ctx, name, `UPDATE auth_users SET role=? WHERE name=?`, string(r), name)
}

// SetDepartment changes a user's department (所属), which chooses the
// policy of what the user receives.
func (l *Local) SetDepartment(ctx context.Context, name, dept string) error {
	return l.update(ctx, name, `UPDATE auth_users SET department=? WHERE name=?`, dept, name)
}

// SetMail changes a local user's mail address ("" for none). A
// directory user's is the directory's: ErrDirectoryUser.
func (l *Local) SetMail(ctx context.Context, name, addr string) error {
	if !ValidMail(addr) {
		return ErrInvalidMail
	}
	if u, err := l.User(ctx, name); err == nil && u.Directory {
		return ErrDirectoryUser
	}
	return l.update(ctx, name, `UPDATE auth_users SET mail=? WHERE name=?`, addr, name)
}

// Unlock clears the account's lockouts from every address.
func (l *Local) Unlock(ctx context.Context, name string) error {
	if err := l.update(ctx, name, `UPDATE auth_users SET failures=0 WHERE name=?`, name); err != nil {
		return err
	}
	return l.clearLockouts(ctx, name)
}

func (l *Local) clearLockouts(ctx context.Context, name string) error {
	if _, err := l.db.ExecContext(ctx, `DELETE FROM auth_lockouts WHERE user_name=?`, name); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}

func (l *Local) update(ctx context.Context, name, q string, args ...any) error {
	res, err := l.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoUser
	}
	_, err = l.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE user_name=?`, name)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}

// userCols name a user's columns; locked_until is the latest lock of
// the account from any address.
const userCols = `name, display_name, role, department, mail, directory, disabled, created, failures,
	(SELECT max(locked_until) FROM auth_lockouts WHERE auth_lockouts.user_name = auth_users.name)`

// scanUser scans the userCols of a row, then extra columns into extra.
func scanUser(sc interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	var role, created string
	if err := sc.Scan(append([]any{&u.Name, &u.DisplayName, &role, &u.Department, &u.Mail, &u.Directory, &u.Disabled, &created, &u.Failures, meta.ScanTime(&u.LockedUntil)}, extra...)...); err != nil {
		return u, err
	}
	u.Role, u.Created = Role(role), parseTS(created)
	return u, nil
}

// User returns one user.
func (l *Local) User(ctx context.Context, name string) (User, error) {
	u, err := scanUser(l.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM auth_users WHERE name=?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNoUser
	}
	if err != nil {
		return u, fmt.Errorf("auth: %w", err)
	}
	return u, nil
}

// Users lists every user by name.
func (l *Local) Users(ctx context.Context) ([]User, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+userCols+` FROM auth_users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Authenticate implements Authenticator for a login whose source
// address is not known; see AuthenticateFrom.
func (l *Local) Authenticate(ctx context.Context, name, password string) (User, error) {
	return l.AuthenticateFrom(ctx, name, password, "")
}

// AuthenticateFrom checks a login from the source address addr. A wrong
// password counts toward the lockout of addr from the account; while
// addr is locked out the login is refused, even with the right password,
// with an error wrapping a *LockedError. Other addresses are not locked.
func (l *Local) AuthenticateFrom(ctx context.Context, name, password, addr string) (User, error) {
	if !ValidName(name) {
		Verify(l.dummy, password) // same time as a real check
		return User{}, fmt.Errorf("%w: %w", ErrBadCredentials, ErrNoUser)
	}
	now := l.opts.Now()
	until, err := l.lockedUntil(ctx, name, addr, now)
	if err != nil {
		return User{}, err
	}
	if !until.IsZero() {
		Verify(l.dummy, password)
		return User{}, fmt.Errorf("%w: %w", ErrBadCredentials, &LockedError{Until: until})
	}
	var hash string
	u, err := scanUser(l.db.QueryRowContext(ctx, `SELECT `+userCols+`, hash FROM auth_users WHERE name=?`, name), &hash)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("auth: %w", err)
	}
	if l.opts.Directory != nil && (!known || u.Directory) {
		return l.directoryLogin(ctx, name, password, addr, known, now)
	}
	if !known || u.Directory {
		// No such account, or a directory user while no directory is set.
		Verify(l.dummy, password)
		return User{}, fmt.Errorf("%w: %w", l.failed(ctx, name, addr, known, now), ErrNoUser)
	}
	if ok, verr := Verify(hash, password); verr != nil || !ok {
		return User{}, l.failed(ctx, name, addr, true, now)
	}
	if u.Disabled {
		return User{}, fmt.Errorf("%w: %w", ErrBadCredentials, ErrDisabled)
	}
	if err := l.succeeded(ctx, name, addr); err != nil {
		return User{}, err
	}
	u.Failures = 0
	return u, nil
}

// Session is a signed-in user on one site.
type Session struct {
	User User
	Zone string // the site the session belongs to ("upload", "download")
	// CSRF is the token every state-changing request must carry.
	CSRF    string
	Created time.Time
}

// NewSession starts a session for user on zone and returns its token,
// which goes into the cookie and nowhere else.
func (l *Local) NewSession(ctx context.Context, user, zone, ip string) (token string, s Session, err error) {
	token = ids.Token()
	now := l.opts.Now()
	s = Session{Zone: zone, CSRF: ids.Token(), Created: now}
	_, err = l.db.ExecContext(ctx, `INSERT INTO auth_sessions (token_hash, user_name, zone, csrf, created, last_seen, ip) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tokenHash(token), user, zone, s.CSRF, l.db.Stamp(now), l.db.Stamp(now), ip)
	if err != nil {
		return "", Session{}, fmt.Errorf("auth: %w", err)
	}
	s.User, err = l.User(ctx, user)
	return token, s, err
}

// Session returns the live session for token on zone and marks it used.
// An expired session, one of a disabled user, or one of another zone is
// ErrNoSession.
func (l *Local) Session(ctx context.Context, token, zone string) (Session, error) {
	if token == "" || len(token) > 128 {
		return Session{}, ErrNoSession
	}
	th := tokenHash(token)
	var s Session
	var user, created, seen string
	err := l.db.QueryRowContext(ctx, `SELECT user_name, zone, csrf, created, last_seen FROM auth_sessions WHERE token_hash=?`, th).
		Scan(&user, &s.Zone, &s.CSRF, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("auth: %w", err)
	}
	now := l.opts.Now()
	s.Created = parseTS(created)
	if s.Zone != zone || now.Sub(parseTS(seen)) > l.opts.SessionTTL || now.Sub(s.Created) > l.opts.SessionMax {
		if s.Zone == zone {
			l.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE token_hash=?`, th)
		}
		return Session{}, ErrNoSession
	}
	s.User, err = l.User(ctx, user)
	if err != nil || s.User.Disabled {
		return Session{}, ErrNoSession
	}
	// QUIRK: last_seen is written at most once a minute, so that page
	// polling does not turn every request into a database write.
	if now.Sub(parseTS(seen)) > time.Minute {
		l.db.ExecContext(ctx, `UPDATE auth_sessions SET last_seen=? WHERE token_hash=?`, l.db.Stamp(now), th)
	}
	return s, nil
}

// EndSession deletes a session (logout).
func (l *Local) EndSession(ctx context.Context, token string) error {
	_, err := l.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE token_hash=?`, tokenHash(token))
	return err
}

// PurgeSessions deletes expired sessions.
func (l *Local) PurgeSessions(ctx context.Context) error {
	now := l.opts.Now()
	_, err := l.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE last_seen < ? OR created < ?`,
		l.db.Stamp(now.Add(-l.opts.SessionTTL)), l.db.Stamp(now.Add(-l.opts.SessionMax)))
	return err
}
