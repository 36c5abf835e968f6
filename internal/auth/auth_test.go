package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
)

// cheap keeps the tests fast; production uses the defaults.
var cheap = Params{Time: 1, Memory: 64, Threads: 1}

// newLocal is a Local on db (metatest.Each gives one of each kind).
func newLocal(t *testing.T, db *meta.DB, now func() time.Time) *Local {
	t.Helper()
	l, err := NewLocal(context.Background(), db, Options{Params: cheap, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse", Params{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q lacks the PHC argon2id prefix with the default parameters", h)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct horsf", false}, {"", false}} {
		ok, err := Verify(h, tc.pw)
		if err != nil || ok != tc.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
}

func TestVerifyRefusesHugeMemoryParameter(t *testing.T) {
	h, _ := Hash("x", cheap)
	evil := strings.Replace(h, "m=64,", "m=4194304,", 1)
	if ok, err := Verify(evil, "x"); ok || err == nil {
		t.Fatalf("Verify accepted a 4 GiB memory parameter: %v %v", ok, err)
	}
}

func TestLockoutAfterRepeatedBadPasswords(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		l := newLocal(t, db, func() time.Time { return now })
		ctx := context.Background()
		if err := l.Add(ctx, User{Name: "alice"}, "good password 1"); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if _, err := l.Authenticate(ctx, "alice", "guess"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, err := l.Authenticate(ctx, "alice", "good password 1"); !errors.Is(err, ErrLocked) {
			t.Fatalf("right password during the lockout: %v, want ErrLocked", err)
		}
		now = now.Add(16 * time.Minute)
		if _, err := l.Authenticate(ctx, "alice", "good password 1"); err != nil {
			t.Fatalf("after the lock ended: %v", err)
		}
	})
}

func TestUnknownAndDisabledUsersLookLikeBadPasswords(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		l := newLocal(t, db, nil)
		ctx := context.Background()
		l.Add(ctx, User{Name: "bob", Role: RoleApprover}, "good password 2")
		l.SetDisabled(ctx, "bob", true)
		for _, name := range []string{"bob", "nobody"} {
			pw := "good password 2"
			if _, err := l.Authenticate(ctx, name, pw); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("%s: %v, want ErrBadCredentials", name, err)
			}
		}
	})
}

func TestAddRefusesBadInput(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		l := newLocal(t, db, nil)
		ctx := context.Background()
		for _, tc := range []struct {
			name string
			u    User
			pw   string
			want error
		}{
			{"path in name", User{Name: "../admin"}, "long enough pw", ErrInvalidName},
			{"short password", User{Name: "carol"}, "short", ErrWeakPassword},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := l.Add(ctx, tc.u, tc.pw); !errors.Is(err, tc.want) {
					t.Errorf("got %v, want %v", err, tc.want)
				}
			})
		}
		l.Add(ctx, User{Name: "dave"}, "long enough pw")
		if err := l.Add(ctx, User{Name: "dave"}, "long enough pw"); !errors.Is(err, ErrExists) {
			t.Errorf("duplicate: %v", err)
		}
	})
}

func TestSessionIsBoundToItsZoneAndExpires(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		l := newLocal(t, db, func() time.Time { return now })
		ctx := context.Background()
		l.Add(ctx, User{Name: "alice"}, "good password 1")
		tok, s, err := l.NewSession(ctx, "alice", "upload", "127.0.0.1")
		if err != nil || s.CSRF == "" || s.User.Name != "alice" {
			t.Fatalf("NewSession: %+v %v", s, err)
		}
		if _, err := l.Session(ctx, tok, "download"); !errors.Is(err, ErrNoSession) {
			t.Errorf("upload session accepted on the download site: %v", err)
		}
		if got, err := l.Session(ctx, tok, "upload"); err != nil || got.CSRF != s.CSRF {
			t.Errorf("Session: %+v %v", got, err)
		}
		var stored int
		l.db.QueryRowContext(ctx, `SELECT count(*) FROM auth_sessions WHERE token_hash = ?`, tok).Scan(&stored)
		if stored != 0 {
			t.Error("the session token is stored in clear")
		}
		now = now.Add(9 * time.Hour)
		if _, err := l.Session(ctx, tok, "upload"); !errors.Is(err, ErrNoSession) {
			t.Errorf("idle session still valid: %v", err)
		}
		tok2, _, _ := l.NewSession(ctx, "alice", "upload", "")
		l.SetPassword(ctx, "alice", "another password")
		if _, err := l.Session(ctx, tok2, "upload"); !errors.Is(err, ErrNoSession) {
			t.Errorf("session survived a password change: %v", err)
		}
	})
}

func TestLimiterBruteForceFromOneAddress(t *testing.T) {
	now := time.Unix(0, 0)
	l := &Limiter{Burst: 3, Every: time.Minute, Now: func() time.Time { return now }}
	for i := range 3 {
		if !l.Allow("192.0.2.1") {
			t.Fatalf("attempt %d refused within the burst", i)
		}
	}
	if l.Allow("192.0.2.1") {
		t.Error("fourth attempt allowed")
	}
	if !l.Allow("192.0.2.2") {
		t.Error("another address refused")
	}
	now = now.Add(time.Minute)
	if !l.Allow("192.0.2.1") {
		t.Error("not refilled after the interval")
	}
}

func FuzzVerify(f *testing.F) {
	h, _ := Hash("pw", cheap)
	f.Add(h, "pw")
	f.Add("$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "x")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "x")
	f.Fuzz(func(t *testing.T, enc, pw string) {
		Verify(enc, pw) // must not panic nor allocate past maxMemory
	})
}
