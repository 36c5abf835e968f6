package transfer

import (
	"net/http"
	"slices"

	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/sanitizer"
)

// apiItems returns the user's latest items with their state and report
// as JSON, for scripts.
func (s *Server) apiItems(w http.ResponseWriter, r *http.Request) {
	sess := session(r)
	items, err := s.uploadsOf(r.Context(), sess.User.Name, 50)
	if err != nil {
		s.log.Error("items", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	l := lang(r)
	out := make([]itemView, 0, len(items))
	for _, it := range items {
		out = append(out, s.view(it, l))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// itemView is an item as the page shows it.
type itemView struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Size       string   `json:"size"`
	State      string   `json:"state"`
	Label      string   `json:"label"`
	Final      bool     `json:"final"`
	Approval   string   `json:"approval,omitempty"`
	Recipients []string `json:"recipients,omitempty"`
	Report     []string `json:"report"`
	Outputs    []string `json:"outputs,omitempty"`
	Expires    string   `json:"expires"`
	NeedsPass  bool     `json:"needs_password"`
	// PassNote says how the last password went: wrong with the tries
	// left, or no tries left.
	PassNote string `json:"password_note,omitempty"`
	// Next is the clerk's next step: where to download, or why not yet.
	Next string `json:"next,omitempty"`
}

func (s *Server) view(it *Item, l string) itemView {
	t := words(l)
	v := itemView{ID: it.ID, Name: it.Name, Size: humanSize(it.Size), State: string(it.State), Label: t("page.state." + string(it.State)),
		Final: it.State.final(), Recipients: it.Recipients, Expires: it.Expires.Local().Format("2006-01-02 15:04"),
		Report: reportLines(it.Report, l)}
	if it.Approval != "" {
		v.Approval = t("page.approval." + it.Approval)
	}
	if it.State == Held && it.Report != nil && slices.ContainsFunc(it.Report.Reasons, passwordReason) {
		left := s.opts.MaxPasswordTries - it.UnlockFailures
		switch {
		case left <= 0:
			v.PassNote = catalog.N(l, "page.password_exhausted", s.opts.MaxPasswordTries)
			// The report's "type the password" no longer holds.
			if i := slices.Index(v.Report, catalog.Text(l, "report.held")); i >= 0 {
				v.Report[i] = t("page.held_for_admin")
			}
		case it.UnlockFailures > 0:
			v.NeedsPass, v.PassNote = true, catalog.N(l, "page.password_wrong", left)
		default:
			v.NeedsPass = true
		}
	}
	if it.Error != "" && it.Report == nil {
		v.Report = append(v.Report, t("page.err_internal"))
	}
	for _, o := range it.Outputs {
		v.Outputs = append(v.Outputs, o.Name+" ("+humanSize(o.Size)+")")
	}
	if it.State == Done {
		switch it.Approval {
		case "", ApprovalApproved:
			v.Next = t("page.next_download")
			if s.opts.DownloadURL != "" {
				v.Next = t("page.next_download_at", s.opts.DownloadURL)
			}
		case ApprovalPending:
			v.Next = t("page.next_approval")
		case ApprovalRejected:
			v.Next = t("page.next_rejected", it.RejectReason)
		}
	}
	return v
}

// passwordReason reports whether a held item waits for a password: it
// is encrypted, or the last password was wrong.
func passwordReason(rs sanitizer.Reason) bool {
	return rs.Code == sanitizer.ReasonEncrypted || rs.Code == sanitizer.ReasonWrongPassword
}
