package smtpproxy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/internal/meta"

	"github.com/mugai-project/mugai/internal/fsutil"
)

// wakeDeliver makes the scheduler read the whole outbox again now.
func (r *Relay) wakeDeliver() {
	r.delivRescan.Store(true)
	r.pokeDeliver()
}

// queueDeliver tells the scheduler that entry id is new or has changed.
func (r *Relay) queueDeliver(id string) {
	r.delivMu.Lock()
	if r.delivFresh == nil {
		r.delivFresh = map[string]bool{}
	}
	r.delivFresh[id] = true
	r.delivMu.Unlock()
	r.pokeDeliver()
}

func (r *Relay) pokeDeliver() {
	select {
	case r.delivWake <- struct{}{}:
	default:
	}
}

// takeFresh returns the entries queued since it was last called.
func (r *Relay) takeFresh() map[string]bool {
	r.delivMu.Lock()
	defer r.delivMu.Unlock()
	f := r.delivFresh
	r.delivFresh = nil
	return f
}

// deliverScheduler hands due entries to a bounded set of delivery
// goroutines. It reads the outbox folder and every entry's state every
// ScanInterval (and when woken by wakeDeliver); in between it looks only
// at the due times it cached and at the entries processing queued or a
// delivery changed (queueDeliver), so that a long queue is not read
// again for every message.
func (r *Relay) deliverScheduler() {
	defer r.wg.Done()
	sem := make(chan struct{}, r.opts.DeliverWorkers)
	var inflight sync.WaitGroup
	// The entries of the deliveries that finish after the reaper's last
	// pass go too.
	defer r.reap()
	defer inflight.Wait()
	due := map[string]time.Time{} // cached next attempts
	lastFull := time.Time{}
	for {
		fresh := r.takeFresh()
		full := time.Since(lastFull) >= r.opts.ScanInterval || r.delivRescan.Swap(false)
		var ids []string
		if full {
			lastFull = time.Now()
			var err error
			if ids, err = r.outbox.list(); err != nil {
				r.log.Error("deliver: listing the outbox", "err", err)
			}
			r.opts.Metrics.QueueDepth.WithLabelValues("outbox").Set(float64(len(ids)))
			seen := make(map[string]bool, len(ids))
			for _, id := range ids {
				seen[id] = true
			}
			for id := range due {
				if !seen[id] {
					delete(due, id)
				}
			}
		} else {
			for id := range due {
				ids = append(ids, id)
			}
			for id := range fresh {
				if _, known := due[id]; !known {
					ids = append(ids, id)
				}
			}
			sort.Strings(ids) // oldest first, as the folder is listed
		}
		next := time.Now().Add(r.opts.ScanInterval)
		for _, id := range ids {
			if _, busy := r.delivBusy.Load(id); busy || r.leaving.finished(id) {
				continue
			}
			t, known := due[id]
			if !known || full || fresh[id] {
				e, err := r.outbox.load(id)
				if err != nil {
					delete(due, id)
					continue // being written or removed
				}
				if e.Held {
					t = time.Now().Add(100 * 365 * 24 * time.Hour)
				} else {
					t = e.NextAttempt
				}
				due[id] = t
			}
			if time.Now().Before(t) {
				if t.Before(next) {
					next = t
				}
				continue
			}
			// An entry whose spool file is still there is not finished
			// processing: delivering it now would widen the window in
			// which a crash delivers it twice.
			if _, err := os.Stat(filepath.Join(r.spool.incoming(), id)); err == nil {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-r.ctx.Done():
				return
			}
			r.delivBusy.Store(id, struct{}{})
			delete(due, id)
			inflight.Add(1)
			go func() {
				// The entry is looked at again when the attempt ends: it
				// is gone, or has a new due time.
				defer func() { <-sem; r.delivBusy.Delete(id); inflight.Done(); r.queueDeliver(id) }()
				// An attempt under way is let finish through a graceful
				// shutdown, up to its drain bound (r.abort).
				if err := r.deliver(r.abort, id); err != nil {
					r.log.Error("deliver: local error", "item_id", id, "err", err)
					if isDiskFull(err) {
						r.noSpace()
					}
				}
			}()
		}
		wait := time.Until(next)
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-r.ctx.Done():
			t.Stop()
			return
		case <-r.delivWake:
		case <-t.C:
		}
		t.Stop()
	}
}

