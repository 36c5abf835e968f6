package smtpproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mugai-project/mugai/internal/held"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// wakeProcess hands a newly spooled message to the workers; if they are
// all busy the scanner finds it later.
func (r *Relay) wakeProcess(id string) {
	select {
	case r.procCh <- id:
	default:
	}
}

// processScanner finds spooled messages at start and every ScanInterval
// (after a crash, or when the channel was full).
func (r *Relay) processScanner() {
	defer r.wg.Done()
	for r.queueSpool() && sleepCtx(r.ctx, r.opts.ScanInterval) {
	}
}

// queueSpool hands every spooled message not being processed to the
// workers. It returns false when the relay is shutting down.
func (r *Relay) queueSpool() bool {
	ids, err := listIDs(r.spool.incoming())
	if err != nil {
		r.log.Error("process: listing the spool", "err", err)
	}
	r.opts.Metrics.QueueDepth.WithLabelValues("spool").Set(float64(len(ids)))
	for _, id := range ids {
		if _, busy := r.procBusy.Load(id); busy {
			continue
		}
		select {
		case r.procCh <- id:
		case <-r.ctx.Done():
			return false
		}
	}
	return true
}

func (r *Relay) processWorker() {
	defer r.wg.Done()
	for {
		select {
		case <-r.ctx.Done():
			return
		case id := <-r.procCh:
			if _, busy := r.procBusy.LoadOrStore(id, struct{}{}); busy {
				continue
			}
			err := r.process(r.ctx, id)
			r.procBusy.Delete(id)
			if err == nil && r.jobs != nil {
				r.jobs.sanitized(id) // a worker is free for the next job
			}
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				r.log.Error("process: failed, will retry", "item_id", id, "err", err)
				// A transient fault (disk, database): the scanner retries,
				// and spaceBack as soon as a full disk has room again.
				if isDiskFull(err) {
					r.noSpace()
				}
			}
		}
	}
}

// verdict is what processing decided for one message.
type verdict struct {
	report  *sanitizer.Report
	output  *sanitizer.Output // the sanitized message, nil when withheld
	reason  string            // withholding reason code
	res     *sanitizer.Result
	elapsed time.Duration
}

