package transfer

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
)

// TestAdminUsers: an administrator adds an account, changes its role and
// department, resets its password, disables and enables it and unlocks
// it; each change is audited (never the password), refused without the
// CSRF token, and 404 for anyone else. An administrator cannot disable
// or demote their own account.
func TestAdminUsers(t *testing.T) {
	ts := startSite(t, Options{})
	addAdmin(t, ts)
	ctx := context.Background()
	c := ts.newClient(ts.down).login("dave")
	_, body := c.get("/admin/users")
	if !strings.Contains(body, `id="user-alice"`) || !strings.Contains(body, `id="user-carol"`) {
		t.Fatal("the users page does not list the accounts")
	}
	if !strings.Contains(body, "空欄の利用者には「ユーザー名@") {
		t.Error("the users page does not say where the notices of a user without an address go")
	}
	const newPassword = "another long password"
	steps := []struct {
		path   string
		v      url.Values
		status int
	}{
		{"/admin/users", url.Values{"name": {"erin"}, "display": {"山田 恵理"}, "role": {"user"}, "department": {"財政課"}, "password": {testPassword}}, http.StatusOK},
		{"/admin/users", url.Values{"name": {"erin"}, "role": {"user"}, "password": {testPassword}}, http.StatusBadRequest},
		{"/admin/users", url.Values{"name": {"frank"}, "role": {"user"}, "password": {"short"}}, http.StatusBadRequest},
		{"/admin/users", url.Values{"name": {"../x"}, "role": {"user"}, "password": {testPassword}}, http.StatusBadRequest},
		{"/admin/users", url.Values{"name": {"frank"}, "role": {"root"}, "password": {testPassword}}, http.StatusBadRequest},
		{"/admin/users/erin", url.Values{"action": {"role"}, "role": {"approver"}}, http.StatusOK},
		{"/admin/users/erin", url.Values{"action": {"department"}, "department": {"総務課"}}, http.StatusOK},
		{"/admin/users/erin", url.Values{"action": {"mail"}, "mail": {"Erin <e@lg.example.jp>"}}, http.StatusBadRequest},
		{"/admin/users/erin", url.Values{"action": {"mail"}, "mail": {"e-yamada@lg.example.jp"}}, http.StatusOK},
		{"/admin/users/erin", url.Values{"action": {"password"}, "password": {newPassword}}, http.StatusOK},
		{"/admin/users/erin", url.Values{"action": {"disable"}}, http.StatusOK},
		{"/admin/users/nobody", url.Values{"action": {"unlock"}}, http.StatusNotFound},
		{"/admin/users/dave", url.Values{"action": {"disable"}}, http.StatusBadRequest},
		{"/admin/users/dave", url.Values{"action": {"role"}, "role": {"user"}}, http.StatusBadRequest},
	}
	for _, st := range steps {
		st.v.Set("csrf", c.csrf)
		if resp, body := c.postForm(st.path, st.v); resp.StatusCode != st.status {
			t.Errorf("%s %v: status %d, want %d\n%s", st.path, st.v, resp.StatusCode, st.status, body)
		}
	}
	u, err := ts.s.Users().User(ctx, "erin")
	if err != nil || u.Role != auth.RoleApprover || u.Department != "総務課" || u.Mail != "e-yamada@lg.example.jp" || !u.Disabled || u.DisplayName != "山田 恵理" {
		t.Errorf("erin = %+v, %v", u, err)
	}
	if _, err := ts.s.Users().Authenticate(ctx, "erin", newPassword); err == nil {
		t.Error("a disabled account signed in")
	}
	for _, a := range []string{"enable", "unlock"} {
		if resp, _ := c.postForm("/admin/users/erin", url.Values{"csrf": {c.csrf}, "action": {a}}); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", a, resp.StatusCode)
		}
	}
	if _, err := ts.s.Users().Authenticate(ctx, "erin", newPassword); err != nil {
		t.Errorf("erin with the new password: %v", err)
	}
	if d, _ := ts.s.Users().User(ctx, "dave"); d.Role != auth.RoleAdmin || d.Disabled {
		t.Errorf("the administrator changed their own account: %+v", d)
	}
	if resp, _ := c.postForm("/admin/users/erin", url.Values{"action": {"disable"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without CSRF: status %d, want 403", resp.StatusCode)
	}
	evs, _ := ts.s.Audit().Events(ctx, audit.Filter{User: "dave"})
	seen := map[string]bool{}
	for _, e := range evs {
		if e.Name == "erin" && e.Outcome == "ok" {
			seen[e.Action] = true
		}
		if strings.Contains(e.Detail, newPassword) || strings.Contains(e.Detail, testPassword) {
			t.Errorf("a password in the audit trail: %+v", e)
		}
	}
	for _, a := range []string{"add", "role", "department", "mail", "password", "disable", "enable", "unlock"} {
		if !seen[actionUser+a] {
			t.Errorf("%s%s is not in the audit trail", actionUser, a)
		}
	}
	bob := ts.newClient(ts.down).login("carol")
	if resp, _ := bob.postForm("/admin/users", url.Values{"csrf": {bob.csrf}, "name": {"mallory"}, "role": {"admin"}, "password": {testPassword}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an approver adding an admin: status %d, want 404", resp.StatusCode)
	}
	if resp, _ := bob.get("/admin/users"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an approver on /admin/users: status %d", resp.StatusCode)
	}
}
