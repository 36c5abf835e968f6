package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/mugai-project/mugai/internal/auth/ldaptest"
	"github.com/mugai-project/mugai/internal/freeport"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
)

// testOptions are the test directory's: StartTLS, the service account's
// search, the groups mapped to roles and departments.
func testOptions(s *ldaptest.Server) LDAPOptions {
	return LDAPOptions{
		URL: s.URL, StartTLS: true, RootCAs: s.CA,
		BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
		UserBase: ldaptest.People, GroupBase: ldaptest.Groups,
		DisabledGroup: "mugai-disabled",
		Groups: []GroupMap{
			{Group: "mugai-approvers", Role: RoleApprover},
			{Group: "mugai-admins", Role: RoleAdmin},
			{Group: "zaisei", Department: "財政課"},
		},
	}
}

// newDirectoryLocal is a Local on db (a new SQLite one when nil) that
// signs in through the directory of o.
func newDirectoryLocal(t *testing.T, db *meta.DB, o LDAPOptions, now func() time.Time) *Local {
	t.Helper()
	d, err := NewLDAP(o)
	if err != nil {
		t.Fatal(err)
	}
	if db == nil {
		db = metatest.SQLite(t)
	}
	l := newLocal(t, db, now)
	l.opts.Directory = d
	return l
}

func TestLDAPGroupGivesApproverRoleOverStartTLS(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		sd := ldaptest.Start(t)
		l := newDirectoryLocal(t, db, testOptions(sd), time.Now)
		ctx := context.Background()
		u, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != RoleApprover || u.Department != "財政課" || u.DisplayName != "佐藤 花子" || !u.Directory {
			t.Fatalf("hanako = %+v; want an approver of 財政課 from the directory", u)
		}
		tok, _, err := l.NewSession(ctx, "hanako", "download", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if s, err := l.Session(ctx, tok, "download"); err != nil || !s.User.Role.CanApprove() {
			t.Fatalf("session = %+v, %v; want hanako's approver session", s, err)
		}
		taro, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1")
		if err != nil || taro.Role != RoleUser || taro.Department != "" {
			t.Fatalf("taro = %+v, %v; want a plain user with no department", taro, err)
		}
		if err := l.SetPassword(ctx, "hanako", "a-local-password"); !errors.Is(err, ErrDirectoryUser) {
			t.Fatalf("SetPassword on a directory user = %v; want ErrDirectoryUser", err)
		}
	})
}

func TestLDAPDisabledAccountCannotSignIn(t *testing.T) {
	sd := ldaptest.Start(t)
	l := newDirectoryLocal(t, nil, testOptions(sd), time.Now)
	for _, tc := range []struct{ name, user, password string }{
		{"ppolicy administrative lock", "locked", "locked-password"},
		{"disabled group", "leaver", "leaver-password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.AuthenticateFrom(context.Background(), tc.user, tc.password, "192.0.2.1")
			if !errors.Is(err, ErrDisabled) || !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("login of %s with the right password = %v; want ErrDisabled", tc.user, err)
			}
		})
	}
}

func TestLDAPDisabledAfterSigningInEndsSessions(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		sd := ldaptest.Start(t)
		ctx := context.Background()
		l := newDirectoryLocal(t, db, testOptions(sd), time.Now)
		if _, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		tok, _, _ := l.NewSession(ctx, "taro", "upload", "192.0.2.1")
		admin := directoryAdmin(t, sd)
		m := ldap.NewModifyRequest("cn=mugai-disabled,ou=groups,dc=example,dc=jp", nil)
		m.Add("member", []string{"uid=taro,ou=people,dc=example,dc=jp"})
		if err := admin.Modify(m); err != nil {
			t.Fatal(err)
		}
		if _, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1"); !errors.Is(err, ErrDisabled) {
			t.Fatalf("login after the directory disabled taro = %v; want ErrDisabled", err)
		}
		if _, err := l.Session(ctx, tok, "upload"); !errors.Is(err, ErrNoSession) {
			t.Fatalf("taro's session after he was disabled = %v; want ErrNoSession", err)
		}
	})
}