// process moves one spooled message on. Each step is idempotent:
//
//  1. sanitize the whole message (redone after a crash: it has no effect
//     outside memory and temporary files)
//  2. the original and the report into the quarantine under the message
//     ID (ErrExists: done before)
//  3. the outbox entry (sanitized message or notice), written under a
//     temporary name and linked into place (exists: done before);
//     steps 2 and 3 are made durable by one barrier before the link,
//     and the link by the next (barrier.go)
//  4. the metadata row (an upsert)
//  5. the spool file removed, last, once that next barrier has passed
func (r *Relay) process(ctx context.Context, id string) error {
	path := filepath.Join(r.spool.incoming(), id)
	log := r.log.With("item_id", id)
	if r.leaving.waiting(id) {
		return nil // processed: its spool file goes at the next barrier
	}
	if !r.outbox.exists(id) {
		env, f, body, err := openSpooled(path)
		if err != nil {
			return err
		}
		defer f.Close()
		crashes, err := r.tries.startTry(id)
		if err != nil {
			return fmt.Errorf("recording the attempt: %w", err)
		}
		// Every return below is a clean end (done, failed or cut short
		// by a shutdown); only a crash skips this.
		defer r.tries.endTry(id, crashes)
		var v verdict
		if crashes >= maxTries {
			log.Error("process: processing crashed the process before; withholding without parsing", "crashes", crashes)
			v = verdict{reason: sanitizer.ReasonInternal, report: &sanitizer.Report{
				ID: env.ID, Name: "message.eml", Withheld: true, Started: time.Now().UTC(), SHA256: sha256Section(body),
				Reasons: []sanitizer.Reason{sanitizer.NewReason(sanitizer.ReasonInternal, fmt.Sprintf("processing crashed the process %d times", crashes))},
			}}
		} else {
			v = r.sanitize(ctx, env, body)
		}
		defer func() {
			if v.res != nil {
				v.res.Close()
			}
		}()
		if err := ctx.Err(); err != nil {
			return err // shutting down: redo on the next start
		}
		// From here on only records are written: a shutdown does not
		// cut them half way.
		ctx, cancel := bookkeeping(ctx)
		defer cancel()
		action := "notice"
		if v.output != nil {
			action = string(v.report.Action)
		} else {
			// The notice sent instead is kept in the report, for the
			// console's view of the item.
			v.report.Notice = r.noticeBody(env, v)
		}
		if err := r.hold(ctx, path, env, body, v); err != nil {
			return err
		}
		r.followUps(env, v)
		var entry *Entry
		var msg io.Reader
		if v.output != nil {
			entry = &Entry{ID: id, Kind: KindMessage, From: env.From, OrigFrom: env.From, Created: env.Received, UTF8: env.UTF8}
			msg = io.MultiReader(stringsReader(r.outboundHeader(env)), v.output.Open())
		} else {
			entry = &Entry{ID: id, Kind: KindNotice, From: "", OrigFrom: env.From, Created: env.Received}
			msg = stringsReader(r.noticeMessage(env, v.report.Notice))
		}
		for _, to := range env.To {
			entry.Rcpts = append(entry.Rcpts, &RcptState{Addr: to, Status: StatusPending})
		}
		if err := r.markRecorded(ctx, entry); err != nil {
			return err
		}
		if err := r.queueOutbox(entry, msg); err != nil {
			return fmt.Errorf("writing the outbox: %w", err)
		}
		m := meta.Message{
			ID: id, Received: env.Received, From: env.From, To: env.To, ClientIP: env.ClientIP,
			Size: body.Size(), SHA256: v.report.SHA256, Outcome: "sanitized", Kind: entry.Kind, State: meta.Queued,
		}
		if v.output == nil {
			m.Outcome, m.Reason = "withheld", v.reason
		}
		if err := r.meta.PutMessage(ctx, m); err != nil {
			return err
		}
		r.opts.Metrics.Sanitized.WithLabelValues(action).Inc()
		r.opts.Metrics.SanitizeSeconds.Observe(v.elapsed.Seconds())
		log.Info("process: queued", "outcome", m.Outcome, "reason", m.Reason, "action", action, "seconds", v.elapsed.Seconds())
	} else {
		// A crash came after step 3: make sure the row exists.
		if _, err := r.meta.Message(ctx, id); errors.Is(err, meta.ErrNotFound) {
			if e, err := r.outbox.load(id); err == nil {
				r.meta.PutMessage(ctx, meta.Message{ID: id, Received: e.Created, From: e.OrigFrom, To: e.addrs(), Kind: e.Kind, State: meta.Queued})
			}
		}
	}
	r.leaveSpool(id) // step 5, behind the next barrier (barrier.go)
	return nil
}

// FollowUps pair a held PPAP mail with the mail that brings its
// password (internal/held.Hints).
type FollowUps interface {
	// Held: message id has an encrypted part waiting for a password.
	Held(id, from string, rcpts []string, received time.Time)
	// FollowUp reads the sanitized message id for a password line.
	FollowUp(id, from string, rcpts []string, received time.Time, sanitized io.Reader) int
}

// followUps shows the message to Options.FollowUps: first as a possible
// follow-up of an earlier held mail, then as a held mail itself. A
// message processed again after a crash is shown again; FollowUps keeps
// one of each.
func (r *Relay) followUps(env *Envelope, v verdict) {
	f := r.opts.FollowUps
	if f == nil {
		return
	}
	if v.output != nil {
		f.FollowUp(env.ID, env.From, env.To, env.Received, v.output.Open())
	}
	if v.report.HasReason(sanitizer.ReasonEncrypted) {
		f.Held(env.ID, env.From, env.To, env.Received)
	}
}

