package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
)

// Directory checks a name and password against an outside directory
// (LDAP, ldap.go). Check returns the account as the directory sees it
// (display name, mail address, role, department), or an error wrapping
// ErrBadCredentials (wrong password, no such account), ErrDisabled (the
// directory disabled the account), or any other error when the directory
// could not answer, which refuses the login without counting it.
type Directory interface {
	Check(ctx context.Context, name, password string) (User, error)
}

// Local and a Directory share the work: a name that is a local account
// is always checked by Local's own hash, whatever the directory says, so
// break-glass administrators sign in while the directory is down and a
// directory entry cannot take over a local name. Every other name goes
// to the directory. Its wrong passwords count toward the same lockout
// per account and address (lockout.go), and each good login writes the
// user's record (auth_users, directory = 1, no usable hash) with the
// role, department and mail address of that moment, which the sessions and the
// recipient lists read.
//
// Divergence: a session lives on after the directory disables its user,
// until it ends (Options.SessionTTL, SessionMax) or the user tries to
// sign in again.

// userColumns are added to auth_users of a database made before them:
// directory login's, then the mail address.
var userColumns = []meta.Column{
	{Name: "department", Decl: "TEXT NOT NULL DEFAULT ''"},
	{Name: "directory", Decl: "{bool}"},
	{Name: "mail", Decl: "TEXT NOT NULL DEFAULT ''"},
}

// directoryLogin checks name at the directory; known says whether Local
// has a record of it (a directory user who signed in before).
func (l *Local) directoryLogin(ctx context.Context, name, password, addr string, known bool, now time.Time) (User, error) {
	du, err := l.opts.Directory.Check(ctx, name, password)
	switch {
	case errors.Is(err, ErrDisabled):
		if known {
			if err := l.update(ctx, name, `UPDATE auth_users SET disabled=TRUE WHERE name=? AND directory=TRUE`, name); err != nil {
				return User{}, err
			}
		}
		return User{}, fmt.Errorf("%w: %w", ErrBadCredentials, ErrDisabled)
	case errors.Is(err, ErrBadCredentials):
		return User{}, l.failed(ctx, name, addr, known, now)
	case err != nil:
		return User{}, fmt.Errorf("auth: directory: %w", err)
	}
	if !du.Role.Valid() {
		du.Role = RoleUser
	}
	if !ValidMail(du.Mail) {
		du.Mail = "" // the notifications guess rather than fail
	}
	// The record has no usable hash: only the directory signs it in.
	res, err := l.db.ExecContext(ctx, `INSERT INTO auth_users (name, display_name, role, department, mail, hash, created, directory) VALUES (?, ?, ?, ?, ?, '', ?, TRUE)
		ON CONFLICT (name) DO UPDATE SET display_name=excluded.display_name, role=excluded.role, department=excluded.department, mail=excluded.mail, disabled=FALSE
		WHERE auth_users.directory=TRUE`, name, du.DisplayName, string(du.Role), du.Department, du.Mail, l.db.Stamp(now))
	if err != nil {
		return User{}, fmt.Errorf("auth: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// A local account of that name was added meanwhile: it is not the
		// directory's to sign in.
		return User{}, fmt.Errorf("%w: %w", ErrBadCredentials, ErrNoUser)
	}
	if err := l.succeeded(ctx, name, addr); err != nil {
		return User{}, err
	}
	return l.User(ctx, name)
}
