package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/ids"
	"github.com/mugai-project/mugai/internal/jsretry"
	"github.com/mugai-project/mugai/internal/meta"
)

// JetStream is a Quarantine in a NATS JetStream cluster, shared by every
// node of it:
//
//	Object Store <Bucket>          the originals, one object each, named <id>/<token>
//	Key-Value <Bucket>_items:
//	  i.<id>                       the item's record: its Item and its object's name
//	  p.<id>.<token>               an object whose fate a crash may have left open
//
// Both buckets have Replicas replicas; JetStream acknowledges a write
// once a quorum of them has stored it, so Put returns only once the
// original and its record are on a majority of the servers, and any
// one of three may die without losing an item.
//
// The records are KV entries rather than the objects' own metadata: a
// KV entry is created only if its key is new (two nodes storing the same
// ID cannot both win) and updated only at the revision it was read at
// (two nodes changing one item's state cannot lose a change), which the
// Object Store's metadata does not offer. Every write of an original
// puts a pending mark (p.…) first and removes it last; a crash in
// between leaves the mark, and the next NewJetStream decides by the
// record whether the object is kept or deleted. An object without its
// record is never listed.
//
// With an Index (the cluster's PostgreSQL database), List finds the
// items in it and reads only their records (jsindex.go): its cost grows
// with the items listed, not with the items kept. Every write of a
// record then writes the item's row after it, and fails if that fails;
// Reconcile (which the retention sweep runs first) gives the rows that
// a crash or an outage left behind. Without one, List reads the latest
// record of every item (one ordered consumer over the records, about a
// kilobyte each), as FS reads its files. A record must fit in one NATS
// message (the servers' max_payload, 1 MiB by default).
type JetStream struct {
	obs   jetstream.ObjectStore
	kv    jetstream.KeyValue
	index *index // nil without an Index
	opts  JetStreamOptions
}

var (
	_ Quarantine = (*JetStream)(nil)
	_ Reconciler = (*JetStream)(nil)
)

// JetStreamOptions configure a JetStream quarantine; zero fields mean
// the defaults.
type JetStreamOptions struct {
	// Replicas of both buckets (1 to 5); default 1.
	Replicas int
	// Bucket names the Object Store; the records are in Bucket_items.
	// Default "mugai_quarantine".
	Bucket string
	// TempDir holds an original above 1 MiB while Get checks it; default
	// os.TempDir().
	TempDir string
	// ReadTimeout bounds a Get whose context has no deadline; default
	// 5 minutes.
	ReadTimeout time.Duration
	// PendingAge is how old a pending mark must be before NewJetStream
	// settles it (a younger one may be a Put under way on another node);
	// default a minute.
	PendingAge time.Duration
	// Index is the database in which List finds the items: the
	// cluster's shared PostgreSQL database. nil lists by reading every
	// record.
	Index *meta.DB
	Now   func() time.Time // default time.Now
}

func (o JetStreamOptions) withDefaults() JetStreamOptions {
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.Bucket == "" {
		o.Bucket = "mugai_quarantine"
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 5 * time.Minute
	}
	if o.PendingAge <= 0 {
		o.PendingAge = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// jsRecord is an item's KV entry.
type jsRecord struct {
	Item
	Object string `json:"object"` // the name of the object that holds the original
}

// NewJetStream opens (creating or updating if needed) the quarantine's
// buckets and settles what an earlier crash left pending.
func NewJetStream(ctx context.Context, js jetstream.JetStream, opts JetStreamOptions) (*JetStream, error) {
	opts = opts.withDefaults()
	obs, err := openObjectStore(ctx, js, jetstream.ObjectStoreConfig{
		Bucket: opts.Bucket, Description: "mugai: originals kept in quarantine", Replicas: opts.Replicas, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, err
	}
	kv, err := openKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket: opts.Bucket + "_items", Description: "mugai: quarantine records", Replicas: opts.Replicas, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, err
	}
	s := &JetStream{obs: obs, kv: kv, opts: opts}
	if opts.Index != nil {
		if s.index, err = openIndex(ctx, opts.Index, opts.Bucket); err != nil {
			return nil, err
		}
	}
	if err := s.settlePending(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func recordKey(id string) string { return "i." + id }

// pendingKey is the pending mark of object (<id>/<token>).
func pendingKey(object string) string { return "p." + strings.Replace(object, "/", ".", 1) }

// mark puts object's pending mark; unmark removes it.
func (s *JetStream) mark(ctx context.Context, object string) error {
	err := jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) error {
		_, err := s.kv.Put(ctx, pendingKey(object), []byte(object))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: marking %s pending: %w", object, err)
	}
	return nil
}

func (s *JetStream) unmark(ctx context.Context, object string) error {
	err := jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) error { return s.kv.Purge(ctx, pendingKey(object)) })
	if err != nil {
		return fmt.Errorf("store: unmarking %s: %w", object, err)
	}
	return nil
}

// deleteObject deletes an object that may be gone already.
func (s *JetStream) deleteObject(ctx context.Context, object string) error {
	return deleteObject(ctx, s.obs, object)
}

// indexed writes its row as of revision rev, if there is an index.
func (s *JetStream) indexed(ctx context.Context, it *Item, rev uint64) error {
	if s.index == nil {
		return nil
	}
	return s.index.put(ctx, it, rev)
}

// record reads an item's record and its revision.
func (s *JetStream) record(ctx context.Context, id string) (jsRecord, uint64, error) {
	if !ValidID(id) {
		return jsRecord{}, 0, ErrInvalidID
	}
	var e jetstream.KeyValueEntry
	err := jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) (err error) {
		e, err = s.kv.Get(ctx, recordKey(id))
		return err
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return jsRecord{}, 0, ErrNotFound
	}
	if err != nil {
		return jsRecord{}, 0, fmt.Errorf("store: %s: %w", id, err)
	}
	rec, err := decodeRecord(e.Value())
	if err != nil || rec.ID != id {
		return jsRecord{}, 0, fmt.Errorf("store: %s: inconsistent record", id)
	}
	return rec, e.Revision(), nil
}