// backoff is the delay after the n-th failed attempt: RetryInitial
// doubling up to RetryMax.
func (r *Relay) backoff(n int) time.Duration {
	d := r.opts.RetryInitial
	for i := 1; i < n && d < r.opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, r.opts.RetryMax)
}

// result is one recipient's outcome in an attempt.
type result struct {
	ok        bool
	permanent bool
	reply     string
}

// deliver makes one attempt for one entry. The attempt is recorded
// before dialing, so a crash during it means a retry, never a loss. ctx
// cuts the attempt itself; the records after it are written under their
// own bounded context, so that a shutdown cannot cut them half way.
func (r *Relay) deliver(ctx context.Context, id string) error {
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	e, err := r.outbox.load(id)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	log := r.log.With("item_id", id, "kind", e.Kind)
	if e.Held {
		return nil
	}
	pend := e.pending()
	if len(pend) > 0 && time.Since(e.Created) > r.opts.QueueLifetime {
		for _, rc := range pend {
			rc.Status, rc.Reply = StatusFailed, "queue lifetime expired; last error: "+e.LastError
			r.opts.Metrics.Bounced.Inc()
		}
		pend = nil
	}
	if len(pend) > 0 {
		remote := r.opts.Downstream
		if e.Kind == KindDSN {
			remote = r.opts.ReturnPath
			if remote.Addr == "" {
				e.Held, e.LastError = true, "no return path configured for DSNs"
				log.Warn("deliver: DSN kept in the failed list: no return path configured")
				r.meta.SetState(bctx, id, meta.Failed, e.LastError)
				// The row is durable before the entry's change (barrier.go).
				if err := r.outbox.durable.Sync(); err != nil {
					return err
				}
				if err := r.outbox.save(e); err != nil {
					return err
				}
				return r.jobKept(bctx, id)
			}
		}
		e.Attempts++
		e.NextAttempt = time.Now().Add(r.backoff(e.Attempts))
		// A retry is recorded before dialing, so that a crash during it
		// keeps the count and the backoff. A first attempt needs no
		// write: a fresh entry is due now, and a crash during it leaves
		// it due now, to be retried at the next start.
		if e.Attempts > 1 {
			if err := r.outbox.save(e); err != nil {
				return err
			}
		}
		var results map[string]result
		var aerr error
		if remote.Addr == "" {
			results = r.deliverMaildir(e, pend)
			if err := r.outbox.record(e.ID, results); err != nil {
				log.Error("deliver: recording the results", "err", err)
			}
		} else {
			results, aerr = r.deliverSMTP(ctx, remote, e, pend)
		}
		if ctx.Err() != nil && aerr != nil {
			return nil // shutting down: the recorded attempt is retried at the next start
		}
		for _, rc := range pend {
			res, ok := results[rc.Addr]
			if !ok {
				res = result{reply: oneLine(fmt.Sprint(aerr))}
			}
			rc.Reply = res.reply
			outcome := "deferred"
			switch {
			case res.ok:
				rc.Status, outcome = StatusDelivered, "delivered"
				r.opts.Metrics.Delivered.Inc()
			case res.permanent:
				rc.Status, outcome = StatusFailed, "failed"
				r.opts.Metrics.Bounced.Inc()
			default:
				e.LastError = res.reply
				r.opts.Metrics.Deferred.Inc()
			}
			// One row per recipient and attempt, its outcome: a record,
			// not what a retry depends on (that is the entry's state and
			// the results journal), so none is written before dialing.
			r.meta.AddAttempt(bctx, meta.Attempt{MessageID: id, Rcpt: rc.Addr, Result: outcome, Reply: res.reply})
			log.Info("deliver: "+outcome, "rcpt", rc.Addr, "reply", res.reply, "attempt", e.Attempts)
		}
	}
	if len(e.pending()) > 0 {
		return r.outbox.save(e)
	}
	return r.finish(bctx, e)
}

