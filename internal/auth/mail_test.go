package auth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/auth/ldaptest"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
)

func TestUserMailIsKeptAndChecked(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) { userMailIsKeptAndChecked(t, db) })
}

func userMailIsKeptAndChecked(t *testing.T, db *meta.DB) {
	l := newLocal(t, db, time.Now)
	ctx := context.Background()
	if err := l.Add(ctx, User{Name: "kato", Mail: "k-kato@lg.example.jp"}, "kato-password"); err != nil {
		t.Fatal(err)
	}
	if u, err := l.User(ctx, "kato"); err != nil || u.Mail != "k-kato@lg.example.jp" {
		t.Fatalf("kato = %+v, %v; want his mail address", u, err)
	}
	for _, bad := range []string{"kato", "Kato <k@lg.example.jp>", "k@lg.example.jp\r\nBcc: x@example.com", "a@b@c"} {
		if err := l.SetMail(ctx, "kato", bad); !errors.Is(err, ErrInvalidMail) {
			t.Errorf("SetMail(%q) = %v; want ErrInvalidMail", bad, err)
		}
		if err := l.Add(ctx, User{Name: "other", Mail: bad}, "other-password"); !errors.Is(err, ErrInvalidMail) {
			t.Errorf("Add with mail %q = %v; want ErrInvalidMail", bad, err)
		}
	}
	if err := l.SetMail(ctx, "kato", ""); err != nil {
		t.Fatal(err)
	}
	if us, err := l.Users(ctx); err != nil || len(us) != 1 || us[0].Mail != "" {
		t.Fatalf("users after clearing the mail = %+v, %v", us, err)
	}
	if err := l.SetMail(ctx, "nobody", "n@lg.example.jp"); !errors.Is(err, ErrNoUser) {
		t.Errorf("SetMail of an unknown user = %v", err)
	}
}

// TestUserMailColumnAddedToAnOlderDatabase: auth_users made before the
// mail column gains it, its rows kept.
func TestUserMailColumnAddedToAnOlderDatabase(t *testing.T) {
	ctx := context.Background()
	db, err := meta.OpenDB(ctx, filepath.Join(t.TempDir(), "mugai.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE auth_users (name TEXT PRIMARY KEY, display_name TEXT NOT NULL DEFAULT '', role TEXT NOT NULL,
		hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO auth_users (name, role, hash, created) VALUES ('old', 'user', '', ?)`, db.Stamp(time.Now())); err != nil {
		t.Fatal(err)
	}
	l, err := NewLocal(ctx, db, Options{Params: cheap})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetMail(ctx, "old", "old@lg.example.jp"); err != nil {
		t.Fatal(err)
	}
	if u, err := l.User(ctx, "old"); err != nil || u.Mail != "old@lg.example.jp" {
		t.Fatalf("old = %+v, %v", u, err)
	}
}

func TestLDAPMailAttributeMappedAtLogin(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		sd := ldaptest.Start(t)
		ctx := context.Background()
		for _, tc := range []struct{ attr, want string }{
			{"", "h-sato@lg.example.jp"},                        // the default, mail
			{"description", "hanako.sato@zaisei.lg.example.jp"}, // configured
		} {
			t.Run("attribute "+tc.attr, func(t *testing.T) {
				o := testOptions(sd)
				o.Mail = tc.attr
				l := newDirectoryLocal(t, db, o, time.Now)
				u, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1")
				if err != nil || u.Mail != tc.want {
					t.Fatalf("hanako = %+v, %v; want mail %s", u, err, tc.want)
				}
				if err := l.SetMail(ctx, "hanako", "x@lg.example.jp"); !errors.Is(err, ErrDirectoryUser) {
					t.Errorf("SetMail of a directory user = %v; want ErrDirectoryUser", err)
				}
				taro, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1")
				if err != nil || taro.Mail != "" {
					t.Errorf("taro, without the attribute = %+v, %v; want no mail", taro, err)
				}
			})
		}
	})
}
