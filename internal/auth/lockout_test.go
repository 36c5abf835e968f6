package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
)

// TestLockoutDenialOfService: a guesser typing wrong passwords for a
// colleague's account from another address does not lock the colleague
// out; only the guesser's address is locked, longer at each new failure.
func TestLockoutDenialOfService(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		l := newLocal(t, db, func() time.Time { return now })
		ctx := context.Background()
		if err := l.Add(ctx, User{Name: "alice"}, "good password 1"); err != nil {
			t.Fatal(err)
		}
		const attacker, owner = "198.51.100.7", "192.0.2.10"
		for i := range 5 {
			_, err := l.AuthenticateFrom(ctx, "alice", "guess", attacker)
			if !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
			if locked := errors.Is(err, ErrLocked); locked != (i == 4) {
				t.Fatalf("attempt %d: locked %v", i, locked)
			}
		}
		if _, err := l.AuthenticateFrom(ctx, "alice", "good password 1", owner); err != nil {
			t.Fatalf("the owner from their own address: %v", err)
		}
		_, err := l.AuthenticateFrom(ctx, "alice", "good password 1", attacker)
		var le *LockedError
		if !errors.As(err, &le) || !le.Until.Equal(now.Add(15*time.Minute)) {
			t.Fatalf("the right password from the locked address: %v, want locked for 15 minutes", err)
		}
		// The lock doubles with each failure after it ends.
		now = now.Add(16 * time.Minute)
		if _, err := l.AuthenticateFrom(ctx, "alice", "guess", attacker); !errors.As(err, &le) || !le.Until.Equal(now.Add(30*time.Minute)) {
			t.Fatalf("a failure after the lock: %v, want locked for 30 minutes", err)
		}
		if u, _ := l.User(ctx, "alice"); !u.LockedUntil.Equal(now.Add(30 * time.Minute)) {
			t.Errorf("the account shows locked until %v", u.LockedUntil)
		}
		if err := l.Unlock(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.AuthenticateFrom(ctx, "alice", "good password 1", attacker); err != nil {
			t.Errorf("after an administrator's unlock: %v", err)
		}
	})
}

// TestLockoutDoesNotRevealAccounts: an unknown account locks after as
// many failures as a real one, with the same error.
func TestLockoutDoesNotRevealAccounts(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		l := newLocal(t, db, func() time.Time { return now })
		ctx := context.Background()
		l.Add(ctx, User{Name: "alice"}, "good password 1")
		for _, name := range []string{"alice", "nobody"} {
			var err error
			for range 5 {
				_, err = l.AuthenticateFrom(ctx, name, "guess", "198.51.100.7")
			}
			var le *LockedError
			if !errors.As(err, &le) || !errors.Is(err, ErrBadCredentials) {
				t.Errorf("%s after 5 failures: %v, want a lock", name, err)
			}
		}
	})
}

// TestLoginAlarmForAccount: failures for one account spread over many
// addresses lock none of them but raise the account's alarm, once per
// AlarmFailures failures.
func TestLoginAlarmForAccount(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		l, err := NewLocal(context.Background(), db, Options{Params: cheap, AlarmFailures: 6, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		l.Add(ctx, User{Name: "alice"}, "good password 1")
		alarms := 0
		for i := range 12 {
			_, err := l.AuthenticateFrom(ctx, "alice", "guess", fmt.Sprintf("203.0.113.%d", i+1))
			if errors.Is(err, ErrLocked) {
				t.Fatalf("attempt %d locked an address after one failure", i)
			}
			if errors.Is(err, ErrAlarm) {
				alarms++
				if i != 5 && i != 11 {
					t.Errorf("alarm at attempt %d", i)
				}
			}
		}
		if alarms != 2 {
			t.Errorf("%d alarms for 12 failures, want 2", alarms)
		}
		if _, err := l.AuthenticateFrom(ctx, "alice", "good password 1", "192.0.2.10"); err != nil {
			t.Errorf("the owner after the alarm: %v", err)
		}
		if u, _ := l.User(ctx, "alice"); u.Failures != 0 {
			t.Errorf("failures %d after a good login", u.Failures)
		}
	})
}
