package held

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // ISO-2022-JP, Shift_JIS, EUC-JP bodies
	gomail "github.com/emersion/go-message/mail"

	"github.com/mugai-project/mugai/internal/ids"
)

// Hints offer a recipient of a held PPAP mail (a zip with its password
// sent in a second mail) the password of the mail that followed it: a
// later mail from the same envelope sender to the same recipient within
// Window, whose text has a password line (Passwords). The recipient's
// page shows it as a suggestion to try with one click; it is never tried
// by itself.
//
// Hints live in memory only, never on disk nor in a log: a found
// password is a secret, and a suggestion lost with a restart costs its
// recipient no more than typing it from the mail, which they also got
// (sanitized, as any other). A password is kept for its recipient alone
// (the recipient of the follow-up mail, not every recipient of the held
// one), until it is tried and fails, the item is opened, or Life ends.
//
// The zero Hints keep them in this process's memory. On a cluster
// (NewClusterHints) they are shared by every node in two NATS JetStream
// Key-Value buckets with memory storage, so still never on disk: the
// held mail may be processed on one node, its follow-up on another and
// the recipient's page served by a third. There every value is sealed
// and every key is a keyed hash (sealer), and Take and Forget delete by
// revision, so that one hint is tried once on the whole cluster.
//
// Divergence: a held mail is remembered from its processing, so a
// follow-up processed before its held mail (both within seconds, on
// parallel workers), or after a restart, offers nothing. Hints cannot
// fail their callers: on a cluster, an operation the NATS servers do not
// answer is logged and offers nothing.
type Hints struct {
	Window time.Duration    // default 1 hour
	Life   time.Duration    // default 24 hours
	Now    func() time.Time // default time.Now

	memHints           // the default store
	shared   hintStore // the cluster's, if set
	log      *slog.Logger
}

// hintStore keeps what Hints know. Every method is safe for concurrent
// use, and on a cluster across nodes.
type hintStore interface {
	// hold keeps w, unless a held mail of its ID is kept already.
	hold(w waiting, now time.Time) error
	// heldFrom returns the held mails from from (in any case) that are
	// still in their window.
	heldFrom(from string, now time.Time) ([]waiting, error)
	// keep keeps h for k; false if k has h.Password already.
	keep(k hintKey, h Hint, now time.Time) (bool, error)
	// hints returns k's hints still in their life.
	hints(k hintKey, now time.Time) ([]Hint, error)
	// take removes and returns k's hint named id; false if it is gone,
	// or taken by another at the same time.
	take(k hintKey, id string, now time.Time) (Hint, bool, error)
	// forget drops every hint of k.
	forget(k hintKey) error
}

// Hint is a password found for one recipient of one held item, with the
// mail it came in.
type Hint struct {
	ID       string // names the hint on the page, never the password
	Password string
	From     string
	Subject  string
	Received time.Time
	expires  time.Time
}

// waiting is a held mail waiting for its password, until the end of
// its window.
type waiting struct {
	ID       string    `json:"id"`
	From     string    `json:"from"`
	Rcpts    []string  `json:"rcpts"`
	Received time.Time `json:"received"`
	Until    time.Time `json:"until"`
}

// hintKey names one recipient's copy of an item; rcpt is lower-cased.
type hintKey struct{ item, rcpt string }

func keyOf(item, rcpt string) hintKey { return hintKey{item, strings.ToLower(rcpt)} }

// maxHints bounds the passwords kept at once, all items together; the
// oldest go first.
const maxHints = 10000

// maxText is how much of a follow-up mail's text is read.
const maxText = 64 << 10

func (h *Hints) window() time.Duration {
	if h.Window > 0 {
		return h.Window
	}
	return time.Hour
}

func (h *Hints) life() time.Duration {
	if h.Life > 0 {
		return h.Life
	}
	return 24 * time.Hour
}

func (h *Hints) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Hints) store() hintStore {
	if h.shared != nil {
		return h.shared
	}
	return &h.memHints
}