func decodeRecord(b []byte) (jsRecord, error) {
	var rec jsRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return jsRecord{}, err
	}
	if !rec.State.valid() || rec.Object == "" {
		return jsRecord{}, errors.New("store: inconsistent record")
	}
	return rec, nil
}

// Put implements Quarantine: the original goes into a new object, then
// the record is created, then its row; the ID is taken only if its
// record is new.
func (s *JetStream) Put(ctx context.Context, item Item, original io.Reader) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := item.prepare(s.opts.Now); err != nil {
		return "", err
	}
	item.Offset = 0
	if _, _, err := s.record(ctx, item.ID); err == nil {
		return "", ErrExists
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	rec := jsRecord{Item: item, Object: item.ID + "/" + ids.Token()}
	if err := s.mark(ctx, rec.Object); err != nil {
		return "", err
	}
	rev, err := s.putOriginal(ctx, &rec, original)
	if err != nil {
		// Settled now if possible, else by the next NewJetStream.
		if s.deleteObject(ctx, rec.Object) == nil {
			s.unmark(ctx, rec.Object)
		}
		return "", err
	}
	ierr := s.indexed(ctx, &rec.Item, rev)
	return item.ID, errors.Join(s.unmark(ctx, rec.Object), ierr)
}

// putOriginal stores the original into rec's object, completes rec's
// SHA-256 and size from what JetStream stored, and creates the record,
// returning its revision.
func (s *JetStream) putOriginal(ctx context.Context, rec *jsRecord, original io.Reader) (uint64, error) {
	info, err := s.obs.Put(ctx, jetstream.ObjectMeta{Name: rec.Object}, original)
	if err != nil {
		return 0, fmt.Errorf("store: storing the original: %w", err)
	}
	sum, err := jetstream.DecodeObjectDigest(info.Digest)
	if err != nil {
		return 0, fmt.Errorf("store: storing the original: %w", err)
	}
	got := hex.EncodeToString(sum)
	if rec.SHA256 != "" && !strings.EqualFold(rec.SHA256, got) {
		return 0, fmt.Errorf("%w: given %s, received %s", ErrCorrupt, rec.SHA256, got)
	}
	rec.SHA256, rec.Size = got, int64(info.Size)
	b, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	tries := 0
	var rev uint64
	err = jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) (err error) {
		tries++
		rev, err = s.kv.Create(ctx, recordKey(rec.ID), b)
		return err
	})
	if errors.Is(err, jetstream.ErrKeyExists) {
		// An attempt whose answer was lost may have created it.
		if got, rev, rerr := s.record(ctx, rec.ID); tries > 1 && rerr == nil && got.Object == rec.Object {
			return rev, nil
		}
		return 0, ErrExists
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", rec.ID, err)
	}
	return rev, nil
}

// Get implements Quarantine. The original is read from JetStream into a
// local buffer (memory up to 1 MiB, else a file in TempDir, removed when
// the reader is closed) and its SHA-256 checked before Get returns; the
// reader checks it again as the caller reads.
func (s *JetStream) Get(ctx context.Context, id string) (Item, io.ReadCloser, error) {
	rec, _, err := s.record(ctx, id)
	if err != nil {
		return Item{}, nil, err
	}
	if rec.State == Purged {
		return rec.Item, nil, ErrPurged
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.ReadTimeout)
		defer cancel()
	}
	buf, err := fetchObject(ctx, s.obs, rec.Object, s.opts.TempDir)
	if errors.Is(err, jetstream.ErrDigestMismatch) {
		return Item{}, nil, fmt.Errorf("%w: item %s", ErrCorrupt, id)
	}
	if err != nil {
		return Item{}, nil, fmt.Errorf("store: %s: %w", id, err)
	}
	if buf.SHA256() != rec.SHA256 || buf.Size() != rec.Size {
		buf.Close()
		return Item{}, nil, fmt.Errorf("%w: item %s", ErrCorrupt, id)
	}
	return rec.Item, &checkedReader{r: buf.Open(), f: buf, h: sha256.New(), want: rec.SHA256}, nil
}

