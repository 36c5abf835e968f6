package transfer

import (
	"context"
	"net/http"
	"testing"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/auth/ldaptest"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
)

// TestDirectoryLogin signs in on the sites through a real slapd: a
// member of mugai-approvers is an approver, a disabled account and a
// wrong password are refused, and wrong passwords lock the address out
// as they do for local accounts; on each database.
func TestDirectoryLogin(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		sd := ldaptest.Start(t)
		d, err := auth.NewLDAP(auth.LDAPOptions{URL: sd.URL, StartTLS: true, RootCAs: sd.CA,
			BindDN: ldaptest.ServiceDN, BindPassword: ldaptest.ServicePassword,
			UserBase: ldaptest.People, GroupBase: ldaptest.Groups,
			Groups: []auth.GroupMap{{Group: "mugai-approvers", Role: auth.RoleApprover}}})
		if err != nil {
			t.Fatal(err)
		}
		ts := startSite(t, Options{PlainHTTP: true, DB: db, Auth: auth.Options{Directory: d}})

		c := ts.newClient(ts.down)
		if st := c.tryLogin("hanako", "hanako-password"); st != http.StatusSeeOther {
			t.Fatalf("directory login: status %d", st)
		}
		if u, err := ts.s.Users().User(context.Background(), "hanako"); err != nil || u.Role != auth.RoleApprover || !u.Directory {
			t.Fatalf("hanako after signing in: %+v, %v; want a directory approver", u, err)
		}
		if st := ts.newClient(ts.down).tryLogin("locked", "locked-password"); st != http.StatusUnauthorized {
			t.Fatalf("disabled directory account: status %d; want 401", st)
		}
		// alice is a local account: the directory does not know her.
		ts.newClient(ts.up).login("alice")

		guesser := ts.newClient(ts.up)
		for range 5 {
			if st := guesser.tryLogin("taro", "not-taros-password"); st != http.StatusUnauthorized {
				t.Fatalf("wrong directory password: status %d", st)
			}
		}
		if st := guesser.tryLogin("taro", "taro-password"); st != http.StatusUnauthorized {
			t.Fatalf("right password from the locked-out address: status %d", st)
		}
		events, err := ts.s.Audit().Events(context.Background(), audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		outcomes := map[string]int{}
		for _, e := range events {
			if e.Action == audit.LoginFailed {
				outcomes[e.User+" "+e.Outcome]++
			}
		}
		if outcomes["taro locked"] < 2 || outcomes["locked disabled"] != 1 || outcomes["taro bad-credentials"] != 4 {
			t.Fatalf("failed logins in the audit trail: %v", outcomes)
		}
		if st := ts.newClientFrom(ts.up, "127.0.0.2").tryLogin("taro", "taro-password"); st != http.StatusSeeOther {
			t.Fatalf("taro from another address: status %d; want a login", st)
		}
	})
}
