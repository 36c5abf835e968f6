package transfer

import (
	"context"
	"strings"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
)

// notifyArrival mails each recipient of item id, if they may download
// it now, who sent which files and the download site's address:
// never the content. Each goes to the recipient's mail address, or,
// for a user without one, to the name at mugai's mail host. A mail that
// cannot be queued is logged and audited; the item stays available.
func (s *Server) notifyArrival(ctx context.Context, id string) {
	if s.opts.Mailer == nil {
		return
	}
	it, err := s.item(ctx, id)
	if err != nil {
		s.log.Error("arrival notice", "item", id, "err", err)
		return
	}
	if !it.downloadable(s.opts.Now()) {
		return
	}
	names := make([]string, 0, len(it.Outputs))
	for _, o := range it.Outputs {
		names = append(names, o.Name)
	}
	if len(names) == 0 {
		names = append(names, it.Name)
	}
	for _, rcpt := range it.Recipients {
		u, err := s.users.User(ctx, rcpt)
		if err != nil {
			u = auth.User{Name: rcpt} // gone since the upload: the guess
		}
		to := addressOf(u, "postmaster@"+s.opts.MailHost)
		err = s.opts.Mailer.Send(ctx, it.ID+"-arrived-"+shortHash(rcpt), []string{to},
			s.noticeMail(to, it.ID, "transfer.mail.arrived_subject", "transfer.mail.arrived_body", it.Owner, strings.Join(names, ", "), s.opts.DownloadURL))
		e := audit.Event{Zone: "system", User: it.Owner, Action: audit.ArrivalNotify, Item: it.ID, Name: it.Name, SHA256In: it.SHA256, Outcome: "queued", Detail: "to " + to}
		if err != nil {
			s.log.Error("arrival notice not queued", "item", it.ID, "to", to, "err", err)
			e.Outcome = "failed"
		}
		if err := s.audit.Record(ctx, e); err != nil {
			s.log.Error("audit", "err", err)
		}
	}
}
