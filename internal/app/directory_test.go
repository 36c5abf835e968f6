package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/auth/ldaptest"
	"github.com/mugai-project/mugai/internal/config"
)

// TestServiceSignsInThroughTheDirectory: with [auth.ldap] set, the sites'
// accounts are checked by the directory over ldaps with the configured
// CA, and its groups give roles and departments.
func TestServiceSignsInThroughTheDirectory(t *testing.T) {
	sd := ldaptest.Start(t)
	svc, _ := startService(t, fmt.Sprintf(`
[log]
level = "error"
[smtp]
listen = "127.0.0.1:0"
[admin]
listen = ""
[web]
upload_listen = "127.0.0.1:0"
download_listen = "127.0.0.1:0"
plain_http = true

[auth.ldap]
url = %q
ca_file = %q
user_dn = "uid={user},ou=people,dc=example,dc=jp"
group_base = %q
disabled_group = "mugai-disabled"

[[auth.ldap.groups]]
group = "mugai-approvers"
role = "approver"

[[auth.ldap.groups]]
group = "zaisei"
department = "財政課"
`, sd.LDAPSURL, sd.CAFile, ldaptest.Groups))
	ctx := context.Background()
	u, err := svc.Sites.Users().AuthenticateFrom(ctx, "hanako", "hanako-password", "192.0.2.1")
	if err != nil || u.Role != auth.RoleApprover || u.Department != "財政課" {
		t.Fatalf("hanako = %+v, %v; want an approver of 財政課", u, err)
	}
	if _, err := svc.Sites.Users().AuthenticateFrom(ctx, "leaver", "leaver-password", "192.0.2.1"); !errors.Is(err, auth.ErrDisabled) {
		t.Fatalf("member of disabled_group = %v; want ErrDisabled", err)
	}
}

func TestConfigCheckRefusesBadDirectorySettings(t *testing.T) {
	for _, tc := range []struct{ name, ldap, want string }{
		{"password in the clear", `url = "ldap://dir.example.lg.jp"` + "\nuser_base = \"dc=example\"", "in the clear"},
		{"no user", `url = "ldaps://dir.example.lg.jp"`, "user DN template or a user search base"},
		{"missing CA file", `url = "ldaps://dir.example.lg.jp"` + "\nuser_base = \"dc=example\"\nca_file = \"/nonexistent/ca.pem\"", "ca_file"},
		{"unknown role", `url = "ldaps://dir.example.lg.jp"` + "\nuser_base = \"dc=example\"\n[[auth.ldap.groups]]\ngroup = \"x\"\nrole = \"root\"", "role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]byte("[auth.ldap]\n" + tc.ldap + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if err := app.Check(&c); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v; want an error about %q", err, tc.want)
			}
		})
	}
}
