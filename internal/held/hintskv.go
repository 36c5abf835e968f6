package held

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/jsretry"
	"github.com/nats-io/nats.go/jetstream"
)

// ClusterHints are what NewClusterHints takes. The zero value of each
// field but Links means its default.
type ClusterHints struct {
	Window time.Duration    // Hints.Window, and the held mails' bucket TTL
	Life   time.Duration    // Hints.Life, and the passwords' bucket TTL
	Now    func() time.Time // Hints.Now
	// Links' key (the cluster's, Links.Share) seals the values.
	Links *Links
	// Replicas of both buckets (1 to 5); default 1.
	Replicas int
	// Bucket prefixes the two buckets' names: Bucket+"_held" and
	// Bucket+"_found"; default "mugai_hints".
	Bucket string
	// Timeout bounds each operation; default 5 seconds.
	Timeout time.Duration
	// Logger tells of the operations that failed (never a value).
	Logger *slog.Logger
}

// NewClusterHints opens (creating them if needed) the cluster's buckets
// of held mails and found passwords and returns Hints that keep their
// state there. Both buckets have memory storage, so JetStream keeps
// them in its servers' memory only (replicated), and expire their
// entries by their TTL: Window for the held mails, Life for the
// passwords. An existing bucket keeps the TTL it was made with; the
// times each entry carries are checked as on one node.
func NewClusterHints(ctx context.Context, js jetstream.JetStream, o ClusterHints) (*Hints, error) {
	if o.Links == nil {
		return nil, errors.New("held: cluster hints need the held-link key")
	}
	seal, err := newSealer(o.Links.key)
	if err != nil {
		return nil, fmt.Errorf("held: %w", err)
	}
	h := &Hints{Window: o.Window, Life: o.Life, Now: o.Now, log: o.Logger}
	if o.Bucket == "" {
		o.Bucket = "mugai_hints"
	}
	kv := &kvHints{seal: seal, timeout: o.Timeout, log: o.Logger}
	if kv.timeout <= 0 {
		kv.timeout = 5 * time.Second
	}
	if kv.held, _, err = openHintBucket(ctx, js, o.Bucket+"_held", "mugai: held PPAP mails waiting for their password (sealed)", h.window(), o.Replicas); err != nil {
		return nil, err
	}
	if kv.found, kv.foundLog, err = openHintBucket(ctx, js, o.Bucket+"_found", "mugai: passwords found for held PPAP mails (sealed)", h.life(), o.Replicas); err != nil {
		return nil, err
	}
	h.shared = kv
	return h, nil
}

// maxSealed bounds a sealed value: a held mail's recipients, or a
// password with its mail's sender and subject.
const maxSealed = 64 << 10

// openHintBucket opens the memory bucket name, which keeps its entries
// for ttl and at most maxHints of them, the oldest dropped first, and
// returns it with its stream.
//
// QUIRK: the stream is made here, as the client makes a bucket's
// (jetstream.CreateKeyValue) but for three settings: the client's
// bucket refuses writes once full, where hints drop the oldest as on
// one node; its messages cannot be deleted (which cannot be undone),
// where kvHints.take deletes one; and any replica answers its reads,
// where a node must see what another has just written (as
// internal/store's buckets, which turn that off).
func openHintBucket(ctx context.Context, js jetstream.JetStream, name, desc string, ttl time.Duration, replicas int) (kv jetstream.KeyValue, st jetstream.Stream, err error) {
	// Through a leader election, as internal/store's buckets: a node
	// started while the cluster elects one starts once it is done.
	err = jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) error {
		if st, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: "KV_" + name, Description: desc, Subjects: []string{"$KV." + name + ".>"},
			MaxMsgsPerSubject: 1, MaxMsgs: maxHints, Discard: jetstream.DiscardOld, MaxBytes: -1, MaxAge: ttl, MaxMsgSize: maxSealed,
			Storage: jetstream.MemoryStorage, Replicas: max(replicas, 1), AllowRollup: true, Duplicates: min(ttl, 2*time.Minute), MaxConsumers: -1,
		}); err != nil {
			return err
		}
		kv, err = js.KeyValue(ctx, name)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("held: bucket %s: %w", name, err)
	}
	return kv, st, nil
}

// kvHints keeps the hints of a cluster in NATS JetStream. A held mail's
// key is h.<sender>.<mail>, a password's f.<item and recipient>.<item,
// recipient and password>, each part a sealer name.
type kvHints struct {
	held, found jetstream.KeyValue
	foundLog    jetstream.Stream // found's stream, which take deletes from
	seal        *sealer
	timeout     time.Duration
	log         *slog.Logger
}

