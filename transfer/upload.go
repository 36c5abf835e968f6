package transfer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/internal/ids"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// uploadRoutes is the upload site's route table. It has no route that
// returns a file's content.
func (s *Server) uploadRoutes() http.Handler {
	mux := s.commonRoutes(ZoneUpload)
	mux.HandleFunc("GET /{$}", s.authed(false, s.uploadPage))
	mux.HandleFunc("POST /upload", s.authed(true, s.upload))
	mux.HandleFunc("GET /api/items", s.authed(false, s.apiItems))
	mux.HandleFunc("GET /events", s.authed(false, s.events(ZoneUpload)))
	mux.HandleFunc("POST /items/{id}/password", s.authed(true, s.unlock))
	mux.HandleFunc("GET /approvals", s.authed(false, s.approvalsPage))
	mux.HandleFunc("POST /approvals/{id}", s.authed(true, s.decide))
	mux.HandleFunc("GET /approvals/{id}/preview/{n}", s.authed(false, s.preview))
	return s.secure(ZoneUpload, mux)
}

func (s *Server) uploadPage(w http.ResponseWriter, r *http.Request) {
	scope, err := s.recipientScope(r.Context())
	if err != nil {
		s.log.Error("recipients", "err", err)
	}
	me := session(r).User.Name
	s.renderList(w, r, ZoneUpload, page{Recipients: slices.DeleteFunc(scope, func(n string) bool { return n == me })})
}

// uploadError is a refusal shown to the user.
type uploadError struct {
	status int
	key    string // message key
	arg    string
}

func (e *uploadError) Error() string { return e.key + " " + e.arg }

// maxPurpose bounds the 目的 field, in bytes.
const maxPurpose = 2000

// upload receives multipart/form-data (RFC 7578): optional "to"
// (recipients) and "purpose" (目的; required with Approval) fields and
// up to MaxFiles file parts, each streamed to its own file. Nothing is
// recorded until the whole request has been read and accepted: a file
// above MaxUploadBytes, a file past MaxFiles, or a refused field stops
// the upload then and there and removes every file it received.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	sess := session(r)
	t := words(lang(r))
	var got []*Item
	fail := func(e *uploadError, name string) {
		for _, it := range got {
			os.Remove(s.partPath(it.ID))
		}
		var args []any
		if e.arg != "" {
			args = append(args, e.arg)
		}
		msg := t("page."+e.key, args...)
		s.record(r, ZoneUpload, audit.Event{Action: audit.UploadFailed, Name: name, Outcome: e.key})
		// The rest of the body is not read: the connection closes.
		w.Header().Set("Connection", "close")
		writeJSON(w, e.status, map[string]string{"error": msg})
	}
	// The whole request may not exceed MaxFiles full files plus room for
	// the headers and fields.
	r.Body = http.MaxBytesReader(w, r.Body, int64(s.opts.MaxFiles)*s.opts.MaxUploadBytes+1<<20)
	mr, err := s.multipartReader(r)
	if err != nil {
		fail(&uploadError{status: http.StatusBadRequest, key: "err_form"}, "")
		return
	}
	var recipients []string
	var purpose string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(&uploadError{status: http.StatusBadRequest, key: "err_form"}, "")
			return
		}
		switch part.FormName() {
		case "to", "purpose":
			v, err := io.ReadAll(io.LimitReader(part, maxPurpose+1))
			if err != nil || len(v) > maxPurpose {
				fail(&uploadError{status: http.StatusBadRequest, key: "err_form"}, "")
				return
			}
			if part.FormName() == "to" {
				recipients = splitRecipients(string(v))
			} else {
				purpose = strings.TrimSpace(strings.ToValidUTF8(string(v), "\uFFFD"))
			}
			continue
		case "file":
		default:
			continue
		}
		if len(got) >= s.opts.MaxFiles {
			fail(&uploadError{status: http.StatusRequestEntityTooLarge, key: "err_count", arg: strconv.Itoa(s.opts.MaxFiles)}, "")
			return
		}
		it, uerr := s.receive(sess.User.Name, declaredName(part.FileName()), part)
		part.Close()
		if uerr != nil {
			fail(uerr, detect.CleanName(declaredName(part.FileName())))
			return
		}
		got = append(got, it)
	}
	if len(got) == 0 {
		fail(&uploadError{status: http.StatusBadRequest, key: "err_nofile"}, "")
		return
	}
	if bad, err := s.outOfScope(r.Context(), recipients); err != nil {
		s.log.Error("recipients", "err", err)
		fail(&uploadError{status: http.StatusInternalServerError, key: "err_internal"}, "")
		return
	} else if bad != "" {
		fail(&uploadError{status: http.StatusBadRequest, key: "err_recipient", arg: bad}, "")
		return
	}
	if s.opts.Approval && purpose == "" {
		fail(&uploadError{status: http.StatusBadRequest, key: "err_purpose"}, "")
		return
	}
	for _, it := range got {
		it.Recipients, it.Purpose = recipients, purpose
	}
	if err := s.commit(r.Context(), got); err != nil {
		s.failure("upload", got[0].ID, err)
		fail(&uploadError{status: http.StatusInternalServerError, key: "err_internal"}, got[0].Name)
		return
	}
	out := make([]map[string]string, 0, len(got))
	for _, it := range got {
		s.record(r, ZoneUpload, audit.Event{Action: audit.Upload, Item: it.ID, Name: it.Name, SHA256In: it.SHA256,
			Detail: fmt.Sprintf("size=%d recipients=%v", it.Size, it.Recipients)})
		s.enqueue(job{id: it.ID})
		out = append(out, map[string]string{"id": it.ID, "name": it.Name})
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"items": out})
}