// finish closes an entry whose recipients all have a final status:
// DSN for the failed ones first, then the record, then the entry goes.
func (r *Relay) finish(ctx context.Context, e *Entry) error {
	var failed []*RcptState
	for _, rc := range e.Rcpts {
		if rc.Status == StatusFailed {
			failed = append(failed, rc)
		}
	}
	state, detail := meta.Delivered, ""
	if len(failed) > 0 {
		state, detail = meta.Bounced, failed[0].Addr+": "+failed[0].Reply
		// Never a DSN for a message with a null sender, nor for a DSN or
		// a notice (both have a null sender): RFC 5321 6.1, RFC 3464 2.
		if e.From != "" && e.Kind == KindMessage {
			dsn := &Entry{
				ID: fmt.Sprintf("%s-dsn%d", e.ID, e.DSNs+1), Kind: KindDSN, From: "", OrigFrom: e.OrigFrom,
				Rcpts: []*RcptState{{Addr: e.From, Status: StatusPending}}, Created: time.Now().UTC(),
			}
			// The row first, and only once: on a cluster another node
			// may deliver the DSN, and record it, before the queueing
			// returns, or a redone finish queue it again.
			if _, err := r.meta.Message(ctx, dsn.ID); errors.Is(err, meta.ErrNotFound) {
				r.meta.PutMessage(ctx, meta.Message{ID: dsn.ID, Received: dsn.Created, From: "", To: []string{e.From}, Kind: KindDSN, Outcome: "generated", State: meta.Queued})
			}
			// Queued where it outlives this node (deliverjobs.go)
			// before the message is done and its job acknowledged.
			if err := r.queueEntry(ctx, dsn, stringsReader(r.dsnMessage(e, failed))); err != nil {
				return err
			}
		} else {
			state = meta.Failed
		}
	}
	if err := r.meta.SetState(ctx, e.ID, state, detail); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return err
	}
	r.log.Info("deliver: done", "item_id", e.ID, "state", state)
	// The entry goes once the record, and the attempts before it, have
	// passed the next barrier (barrier.go).
	r.leaveOutbox(e.ID)
	return nil
}

// deliverSMTP sends the entry to a remote MTA with one transaction,
// reading a result per recipient (RFC 5321 3.3): RCPT replies, then the
// reply to the final dot for those accepted. It takes an idle session
// to the peer if there is one (sessions.go), and leaves its session idle
// again when the transaction ended cleanly.
func (r *Relay) deliverSMTP(ctx context.Context, rem Remote, e *Entry, pend []*RcptState) (map[string]result, error) {
	ctx, cancel := context.WithTimeout(ctx, rem.Timeout)
	defer cancel()
	s := r.sessions.take(rem)
	for {
		reused := s != nil
		if s == nil {
			var err error
			if s, err = r.dial(ctx, rem); err != nil {
				return nil, err
			}
		}
		stop := context.AfterFunc(ctx, func() { s.conn.SetDeadline(time.Now()) })
		results, clean, stale, err := r.transaction(s.c, e, pend)
		if !stop() {
			clean = false // the deadline cut the session
		}
		if clean {
			r.sessions.keep(rem, s)
		} else {
			s.c.Close()
		}
		// An idle session the peer had closed meanwhile fails at MAIL,
		// before anything of this transaction was accepted: the
		// transaction is made again on a new session.
		if reused && stale && ctx.Err() == nil {
			s = nil
			continue
		}
		return results, err
	}
}