func TestLDAPWrongPasswordCountsTowardLockout(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		sd := ldaptest.Start(t)
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		l := newDirectoryLocal(t, db, testOptions(sd), func() time.Time { return now })
		ctx := context.Background()
		for i := 1; i <= 5; i++ {
			_, err := l.AuthenticateFrom(ctx, "hanako", "wrong-password", "203.0.113.9")
			if !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("wrong password %d = %v; want ErrBadCredentials", i, err)
			}
			if locked := errors.Is(err, ErrLocked); locked != (i == 5) {
				t.Fatalf("wrong password %d: locked = %v", i, locked)
			}
		}
		if _, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "203.0.113.9"); !errors.Is(err, ErrLocked) {
			t.Fatalf("right password from the locked address = %v; want ErrLocked", err)
		}
		if _, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1"); err != nil {
			t.Fatalf("right password from another address = %v; want a login", err)
		}
		// Names the directory does not know are counted and locked the same.
		for range 5 {
			l.AuthenticateFrom(ctx, "nobody", "some-password", "203.0.113.9")
		}
		if _, err := l.AuthenticateFrom(ctx, "nobody", "some-password", "203.0.113.9"); !errors.Is(err, ErrLocked) {
			t.Fatalf("unknown name after five tries = %v; want ErrLocked", err)
		}
	})
}

func TestLDAPUnauthenticatedBindRefused(t *testing.T) {
	sd := ldaptest.Start(t)
	l := newDirectoryLocal(t, nil, testOptions(sd), time.Now)
	// RFC 4513 5.1.2: a name with an empty password binds anonymously.
	if _, err := l.AuthenticateFrom(context.Background(), "hanako", "", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("empty password = %v; want ErrBadCredentials", err)
	}
}

func TestLDAPSAndDNTemplate(t *testing.T) {
	sd := ldaptest.Start(t)
	o := testOptions(sd)
	o.URL, o.StartTLS = sd.LDAPSURL, false
	o.BindDN, o.BindPassword, o.UserBase = "", "", ""
	o.UserDN = "uid={user},ou=people,dc=example,dc=jp"
	l := newDirectoryLocal(t, nil, o, time.Now)
	ctx := context.Background()
	u, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1")
	if err != nil || u.Role != RoleApprover {
		t.Fatalf("ldaps login with a DN template = %+v, %v; want an approver", u, err)
	}
	if _, err := l.AuthenticateFrom(ctx, "leaver", "leaver-password", "192.0.2.1"); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled-group member with a DN template = %v; want ErrDisabled", err)
	}
	if _, err := l.AuthenticateFrom(ctx, "taro", "not-taros", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password with a DN template = %v; want ErrBadCredentials", err)
	}
}

func TestLDAPUntrustedCertificateRefused(t *testing.T) {
	sd := ldaptest.Start(t)
	o := testOptions(sd)
	o.RootCAs = x509.NewCertPool() // not the test CA
	l := newDirectoryLocal(t, nil, o, time.Now)
	_, err := l.AuthenticateFrom(context.Background(), "hanako", "hanako-password", "192.0.2.1")
	if err == nil || errors.Is(err, ErrBadCredentials) {
		t.Fatalf("StartTLS to an untrusted certificate = %v; want a directory error", err)
	}
}

func TestLocalBreakGlassWhileDirectoryDown(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		o := LDAPOptions{URL: fmt.Sprintf("ldap://127.0.0.1:%d", freeport.Port(t)), StartTLS: true,
			UserBase: "ou=people,dc=example,dc=jp", Timeout: 2 * time.Second}
		l := newDirectoryLocal(t, db, o, time.Now)
		ctx := context.Background()
		if err := l.Add(ctx, User{Name: "breakglass", Role: RoleAdmin}, "a-long-local-password"); err != nil {
			t.Fatal(err)
		}
		if u, err := l.AuthenticateFrom(ctx, "breakglass", "a-long-local-password", "192.0.2.1"); err != nil || u.Role != RoleAdmin || u.Directory {
			t.Fatalf("break-glass admin = %+v, %v; want a local admin", u, err)
		}
		if _, err := l.AuthenticateFrom(ctx, "breakglass", "wrong-password", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong local password = %v; want ErrBadCredentials", err)
		}
		_, err := l.AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1")
		if err == nil || errors.Is(err, ErrBadCredentials) {
			t.Fatalf("directory user while the directory is down = %v; want a directory error", err)
		}
	})
}

func TestNewLDAPRefusesPasswordsInTheClear(t *testing.T) {
	for _, o := range []LDAPOptions{
		{URL: "ldap://dir.example.jp", UserBase: "dc=example,dc=jp"},
		{URL: "ldaps://dir.example.jp", StartTLS: true, UserBase: "dc=example,dc=jp"},
		{URL: "http://dir.example.jp", UserBase: "dc=example,dc=jp"},
		{URL: "ldaps://dir.example.jp"},
		{URL: "ldaps://dir.example.jp", UserDN: "cn=fixed,dc=example,dc=jp"},
		{URL: "ldaps://dir.example.jp", UserBase: "dc=example,dc=jp", Groups: []GroupMap{{Group: "x", Role: "root"}}},
	} {
		if _, err := NewLDAP(o); err == nil {
			t.Errorf("NewLDAP(%+v) accepted", o)
		}
	}
}