// List implements Quarantine: from the index if there is one, else by
// reading every record.
func (s *JetStream) List(ctx context.Context, f Filter) ([]Item, error) {
	if s.index != nil {
		return s.index.list(ctx, f, s.current)
	}
	entries, err := s.latest(ctx, recordKey("*"))
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, e := range entries {
		rec, err := decodeRecord(e.Value())
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", e.Key(), err)
		}
		if f.match(&rec.Item) {
			out = append(out, rec.Item)
		}
	}
	sortItems(out)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// current reads id's record for the index's List; ok is false when the
// record is gone.
func (s *JetStream) current(ctx context.Context, id string) (rec jsRecord, ok bool, err error) {
	rec, _, err = s.record(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return jsRecord{}, false, nil
	}
	return rec, err == nil, err
}

// latest returns the latest entry of every key that matches filter and
// is not deleted.
func (s *JetStream) latest(ctx context.Context, filter string) ([]jetstream.KeyValueEntry, error) {
	out, err := jsretry.Latest(ctx, s.kv, filter)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return out, nil
}

// SetState implements Quarantine. The record changes first, then its
// row; a purge then deletes the object, under a pending mark.
func (s *JetStream) SetState(ctx context.Context, id string, st State, by string) error {
	if !st.valid() {
		return fmt.Errorf("store: unknown state %q", st)
	}
	var object string
	ierr, err := s.change(ctx, id, func(rec *jsRecord) error {
		if rec.State == Purged && st != Purged {
			return ErrPurged
		}
		if st == Purged {
			if err := s.mark(ctx, rec.Object); err != nil {
				return err
			}
		}
		rec.State, rec.StateChanged, rec.StateBy, object = st, s.opts.Now().UTC(), by, rec.Object
		return nil
	})
	if err != nil || st != Purged {
		return errors.Join(err, ierr)
	}
	// The original goes even when the row could not be written.
	if err := s.deleteObject(ctx, object); err != nil {
		return errors.Join(ierr, err)
	}
	return errors.Join(ierr, s.unmark(ctx, object))
}

// Describe implements Quarantine.
func (s *JetStream) Describe(ctx context.Context, id string, d Description) error {
	ierr, err := s.change(ctx, id, func(rec *jsRecord) error { d.apply(&rec.Item); return nil })
	return errors.Join(err, ierr)
}

// change rewrites an item's record as fn says, at the revision it was
// read at, again if another node changed it meanwhile, and then its
// row. err is the record's; ierr, once the record is written, the row's.
func (s *JetStream) change(ctx context.Context, id string, fn func(*jsRecord) error) (ierr, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for {
		rec, rev, err := s.record(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := fn(&rec); err != nil {
			return nil, err
		}
		b, err := json.Marshal(&rec)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		var written uint64
		err = jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) (err error) {
			written, err = s.kv.Update(ctx, recordKey(id), b, rev)
			return err
		})
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", id, err)
		}
		return s.indexed(ctx, &rec.Item, written), nil
	}
}

// Delete implements Quarantine: the record goes first, then the object,
// under a pending mark, then the row.
func (s *JetStream) Delete(ctx context.Context, id string) error {
	if !ValidID(id) {
		return ErrInvalidID
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec, rev, err := s.record(ctx, id)
	if err != nil {
		return err
	}
	if err := s.mark(ctx, rec.Object); err != nil {
		return err
	}
	for {
		err = jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) error {
			return s.kv.Purge(ctx, recordKey(id), jetstream.LastRevision(rev))
		})
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			break
		}
		// Changed meanwhile (or purged by an attempt whose answer was
		// lost): the object is the same, the record goes all the same.
		var again jsRecord
		if again, rev, err = s.record(ctx, id); errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return err
		}
		if again.Object != rec.Object {
			return fmt.Errorf("store: %s: replaced while being deleted", id)
		}
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: %s: %w", id, err)
	}
	if err := s.deleteObject(ctx, rec.Object); err != nil {
		return err
	}
	if err := s.unmark(ctx, rec.Object); err != nil {
		return err
	}
	if s.index == nil {
		return nil
	}
	return s.index.remove(ctx, id, math.MaxInt64)
}

// settlePending settles every pending mark older than PendingAge: its
// object is kept if the item's record names it and is not purged, and
// deleted otherwise; then the mark goes.
func (s *JetStream) settlePending(ctx context.Context) error {
	marks, err := s.latest(ctx, "p.>")
	if err != nil {
		return err
	}
	now := s.opts.Now()
	var errs []error
	for _, e := range marks {
		if now.Sub(e.Created()) < s.opts.PendingAge {
			continue
		}
		object := string(e.Value())
		id, _, _ := strings.Cut(object, "/")
		rec, _, err := s.record(ctx, id)
		switch {
		case err == nil && rec.Object == object && rec.State != Purged:
		case err == nil, errors.Is(err, ErrNotFound), errors.Is(err, ErrInvalidID):
			err = s.deleteObject(ctx, object)
		}
		if err == nil {
			err = s.unmark(ctx, object)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: settling what a crash left: %w", err)
	}
	return nil
}