// failed logs err of a shared store (never a password: the stores'
// errors name no value).
func (h *Hints) failed(op string, err error) {
	if err != nil && h.log != nil {
		h.log.Warn("held: password hints: "+op+" failed", "err", err)
	}
}

// Held records that the mail id from from to rcpts, received then, has
// an encrypted part waiting for a password.
func (h *Hints) Held(id, from string, rcpts []string, received time.Time) {
	w := waiting{ID: id, From: from, Rcpts: rcpts, Received: received, Until: received.Add(h.window())}
	h.failed("recording a held mail", h.store().hold(w, h.now()))
}

// FollowUp reads the text of msg, the sanitized message id from from to
// rcpts, received then, and keeps each password it names for each of
// rcpts who received a held mail from from in the window before it. It
// returns how many it kept. A mail with the null sender matches nothing.
func (h *Hints) FollowUp(id, from string, rcpts []string, received time.Time, msg io.Reader) int {
	if from == "" {
		return 0 // a bounce (null sender, RFC 5321 4.5.5) names no sender to match
	}
	ws, err := h.store().heldFrom(from, h.now())
	if err != nil {
		h.failed("reading the held mails", err)
		return 0
	}
	var items []waiting
	for _, w := range ws {
		if w.ID != id && !received.Before(w.Received) && !received.After(w.Until) {
			items = append(items, w)
		}
	}
	if len(items) == 0 {
		return 0
	}
	text, subject := mailText(msg)
	pws := Passwords(text)
	if len(pws) == 0 {
		return 0
	}
	n := 0
	for _, w := range items {
		for _, rc := range rcpts {
			if !containsFold(w.Rcpts, rc) {
				continue
			}
			for _, pw := range pws {
				now := h.now()
				kept, err := h.store().keep(keyOf(w.ID, rc), Hint{ID: ids.Token()[:12], Password: pw, From: from, Subject: subject, Received: received, expires: now.Add(h.life())}, now)
				h.failed("keeping a password", err)
				if kept {
					n++
				}
			}
		}
	}
	return n
}

// For returns the passwords found for rcpt's copy of item.
func (h *Hints) For(item, rcpt string) []Hint {
	if h == nil {
		return nil
	}
	hs, err := h.store().hints(keyOf(item, rcpt), h.now())
	h.failed("reading the passwords", err)
	return hs
}

// Take removes and returns the hint named id for rcpt's copy of item:
// one that is tried is not offered again. On a cluster, of two nodes
// taking the same hint at once, one has it.
func (h *Hints) Take(item, rcpt, id string) (Hint, bool) {
	if h == nil {
		return Hint{}, false
	}
	x, ok, err := h.store().take(keyOf(item, rcpt), id, h.now())
	h.failed("taking a password", err)
	return x, ok
}

// Forget drops every password kept for rcpt's copy of item: it was
// opened.
func (h *Hints) Forget(item, rcpt string) {
	if h == nil {
		return
	}
	h.failed("forgetting the passwords", h.store().forget(keyOf(item, rcpt)))
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// mailText is the text of the inline text parts of msg, a message mugai
// built (at most maxText bytes, decoded to UTF-8), and its subject.
func mailText(msg io.Reader) (text, subject string) {
	mr, err := gomail.CreateReader(bufio.NewReader(io.LimitReader(msg, 4*maxText)))
	if err != nil && !message.IsUnknownCharset(err) {
		return "", ""
	}
	defer mr.Close()
	subject, _ = mr.Header.Subject()
	var b strings.Builder
	for b.Len() < maxText {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) || err != nil && !message.IsUnknownCharset(err) {
			break
		}
		ih, ok := p.Header.(*gomail.InlineHeader)
		if !ok {
			continue
		}
		if t, _, _ := ih.ContentType(); t != "text/plain" {
			continue
		}
		io.Copy(&b, io.LimitReader(p.Body, int64(maxText-b.Len())))
		b.WriteString("\n")
	}
	return b.String(), subject
}
