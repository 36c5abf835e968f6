package held

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"sync"
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
// Divergence: a held mail is remembered from its processing, so a
// follow-up processed before its held mail (both within seconds, on
// parallel workers), or after a restart, offers nothing.
type Hints struct {
	Window time.Duration    // default 1 hour
	Life   time.Duration    // default 24 hours
	Now    func() time.Time // default time.Now

	mu      sync.Mutex
	waiting []waiting
	found   map[hintKey][]Hint
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

type waiting struct {
	id, from string
	rcpts    []string
	received time.Time
}

type hintKey struct{ item, rcpt string }

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

func (h *Hints) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Held records that the mail id from from to rcpts, received then, has
// an encrypted part waiting for a password.
func (h *Hints) Held(id, from string, rcpts []string, received time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expire()
	for _, w := range h.waiting {
		if w.id == id {
			return // processed again after a crash
		}
	}
	h.waiting = append(h.waiting, waiting{id: id, from: from, rcpts: rcpts, received: received})
}

// FollowUp reads the text of msg, the sanitized message id from from to
// rcpts, received then, and keeps each password it names for each of
// rcpts who received a held mail from from in the window before it. It
// returns how many it kept. A mail with the null sender matches nothing.
func (h *Hints) FollowUp(id, from string, rcpts []string, received time.Time, msg io.Reader) int {
	if from == "" {
		return 0 // a bounce (null sender, RFC 5321 4.5.5) names no sender to match
	}
	h.mu.Lock()
	var items []waiting
	h.expire()
	for _, w := range h.waiting {
		if w.id != id && strings.EqualFold(w.from, from) && !received.Before(w.received) && received.Sub(w.received) <= h.window() {
			items = append(items, w)
		}
	}
	h.mu.Unlock()
	if len(items) == 0 {
		return 0
	}
	text, subject := mailText(msg)
	pws := Passwords(text)
	if len(pws) == 0 {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.found == nil {
		h.found = map[hintKey][]Hint{}
	}
	n := 0
	for _, w := range items {
		for _, rc := range rcpts {
			if !containsFold(w.rcpts, rc) {
				continue
			}
			k := hintKey{w.id, strings.ToLower(rc)}
			for _, pw := range pws {
				if h.has(k, pw) {
					continue
				}
				h.found[k] = append(h.found[k], Hint{ID: ids.Token()[:12], Password: pw, From: from, Subject: subject, Received: received, expires: h.now().Add(h.life())})
				n++
			}
		}
	}
	h.bound()
	return n
}

func (h *Hints) life() time.Duration {
	if h.Life > 0 {
		return h.Life
	}
	return 24 * time.Hour
}

func (h *Hints) has(k hintKey, pw string) bool {
	for _, x := range h.found[k] {
		if x.Password == pw {
			return true
		}
	}
	return false
}

// For returns the passwords found for rcpt's copy of item.
func (h *Hints) For(item, rcpt string) []Hint {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expire()
	return append([]Hint(nil), h.found[hintKey{item, strings.ToLower(rcpt)}]...)
}

// Take removes and returns the hint named id for rcpt's copy of item:
// one that is tried is not offered again.
func (h *Hints) Take(item, rcpt, id string) (Hint, bool) {
	if h == nil {
		return Hint{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expire()
	k := hintKey{item, strings.ToLower(rcpt)}
	for i, x := range h.found[k] {
		if x.ID == id {
			h.found[k] = append(h.found[k][:i:i], h.found[k][i+1:]...)
			if len(h.found[k]) == 0 {
				delete(h.found, k)
			}
			return x, true
		}
	}
	return Hint{}, false
}

// Forget drops every password kept for rcpt's copy of item: it was
// opened.
func (h *Hints) Forget(item, rcpt string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.found, hintKey{item, strings.ToLower(rcpt)})
}

// expire drops the held mails past the window and the passwords past
// their life. The caller holds mu.
func (h *Hints) expire() {
	now := h.now()
	keep := h.waiting[:0]
	for _, w := range h.waiting {
		if now.Sub(w.received) <= h.window() {
			keep = append(keep, w)
		}
	}
	clear(h.waiting[len(keep):])
	h.waiting = keep
	for k, hs := range h.found {
		live := hs[:0]
		for _, x := range hs {
			if now.Before(x.expires) {
				live = append(live, x)
			}
		}
		if len(live) == 0 {
			delete(h.found, k)
		} else {
			h.found[k] = live
		}
	}
}

// bound drops the oldest passwords past maxHints. The caller holds mu.
func (h *Hints) bound() {
	total := 0
	for _, hs := range h.found {
		total += len(hs)
	}
	for total > maxHints {
		var oldest hintKey
		first := true
		for k, hs := range h.found {
			if first || hs[0].expires.Before(h.found[oldest][0].expires) {
				oldest, first = k, false
			}
		}
		total -= len(h.found[oldest])
		delete(h.found, oldest)
	}
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
