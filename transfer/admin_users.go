package transfer

import (
	"errors"
	"net/http"
	"strings"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
)

// actionUser prefixes the audited changes of accounts: user-add,
// user-disable, user-enable, user-unlock, user-role, user-department,
// user-mail, user-password. A password is never recorded.
const actionUser = "user-"

// adminUsers lists the accounts, as `mugai users list` does.
func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, "", "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, errMsg, notice string) {
	users, err := s.users.Users(r.Context())
	if err != nil {
		s.log.Error("admin users", "err", err)
		errMsg, status = words(lang(r))("page.err_internal"), http.StatusInternalServerError
	}
	s.render(w, r, ZoneDownload, "admin_users", page{Admin: &adminPage{Users: users}, Error: errMsg, Notice: notice}, status)
}

// adminAddUser creates a local account.
func (s *Server) adminAddUser(w http.ResponseWriter, r *http.Request) {
	u := auth.User{
		Name: strings.TrimSpace(r.PostFormValue("name")), DisplayName: strings.TrimSpace(r.PostFormValue("display")),
		Role: auth.Role(r.PostFormValue("role")), Department: strings.TrimSpace(r.PostFormValue("department")),
		Mail: strings.TrimSpace(r.PostFormValue("mail")),
	}
	if !u.Role.Valid() {
		s.renderUsers(w, r, http.StatusBadRequest, words(lang(r))("admin.err_action"), "")
		return
	}
	s.changeUser(w, r, u.Name, "add", "role="+string(u.Role)+" department="+u.Department+" mail="+u.Mail, func() error {
		return s.users.Add(r.Context(), u, r.PostFormValue("password"))
	})
}

// adminUser changes one account: disable, enable, unlock, role,
// department, mail address or password. An administrator cannot disable or demote
// their own account, so that the console is never left without one.
func (s *Server) adminUser(w http.ResponseWriter, r *http.Request) {
	name, action := r.PathValue("name"), r.PostFormValue("action")
	self := name == session(r).User.Name
	ctx := r.Context()
	var do func() error
	detail := ""
	switch action {
	case "disable", "enable":
		if self {
			break
		}
		do = func() error { return s.users.SetDisabled(ctx, name, action == "disable") }
	case "unlock":
		do = func() error { return s.users.Unlock(ctx, name) }
	case "role":
		role := auth.Role(r.PostFormValue("role"))
		if self && role != auth.RoleAdmin {
			break
		}
		detail = string(role)
		do = func() error { return s.users.SetRole(ctx, name, role) }
	case "department":
		detail = strings.TrimSpace(r.PostFormValue("department"))
		do = func() error { return s.users.SetDepartment(ctx, name, detail) }
	case "mail":
		detail = strings.TrimSpace(r.PostFormValue("mail"))
		do = func() error { return s.users.SetMail(ctx, name, detail) }
	case "password":
		do = func() error { return s.users.SetPassword(ctx, name, r.PostFormValue("password")) }
	}
	if do == nil {
		s.renderUsers(w, r, http.StatusBadRequest, words(lang(r))("admin.err_action"), "")
		return
	}
	s.changeUser(w, r, name, action, detail, do)
}

// changeUser records the change, then makes it, and shows the list with
// the outcome.
func (s *Server) changeUser(w http.ResponseWriter, r *http.Request, name, action, detail string, do func() error) {
	t := words(lang(r))
	if err := s.recordFirst(r, audit.Event{Action: actionUser + action, Name: name, Outcome: "ok", Detail: detail}); err != nil {
		s.log.Error("admin audit", "err", err)
		s.renderUsers(w, r, http.StatusInternalServerError, t("page.err_internal"), "")
		return
	}
	err := do()
	var msg string
	status := http.StatusBadRequest
	switch {
	case err == nil:
		s.renderUsers(w, r, http.StatusOK, "", t("admin.done_user", name))
		return
	case errors.Is(err, auth.ErrWeakPassword):
		msg = t("admin.err_weak_password", auth.MinPasswordLen)
	case errors.Is(err, auth.ErrInvalidName):
		msg = t("admin.err_user_name")
	case errors.Is(err, auth.ErrExists):
		msg = t("admin.err_user_exists", name)
	case errors.Is(err, auth.ErrNoUser):
		msg, status = t("admin.err_no_user", name), http.StatusNotFound
	case errors.Is(err, auth.ErrInvalidMail):
		msg = t("admin.err_mail")
	case errors.Is(err, auth.ErrDirectoryUser):
		msg = t("admin.err_directory_user")
	default:
		s.log.Error("admin user "+action, "user", name, "err", err)
		msg, status = t("page.err_internal"), http.StatusInternalServerError
	}
	s.record(r, ZoneDownload, audit.Event{Action: actionUser + action, Name: name, Outcome: "failed", Detail: detail})
	s.renderUsers(w, r, status, msg, "")
}