func TestActiveDirectoryAccountDisabledBit(t *testing.T) {
	for _, tc := range []struct {
		uac  string
		want bool
	}{{"512", false}, {"514", true}, {"66050", true}, {"66048", false}, {"garbage", true}, {"", false}} {
		e := ldap.NewEntry("cn=x,dc=example,dc=jp", map[string][]string{})
		if tc.uac != "" {
			e = ldap.NewEntry("cn=x,dc=example,dc=jp", map[string][]string{"userAccountControl": {tc.uac}})
		}
		if got := accountDisabled(e); got != tc.want {
			t.Errorf("userAccountControl %q: disabled = %v; want %v", tc.uac, got, tc.want)
		}
	}
}

// TestDirectoryCannotTakeOverALocalName: a local account of a name the
// directory also has is checked by its local hash only.
func TestDirectoryCannotTakeOverALocalName(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		sd := ldaptest.Start(t)
		l := newDirectoryLocal(t, db, testOptions(sd), time.Now)
		ctx := context.Background()
		if err := l.Add(ctx, User{Name: "taro", Role: RoleAdmin}, "the-local-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("the directory's password for a local name = %v; want ErrBadCredentials", err)
		}
		if u, err := l.AuthenticateFrom(ctx, "taro", "the-local-password", "192.0.2.1"); err != nil || u.Directory || u.Role != RoleAdmin {
			t.Fatalf("the local password = %+v, %v; want the local admin", u, err)
		}
	})
}

// TestLDAPDirectoryChangesTakenAtNextLogin: what the directory changes
// about a user who signed in before (groups, name, mail, a disabled
// account enabled again) is written over the stored record at the next
// login, on each database.
func TestLDAPDirectoryChangesTakenAtNextLogin(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		sd := ldaptest.Start(t)
		ctx := context.Background()
		l := newDirectoryLocal(t, db, testOptions(sd), time.Now)
		if u, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1"); err != nil || u.Role != RoleUser || u.Department != "" || u.Mail != "" {
			t.Fatalf("taro's first login = %+v, %v; want a plain user", u, err)
		}
		admin := directoryAdmin(t, sd)
		const taro = "uid=taro,ou=people,dc=example,dc=jp"
		modify := func(dn string, change func(m *ldap.ModifyRequest)) {
			t.Helper()
			m := ldap.NewModifyRequest(dn, nil)
			change(m)
			if err := admin.Modify(m); err != nil {
				t.Fatal(err)
			}
		}
		for _, g := range []string{"mugai-approvers", "zaisei"} {
			modify("cn="+g+",ou=groups,dc=example,dc=jp", func(m *ldap.ModifyRequest) { m.Add("member", []string{taro}) })
		}
		modify(taro, func(m *ldap.ModifyRequest) {
			m.Add("displayName", []string{"鈴木 太郎"})
			m.Add("mail", []string{"t-suzuki@lg.example.jp"})
		})
		u, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1")
		if err != nil || u.Role != RoleApprover || u.Department != "財政課" || u.DisplayName != "鈴木 太郎" || u.Mail != "t-suzuki@lg.example.jp" {
			t.Fatalf("taro after the directory's changes = %+v, %v; want an approver of 財政課, 鈴木 太郎, t-suzuki@lg.example.jp", u, err)
		}

		disabled := "cn=mugai-disabled,ou=groups,dc=example,dc=jp"
		modify(disabled, func(m *ldap.ModifyRequest) { m.Add("member", []string{taro}) })
		if _, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1"); !errors.Is(err, ErrDisabled) {
			t.Fatalf("login of a disabled taro = %v; want ErrDisabled", err)
		}
		if u, err := l.User(ctx, "taro"); err != nil || !u.Disabled {
			t.Fatalf("taro's record once the directory disabled him = %+v, %v; want disabled", u, err)
		}
		modify(disabled, func(m *ldap.ModifyRequest) { m.Delete("member", []string{taro}) })
		if u, err := l.AuthenticateFrom(ctx, "taro", "taro-password", "192.0.2.1"); err != nil || u.Disabled || u.Role != RoleApprover {
			t.Fatalf("login once the directory enabled taro again = %+v, %v; want an enabled approver", u, err)
		}
	})
}

// directoryAdmin is a connection to the test directory bound as its
// administrator, to change entries between logins; closed when the test
// ends.
func directoryAdmin(t *testing.T, sd *ldaptest.Server) *ldap.Conn {
	t.Helper()
	admin, err := ldap.DialURL(sd.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if err := admin.Bind(ldaptest.AdminDN, ldaptest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return admin
}