// multipartReader is r.MultipartReader over a body whose part headers
// may name files with control characters (see headerControls).
func (s *Server) multipartReader(r *http.Request) (*multipart.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, http.ErrNotMultipart
	}
	return multipart.NewReader(newHeaderControls(r.Body, params["boundary"]), params["boundary"]), nil
}

// outOfScope returns the first recipient the uploader may not send to,
// or "". Whether the name is an account outside the scope or no account
// at all, the answer and the work are the same: one listing of the
// scope, then a lookup in it.
func (s *Server) outOfScope(ctx context.Context, recipients []string) (string, error) {
	if len(recipients) == 0 {
		return "", nil
	}
	scope, err := s.recipientScope(ctx)
	if err != nil {
		return "", err
	}
	for _, n := range recipients {
		if !slices.Contains(scope, n) {
			if len(n) > 64 {
				n = n[:64]
			}
			return n, nil
		}
	}
	return "", nil
}

// recipientScope lists the users an uploader may send to, by name: every
// account that is not disabled. The upload page offers the same list.
func (s *Server) recipientScope(ctx context.Context) ([]string, error) {
	users, err := s.users.Users(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range users {
		if !u.Disabled {
			out = append(out, u.Name)
		}
	}
	return out, nil
}

// partPath is where an upload is received, before it is accepted.
func (s *Server) partPath(id string) string { return filepath.Join(s.incoming, id+".part") }

// commit keeps the received originals in the quarantine, records the
// items, all or none, then moves their files into place for this node's
// workers. The upload is acknowledged only after it: an accepted item's
// original is durable in the quarantine (shared by every node on a
// cluster), where any node's worker finds it if the incoming file is
// not at hand. An item whose rename fails stays recorded and is
// sanitized from the quarantine.
func (s *Server) commit(ctx context.Context, items []*Item) error {
	var kept []string
	undo := func() {
		for _, id := range kept {
			if err := s.q.Delete(context.WithoutCancel(ctx), id); err != nil {
				s.failure("upload", id, err)
			}
		}
	}
	linked := false
	for _, it := range items {
		l, err := s.quarantine(ctx, it)
		if err != nil {
			undo()
			return err
		}
		kept, linked = append(kept, it.ID), linked || l
	}
	// One barrier for the upload's linked originals, before the items
	// are recorded (store.Linker).
	if linked {
		if err := s.durable.Sync(); err != nil {
			undo()
			return err
		}
	}
	if err := s.insertItems(ctx, items); err != nil {
		undo()
		return err
	}
	for _, it := range items {
		if err := os.Rename(s.partPath(it.ID), filepath.Join(s.incoming, it.ID)); err != nil {
			s.failure("upload", it.ID, err)
		}
	}
	return nil
}

// quarantine puts a received original into the quarantine under the
// item's ID, before it is sanitized: what the sanitizer finds is added
// to its record afterwards (describe). Where the quarantine can keep the
// received file itself (store.Linker: a folder on the data folder's file
// system) the original is that file, linked and not written again, and
// linked is true: it is durable only after s.durable's barrier. Else,
// and where the link fails (another file system), it is a copy, made
// durable here.
func (s *Server) quarantine(ctx context.Context, it *Item) (linked bool, err error) {
	rec := s.originalRecord(it, "uploaded", "", nil)
	if l, ok := s.q.(store.Linker); ok {
		rec.Size = it.Size
		_, err := l.PutLink(ctx, rec, s.partPath(it.ID), 0)
		if le := (*os.LinkError)(nil); !errors.As(err, &le) {
			return err == nil, err
		}
		rec.Size = 0
	}
	f, err := os.Open(s.partPath(it.ID))
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = s.q.Put(ctx, rec, f)
	return false, err
}

// originalRecord is the quarantine's record of an upload.
func (s *Server) originalRecord(it *Item, reason, mediaType string, report json.RawMessage) store.Item {
	return store.Item{
		ID: it.ID, Name: it.Name, MediaType: mediaType, Reason: reason, Report: report, SHA256: it.SHA256,
		RetainUntil: s.opts.Now().Add(s.opts.OriginalRetention), Source: "upload",
		Meta: map[string]string{"uploader": it.Owner},
	}
}

// receive streams one file part into DATA/transfer/incoming/<id>.part.
// The file on disk is named by the item ID only; the declared name is
// cleaned (no folders, no control or bidi characters) and kept as data,
// with the declared one when cleaning changed it.
func (s *Server) receive(owner, declared string, part io.Reader) (*Item, *uploadError) {
	name := detect.CleanName(declared)
	now := s.opts.Now()
	it := &Item{ID: ids.New(now), Owner: owner, Name: name, State: Received, Created: now, Expires: now.Add(s.opts.Expiry)}
	if declared != name {
		it.Declared = strings.ToValidUTF8(boundName(declared), "\uFFFD")
	}
	path := s.partPath(it.ID)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		s.failure("upload", it.ID, err)
		return nil, &uploadError{status: http.StatusInternalServerError, key: "err_internal"}
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(part, s.opts.MaxUploadBytes+1))
	if err == nil && n > s.opts.MaxUploadBytes {
		err = errTooLarge
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		var mbe *http.MaxBytesError
		if errors.Is(err, errTooLarge) || errors.As(err, &mbe) {
			return nil, &uploadError{status: http.StatusRequestEntityTooLarge, key: "err_size", arg: humanSize(s.opts.MaxUploadBytes)}
		}
		return nil, &uploadError{status: http.StatusBadRequest, key: "err_form"}
	}
	if n == 0 {
		os.Remove(path)
		return nil, &uploadError{status: http.StatusBadRequest, key: "err_empty", arg: name}
	}
	it.Size, it.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return it, nil
}