// transaction makes one mail transaction on the session c. clean
// reports that the session is ready for another; stale that MAIL failed
// the way a session the peer has closed fails.
func (r *Relay) transaction(c *smtp.Client, e *Entry, pend []*RcptState) (results map[string]result, clean, stale bool, err error) {
	var mopts *smtp.MailOptions
	if e.UTF8 || !isASCII(e.From) || !isASCII(strings.Join(e.addrs(), "")) {
		mopts = &smtp.MailOptions{UTF8: true}
	}
	var se *smtp.SMTPError
	if err := c.Mail(e.From, mopts); err != nil {
		return nil, false, !errors.As(err, &se) || se.Code == 421, err
	}
	results = map[string]result{}
	var accepted []string
	clean = true
	for _, rc := range pend {
		if err := c.Rcpt(rc.Addr, nil); err != nil {
			if errors.As(err, &se) {
				results[rc.Addr] = result{permanent: se.Code >= 500, reply: smtpReply(se)}
				clean = clean && se.Code != 421
				continue
			}
			return results, false, false, err
		}
		accepted = append(accepted, rc.Addr)
	}
	if len(accepted) == 0 {
		return results, clean && c.Reset() == nil, false, nil
	}
	f, err := r.outbox.open(e.ID)
	if err != nil {
		return results, false, false, err
	}
	defer f.Close()
	w, err := c.Data()
	if err != nil {
		return results, false, false, err
	}
	if _, err := copyPooled(w, f); err != nil {
		return results, false, false, err
	}
	resp, err := w.CloseWithResponse()
	switch {
	case err == nil:
		for _, a := range accepted {
			results[a] = result{ok: true, reply: "250 " + oneLine(resp.StatusText)}
		}
	case errors.As(err, &se):
		for _, a := range accepted {
			results[a] = result{permanent: se.Code >= 500, reply: smtpReply(se)}
		}
		clean = clean && se.Code != 421
	default:
		return results, false, false, err
	}
	// The downstream has answered the final dot: its reply is recorded
	// before any other step.
	if err := r.outbox.record(e.ID, results); err != nil {
		r.log.Error("deliver: recording the results", "item_id", e.ID, "err", err)
	}
	return results, clean, false, nil
}

func smtpReply(se *smtp.SMTPError) string {
	s := fmt.Sprintf("%d", se.Code)
	if se.EnhancedCode != smtp.NoEnhancedCode && se.EnhancedCode != smtp.EnhancedCodeNotSet {
		s += fmt.Sprintf(" %d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
	}
	return s + " " + oneLine(se.Message)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400]
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// deliverMaildir writes the entry into DataDir/maildir/<recipient>/new
// (the Maildir layout: tmp, fsync, rename into new). The file name is
// the entry ID, so a delivery redone after a crash finds its own copy
// and does not write a second one.
func (r *Relay) deliverMaildir(e *Entry, pend []*RcptState) map[string]result {
	results := map[string]result{}
	for _, rc := range pend {
		err := r.maildirPut(e, rc.Addr)
		if err != nil {
			r.log.Error("deliver: maildir", "item_id", e.ID, "rcpt", rc.Addr, "err", err)
			results[rc.Addr] = result{reply: "451 4.3.0 local maildir error"}
			continue
		}
		results[rc.Addr] = result{ok: true, reply: "250 2.0.0 delivered to maildir"}
	}
	return results
}

// MaildirFolder is the Maildir of one recipient under root.
func MaildirFolder(root, rcpt string) string {
	name := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '@' || c == '.' || c == '-' || c == '_' || c == '+' {
			return c
		}
		if c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return '_'
	}, rcpt)
	name = strings.TrimLeft(name, ".")
	if name == "" {
		name = "_"
	}
	return filepath.Join(root, name)
}

func (r *Relay) maildirPut(e *Entry, rcpt string) error {
	md := MaildirFolder(r.opts.maildirDir(), rcpt)
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(md, sub), 0o700); err != nil {
			return err
		}
	}
	name := e.ID + ".mugai"
	if _, err := os.Stat(filepath.Join(md, "new", name)); err == nil {
		return nil
	}
	if m, _ := filepath.Glob(filepath.Join(md, "cur", name+":*")); len(m) > 0 {
		return nil
	}
	src, err := r.outbox.open(e.ID)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp := filepath.Join(md, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = fsutil.FillSync(f, src)
	if err == nil {
		err = os.Rename(tmp, filepath.Join(md, "new", name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return fsutil.SyncDir(filepath.Join(md, "new"))
}