var _ hintStore = (*kvHints)(nil)

// sealedHint is a Hint as it is sealed.
type sealedHint struct {
	ID       string    `json:"id"`
	Password string    `json:"password"`
	From     string    `json:"from"`
	Subject  string    `json:"subject"`
	Received time.Time `json:"received"`
	Expires  time.Time `json:"expires"`
}

func (s *kvHints) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

func (s *kvHints) heldPrefix(from string) string { return "h." + s.seal.name(strings.ToLower(from)) }

func (s *kvHints) foundPrefix(k hintKey) string { return "f." + s.seal.name(k.item, k.rcpt) }

func (s *kvHints) hold(w waiting, now time.Time) error {
	ctx, cancel := s.ctx()
	defer cancel()
	key := s.heldPrefix(w.From) + "." + s.seal.name(w.ID)
	v, err := s.seal.seal(key, w)
	if err != nil {
		return err
	}
	if _, err := s.held.Create(ctx, key, v); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return err
	}
	return nil // or processed again after a crash
}

func (s *kvHints) heldFrom(from string, now time.Time) ([]waiting, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	es, err := jsretry.Latest(ctx, s.held, s.heldPrefix(from)+".*")
	var ws []waiting
	for _, e := range es {
		var w waiting
		if s.open(e, &w) && !now.After(w.Until) {
			ws = append(ws, w)
		}
	}
	return ws, err
}

func (s *kvHints) keep(k hintKey, h Hint, now time.Time) (bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	key := s.foundPrefix(k) + "." + s.seal.name(k.item, k.rcpt, h.Password)
	v, err := s.seal.seal(key, sealedHint{ID: h.ID, Password: h.Password, From: h.From, Subject: h.Subject, Received: h.Received, Expires: h.expires})
	if err != nil {
		return false, err
	}
	_, err = s.found.Create(ctx, key, v)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	return err == nil, err
}

// live returns k's live hints with their entries.
func (s *kvHints) live(k hintKey, now time.Time) ([]Hint, []jetstream.KeyValueEntry, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	es, err := jsretry.Latest(ctx, s.found, s.foundPrefix(k)+".*")
	var hs []Hint
	var live []jetstream.KeyValueEntry
	for _, e := range es {
		var x sealedHint
		if s.open(e, &x) && now.Before(x.Expires) {
			hs = append(hs, Hint{ID: x.ID, Password: x.Password, From: x.From, Subject: x.Subject, Received: x.Received, expires: x.Expires})
			live = append(live, e)
		}
	}
	return hs, live, err
}

func (s *kvHints) hints(k hintKey, now time.Time) ([]Hint, error) {
	hs, _, err := s.live(k, now)
	return hs, err
}

func (s *kvHints) take(k hintKey, id string, now time.Time) (Hint, bool, error) {
	hs, es, err := s.live(k, now)
	if err != nil {
		return Hint{}, false, err
	}
	for i, x := range hs {
		if x.ID != id {
			continue
		}
		ctx, cancel := s.ctx()
		defer cancel()
		// The entry's message itself is deleted, which succeeds once:
		// the stream's replicas apply deletes one after another.
		// QUIRK: not a delete marker with the entry's revision expected
		// (kv.Delete with LastRevision): nats-server before 2.9.21 lets
		// two such writes proposed at once both pass on a clustered
		// stream (nats-server issue 4320; Debian has 2.9.10).
		err := s.foundLog.DeleteMsg(ctx, es[i].Revision())
		if errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) {
			return Hint{}, false, nil // taken on another node
		}
		return x, err == nil, err
	}
	return Hint{}, false, nil
}

func (s *kvHints) forget(k hintKey) error {
	ctx, cancel := s.ctx()
	defer cancel()
	es, err := jsretry.Latest(ctx, s.found, s.foundPrefix(k)+".*")
	for _, e := range es {
		err = errors.Join(err, s.found.Delete(ctx, e.Key()))
	}
	return err
}

// open unseals e into v; false, logged, for a value that does not
// open: sealed under another key.
func (s *kvHints) open(e jetstream.KeyValueEntry, v any) bool {
	if err := s.seal.open(e.Key(), e.Value(), v); err != nil {
		if s.log != nil {
			s.log.Warn("held: a password hint sealed under another key than this node's: was this node started without the cluster's database?", "bucket", e.Bucket())
		}
		return false
	}
	return true
}