var errTooLarge = errors.New("transfer: file too large")

// maxDeclaredName bounds the declared name kept as sent.
const maxDeclaredName = 1 << 10

// boundName cuts a declared name to maxDeclaredName bytes at a
// character boundary.
func boundName(s string) string {
	for len(s) > maxDeclaredName {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// job is one item for the workers: a new upload, or a held one with a password.
type job struct {
	id       string
	password string
	by       string
	ip       string
}

func (s *Server) enqueue(j job) {
	select {
	case s.jobs <- j:
	default:
		// The queue is full: the item stays "received" and a rescan
		// picks it up once its claim ends.
		s.log.Warn("sanitizing queue full", "item_id", j.id)
	}
}

// startWorkers starts the workers and the rescan that queues the items
// no node holds, those this node left unfinished first.
func (s *Server) startWorkers(ctx context.Context) {
	for range s.opts.Workers {
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-s.jobs:
					s.work(ctx, j.id, func(ctx context.Context) { s.process(ctx, j) })
				}
			}
		}()
	}
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		s.rescanLoop(ctx)
	}()
}

// process sanitizes one item: a new upload from its incoming file, or a
// held item again from its quarantined original with a password.
func (s *Server) process(ctx context.Context, j job) {
	it, err := s.item(ctx, j.id)
	if err != nil {
		s.failure("process", j.id, err)
		return
	}
	retry := j.password != ""
	var body io.ReadCloser
	if retry {
		if it.State != Held && it.State != Processing {
			return
		}
		_, rc, err := s.q.Get(ctx, it.ID)
		if err != nil {
			s.failure("original", it.ID, err)
			s.setState(ctx, it.ID, Held, "original unavailable")
			return
		}
		body = rc
	} else {
		if it.State.final() {
			return
		}
		rc, err := s.original(ctx, it.ID)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.failure("incoming", it.ID, err)
			s.setState(ctx, it.ID, Withheld, "the uploaded file was lost")
			return
		}
		body = rc
	}
	defer body.Close()
	s.setState(ctx, it.ID, Processing, "")
	name := it.Name
	if it.Declared != "" {
		name = it.Declared // the engine reports what cleaning the name took
	}
	pol, err := s.itemPolicy(ctx, it)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		s.failure("policy", it.ID, err)
		s.finish(ctx, it, nil, Withheld, "policy: "+err.Error(), j)
		return
	}
	res, err := s.eng.Sanitize(ctx, sanitizer.Input{Name: name, Body: body, ID: it.ID, Password: j.password, Policy: pol})
	if err != nil {
		if ctx.Err() != nil {
			return // shutting down or taken over: the item's next claim sanitizes it
		}
		s.failure("sanitize", it.ID, err)
		s.finish(ctx, it, nil, Withheld, err.Error(), j)
		return
	}
	defer res.Close()
	rep := res.Report
	if !retry {
		if err := s.describe(ctx, it, res); err != nil {
			s.failure("quarantine", it.ID, err)
			s.finish(ctx, it, rep, Withheld, "quarantine: "+err.Error(), j)
			return
		}
	}
	rep.QuarantineID = it.ID
	state := Done
	switch {
	case rep.Withheld && rep.Action == sanitizer.Hold:
		state = Held
	case rep.Withheld || len(res.Outputs) == 0:
		state = Withheld
	}
	if state == Done {
		if err := s.storeOutputs(ctx, it.ID, res.Outputs); err != nil {
			s.failure("outputs", it.ID, err)
			state = Withheld
			rep.Withheld = true
			rep.Reasons = append(rep.Reasons, sanitizer.NewReason(sanitizer.ReasonInternal, err.Error()))
		} else if retry {
			if err := s.q.SetState(ctx, it.ID, store.Released, j.by); err != nil {
				s.log.Warn("quarantine release", "item_id", it.ID, "err", err)
			}
		}
	}
	s.finish(ctx, it, rep, state, "", j)
	if !retry {
		os.Remove(filepath.Join(s.incoming, it.ID))
	}
}