// sanitize runs the engine on the whole message, turning errors, panics
// and timeouts into a withheld verdict (fail closed).
func (r *Relay) sanitize(ctx context.Context, env *Envelope, body *io.SectionReader) (v verdict) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.opts.ProcessTimeout)
	defer cancel()
	defer func() {
		v.elapsed = time.Since(start)
		if p := recover(); p != nil {
			r.log.Error("process: sanitizer panic", "item_id", env.ID, "panic", fmt.Sprint(p))
			if v.res != nil {
				v.res.Close()
			}
			v = verdict{report: v.report, reason: sanitizer.ReasonInternal, elapsed: time.Since(start)}
		}
		if v.report == nil {
			v.report = &sanitizer.Report{ID: env.ID, Name: "message.eml", Withheld: true, Started: start.UTC()}
		}
		if v.report.SHA256 == "" {
			v.report.SHA256 = sha256Section(body)
		}
	}()
	if h := r.opts.hooks.sanitizeHook; h != nil {
		h(ctx)
	}
	// The message ID is the item ID: the notice in the sanitized message
	// names the ID its original is kept under. What came over SMTP is a
	// message, whatever its bytes look like to the sniffer.
	in := sanitizer.Input{ID: env.ID, Name: "message.eml", DeclaredType: "message/rfc822", Kind: detect.EML, Body: io.NewSectionReader(body, 0, body.Size())}
	if r.opts.PolicyFor != nil {
		in.Policy = r.opts.PolicyFor(env.To)
	}
	res, err := r.engine.Sanitize(ctx, in)
	if err != nil {
		r.log.Error("process: sanitizer error", "item_id", env.ID, "err", err)
		reason := sanitizer.ReasonInternal
		if ctx.Err() != nil {
			reason = sanitizer.ReasonTimeout
		}
		return verdict{reason: reason}
	}
	v.res, v.report = res, res.Report
	if res.Report.Withheld || len(res.Outputs) != 1 || res.Outputs[0].Kind != detect.EML {
		v.reason = sanitizer.ReasonInternal
		if len(res.Report.Reasons) > 0 {
			v.reason = res.Report.Reasons[0].Code
		}
		if !res.Report.Withheld {
			r.log.Error("process: the sanitizer did not return one message", "item_id", env.ID, "outputs", len(res.Outputs))
		}
		return v
	}
	v.output = res.Outputs[0]
	return v
}

// hold puts the original (as spooled, with our Received: header) and the
// report into the quarantine under the message ID. A quarantine that can
// link files keeps the spool file itself (spooled), fsynced before 250
// and never changed, from the message on: no copy, no second hash.
func (r *Relay) hold(ctx context.Context, spooled string, env *Envelope, body *io.SectionReader, v verdict) error {
	rep, _ := json.Marshal(v.report)
	reason := v.reason
	if reason == "" {
		reason = "original" // kept as 原本保管, not withheld
	}
	// Every recipient (at most MaxRecipients), for an audited release.
	toJSON, _ := json.Marshal(env.To)
	it := store.Item{
		ID: env.ID, Created: env.Received, Size: body.Size(), Name: "message.eml", MediaType: "message/rfc822",
		Reason: reason, Report: rep, RetainUntil: env.Received.Add(r.opts.Retention), Source: "smtp",
		Meta: map[string]string{"from": env.From, "to": string(toJSON), "rcpts": fmt.Sprint(len(env.To)), "client_ip": env.ClientIP, "helo": env.HELO,
			"subject": held.Subject(io.NewSectionReader(body, 0, body.Size()))},
	}
	var err error
	if l, ok := r.quarantine.(store.Linker); ok {
		it.SHA256 = v.report.SHA256
		if v.report.Size != body.Size() {
			it.SHA256 = sha256Section(body) // the engine stopped reading early
		}
		_, off, _ := body.Outer()
		_, err = l.PutLink(ctx, it, spooled, off)
	} else {
		_, err = r.quarantine.Put(ctx, it, io.NewSectionReader(body, 0, body.Size()))
	}
	if errors.Is(err, store.ErrExists) {
		return nil
	}
	return err
}
