package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
)

// The lockout is kept per account and source address: MaxFailures
// consecutive wrong passwords for one account from one address lock that
// address out of that account for LockFor, and every further failure
// after the lock doubles it, up to MaxLock. Another address, such as the
// account's owner at their own desk, is not locked: a guesser cannot
// lock a colleague out by typing wrong passwords for them. Unknown
// accounts are counted and locked the same way, so that the lock does
// not tell which accounts exist.
//
// The account as a whole is watched instead of locked: every
// AlarmFailures consecutive failures from any addresses, the failed
// login's error also wraps ErrAlarm for the front door to raise an alarm
// (audit trail, log) to the administrators.

const lockoutSchema = `
CREATE TABLE IF NOT EXISTS auth_lockouts (
	user_name TEXT NOT NULL,
	addr TEXT NOT NULL,
	failures INTEGER NOT NULL DEFAULT 0,
	locked_until {maybetime},
	last {time},
	PRIMARY KEY (user_name, addr)
);
`

// ErrAlarm marks a failed login after which an account has had
// AlarmFailures (or a multiple of it) consecutive failures.
var ErrAlarm = errors.New("auth: repeated failed logins for one account")

// LockedError is a login refused because its address is locked out of
// the account until Until. errors.Is(err, ErrLocked) holds for it.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v until %s", ErrLocked, e.Until.Format(time.RFC3339))
}

// Is makes a LockedError match ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// lockedUntil is when the address's lock out of the account ends; zero
// when it is not locked at now.
func (l *Local) lockedUntil(ctx context.Context, name, addr string, now time.Time) (time.Time, error) {
	var until time.Time
	err := l.db.QueryRowContext(ctx, `SELECT locked_until FROM auth_lockouts WHERE user_name=? AND addr=?`, name, addr).Scan(meta.ScanTime(&until))
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("auth: %w", err)
	}
	if now.Before(until) {
		return until, nil
	}
	return time.Time{}, nil
}

// failed counts a wrong password for name from addr and returns the
// error the login gets: ErrBadCredentials, wrapping a *LockedError when
// this failure locked the address and ErrAlarm when it raised the
// account's alarm. known says whether the account exists.
func (l *Local) failed(ctx context.Context, name, addr string, known bool, now time.Time) error {
	var failures int
	var last string
	err := l.db.QueryRowContext(ctx, `SELECT failures, last FROM auth_lockouts WHERE user_name=? AND addr=?`, name, addr).Scan(&failures, &last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("auth: %w", err)
	}
	if now.Sub(parseTS(last)) > l.opts.MaxLock {
		failures = 0 // a quiet day forgives old failures
	}
	failures++
	lock := time.Time{}
	if n := failures - l.opts.MaxFailures; n >= 0 {
		d := l.opts.LockFor
		for ; n > 0 && d < l.opts.MaxLock; n-- {
			d *= 2
		}
		lock = now.Add(min(d, l.opts.MaxLock))
	}
	if _, err := l.db.ExecContext(ctx, `INSERT INTO auth_lockouts (user_name, addr, failures, locked_until, last) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_name, addr) DO UPDATE SET failures=excluded.failures, locked_until=excluded.locked_until, last=excluded.last`,
		name, addr, failures, l.db.MaybeStamp(lock), l.db.Stamp(now)); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	errs := []error{ErrBadCredentials}
	if !lock.IsZero() {
		errs = append(errs, &LockedError{Until: lock})
	}
	if known {
		var total int
		if err := l.db.QueryRowContext(ctx, `UPDATE auth_users SET failures=failures+1 WHERE name=? RETURNING failures`, name).Scan(&total); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
		if total%l.opts.AlarmFailures == 0 {
			errs = append(errs, ErrAlarm)
		}
	}
	if len(errs) == 1 {
		return ErrBadCredentials
	}
	return errors.Join(errs...)
}

// succeeded forgets the failures of name from addr and the account's
// run of failures.
func (l *Local) succeeded(ctx context.Context, name, addr string) error {
	if _, err := l.db.ExecContext(ctx, `DELETE FROM auth_lockouts WHERE user_name=? AND addr=?`, name, addr); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if _, err := l.db.ExecContext(ctx, `UPDATE auth_users SET failures=0 WHERE name=? AND failures<>0`, name); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}

// PurgeLockouts forgets the failures and ended locks older than MaxLock.
func (l *Local) PurgeLockouts(ctx context.Context) error {
	_, err := l.db.ExecContext(ctx, `DELETE FROM auth_lockouts WHERE last < ?`, l.db.Stamp(l.opts.Now().Add(-l.opts.MaxLock)))
	return err
}