// original opens an upload's original: the incoming file if this node
// received it, else the copy kept in the quarantine.
func (s *Server) original(ctx context.Context, id string) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(s.incoming, id))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return f, err
	}
	_, rc, err := s.q.Get(ctx, id)
	return rc, err
}

// describe records the report on the original kept in the quarantine
// under the item's ID, keeping the original first if an older mugai
// accepted the upload without.
func (s *Server) describe(ctx context.Context, it *Item, res *sanitizer.Result) error {
	rep := res.Report
	js, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	reason := "uploaded"
	if len(rep.Reasons) > 0 {
		reason = rep.Reasons[0].Code
	}
	err = s.q.Describe(ctx, it.ID, store.Description{MediaType: rep.MediaType, Reason: reason, Report: js})
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, err = s.q.Put(ctx, s.originalRecord(it, reason, rep.MediaType, js), res.Original.Open())
	return err
}

// storeOutputs stores each output in Outputs (what an earlier attempt
// left goes first), then records them.
func (s *Server) storeOutputs(ctx context.Context, id string, outs []*sanitizer.Output) error {
	if err := s.outputs.Remove(ctx, id); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM transfer_outputs WHERE item_id=?`, id); err != nil {
		return err
	}
	for i, o := range outs {
		if err := s.outputs.Put(ctx, id, i, o.Open()); err != nil {
			return err
		}
		mt := o.MediaType
		if _, _, err := mime.ParseMediaType(mt); err != nil || mt == "" {
			mt = "application/octet-stream"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO transfer_outputs (item_id, idx, name, media_type, size, sha256) VALUES (?, ?, ?, ?, ?, ?)`,
			id, i, detect.CleanName(o.Name), mt, o.Size(), o.SHA256()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// finish records the result and audits it.
func (s *Server) finish(ctx context.Context, it *Item, rep *sanitizer.Report, st State, errText string, j job) {
	var js []byte
	if rep != nil {
		js, _ = json.Marshal(rep)
	}
	approval := ""
	if st == Done && s.opts.Approval {
		approval = ApprovalPending
	}
	wrong := 0 // a password that left the item held was wrong
	if j.password != "" && st == Held {
		wrong = 1
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE transfer_items SET state=?, report=?, error=?, approval=?, unlock_failures=unlock_failures+? WHERE id=?`,
		string(st), string(js), errText, approval, wrong, it.ID); err != nil {
		s.failure("finish", it.ID, err)
	}
	s.hub.notify()
	e := audit.Event{Zone: "system", User: it.Owner, Action: audit.Result, Item: it.ID, Name: it.Name, SHA256In: it.SHA256, Outcome: string(st)}
	if j.password != "" {
		e.Action, e.User, e.IP, e.Zone = audit.Unlock, j.by, j.ip, ZoneUpload
	}
	if rep != nil {
		e.Detail = rep.Summary("en")
		sums := make([]string, len(rep.Outputs))
		for i, o := range rep.Outputs {
			sums[i] = o.SHA256
		}
		e.SHA256Out = strings.Join(sums, " ")
	} else {
		e.Detail = errText
	}
	if err := s.audit.Record(ctx, e); err != nil {
		s.log.Error("audit", "err", err)
	}
	if st == Done && approval == "" {
		s.notifyArrival(ctx, it.ID)
	}
}

// unlock re-runs a held encrypted item with the password the uploader
// gives (PPAP). The password is used once and not stored. After
// MaxPasswordTries wrong passwords the item takes no more: an
// administrator decides on its original.
func (s *Server) unlock(w http.ResponseWriter, r *http.Request) {
	sess := session(r)
	it, err := s.item(r.Context(), r.PathValue("id"))
	if err != nil || it.Owner != sess.User.Name {
		http.NotFound(w, r)
		return
	}
	pw := r.PostFormValue("password")
	conflict := func(msg string) { writeJSON(w, http.StatusConflict, map[string]string{"error": msg}) }
	if it.UnlockFailures >= s.opts.MaxPasswordTries {
		conflict(catalog.N(lang(r), "page.password_exhausted", s.opts.MaxPasswordTries))
		return
	}
	notHeld := catalog.Text(lang(r), "page.err_unlock")
	if it.State != Held || pw == "" || len(pw) > 1024 {
		conflict(notHeld)
		return
	}
	// 無害化中 until the worker is done; a stop meanwhile puts it back
	// to held once its claim ends (the password is not kept). The conditional update
	// lets only one of two simultaneous requests through, so the tries
	// are counted one by one.
	// The node claims the item for its worker, which has the password.
	if n, err := affected(s.db.ExecContext(r.Context(), `UPDATE transfer_items SET state=?, claimed_by=?, claimed_until=? WHERE id=? AND state=? AND unlock_failures<?`,
		string(Processing), s.opts.Node, s.db.Stamp(s.opts.Now().Add(s.opts.Lease)), it.ID, string(Held), s.opts.MaxPasswordTries)); err != nil || n != 1 {
		conflict(notHeld)
		return
	}
	s.record(r, ZoneUpload, audit.Event{Action: audit.Unlock, Item: it.ID, Name: it.Name, SHA256In: it.SHA256, Outcome: "queued"})
	s.enqueue(job{id: it.ID, password: pw, by: sess.User.Name, ip: clientIP(r)})
	writeJSON(w, http.StatusAccepted, map[string]string{"id": it.ID})
}

// affected is the number of rows an Exec changed; a failed Exec has no
// result to ask.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
