package smtpproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mugai-project/mugai/internal/store"
)

// KindSite is a mail the transfer sites made, to LGWAN: a notification,
// the sanitized contents of an unlocked item, or an original released
// after an approver's decision.
const KindSite = "site"

// Hostname is the relay's name, for the mails others make.
func (r *Relay) Hostname() string { return r.opts.Hostname }

// Send queues a mail mugai made for delivery to the LGWAN MTA, with a
// null envelope sender (RFC 5321 4.5.5: nothing bounces back to the
// Internet). id names the outbox entry: sending the same id again
// queues it once. It returns once the mail is fsynced in the outbox,
// or on a cluster stored in JetStream with its delivery job, for any
// node to deliver (deliverjobs.go); delivery and its retries follow
// like any other entry's.
func (r *Relay) Send(ctx context.Context, id string, to []string, msg io.Reader) error {
	switch {
	case !store.ValidID(id) || !validID(id):
		return errors.New("smtpproxy: invalid outbox ID")
	case len(to) == 0:
		return errors.New("smtpproxy: no recipients")
	}
	for _, rc := range to {
		// Only the LGWAN domains: what the sites send never leaves
		// toward the Internet.
		local, dom, ok := splitRcpt(rc)
		if !ok || !r.servesDomain(dom) || routesOn(local) {
			return fmt.Errorf("smtpproxy: %q is not an LGWAN recipient", safeAddr(rc))
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e := &Entry{ID: id, Kind: KindSite, Created: time.Now().UTC()}
	for _, rc := range to {
		e.Rcpts = append(e.Rcpts, &RcptState{Addr: rc, Status: StatusPending})
	}
	return r.queueEntry(ctx, e, msg)
}
