package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/spill"
)

// openObjectStore binds to the Object Store cfg names, creating it with
// cfg if it does not exist yet. An existing bucket is taken as it is: a
// node never changes what the cluster keeps (its replicas are changed
// with the nats tool), and binding needs only the bucket's leader, where
// an update would need every replica. The one exception is readsFromLeader.
func openObjectStore(ctx context.Context, js jetstream.JetStream, cfg jetstream.ObjectStoreConfig) (obs jetstream.ObjectStore, err error) {
	err = whileElecting(ctx, electionAttempt, func(ctx context.Context) error {
		if obs, err = js.ObjectStore(ctx, cfg.Bucket); errors.Is(err, jetstream.ErrBucketNotFound) {
			obs, err = js.CreateObjectStore(ctx, cfg)
		}
		if err != nil {
			return err
		}
		if changed, err := readsFromLeader(ctx, js, "OBJ_"+cfg.Bucket); err != nil || !changed {
			return err
		}
		obs, err = js.ObjectStore(ctx, cfg.Bucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: object store %s: %w", cfg.Bucket, err)
	}
	return obs, nil
}

// openKeyValue is openObjectStore for a Key-Value bucket.
func openKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (kv jetstream.KeyValue, err error) {
	err = whileElecting(ctx, electionAttempt, func(ctx context.Context) error {
		if kv, err = js.KeyValue(ctx, cfg.Bucket); errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = js.CreateKeyValue(ctx, cfg)
		}
		if err != nil {
			return err
		}
		if changed, err := readsFromLeader(ctx, js, "KV_"+cfg.Bucket); err != nil || !changed {
			return err
		}
		kv, err = js.KeyValue(ctx, cfg.Bucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: key-value bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// readsFromLeader turns off direct gets on stream, if they are on, and
// reports whether it changed the stream (the bucket is then bound again,
// for the client reads the setting when it binds).
//
// QUIRK: the client creates every bucket with direct gets, which any
// replica answers, and a replica may not yet have applied a write that
// JetStream acknowledged (once a majority had it): a node would then not
// find an original another node has just stored. Without direct gets,
// every read goes to the stream's leader, which has every acknowledged
// write.
func readsFromLeader(ctx context.Context, js jetstream.JetStream, stream string) (bool, error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return false, err
	}
	cfg := st.CachedInfo().Config
	if !cfg.AllowDirect {
		return false, nil
	}
	cfg.AllowDirect = false
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return false, err
	}
	return true, nil
}

// fetchObject reads object name into a new buffer (memory up to 1 MiB,
// else a file in dir, removed when the buffer is closed), again while a
// leader is elected. An attempt may take electionAttempt and a second
// more for every MiB. The Object Store checks the object's digest at
// the end: ErrDigestMismatch.
func fetchObject(ctx context.Context, obs jetstream.ObjectStore, name, dir string) (buf *spill.Buffer, err error) {
	var info *jetstream.ObjectInfo
	err = whileElecting(ctx, electionAttempt, func(ctx context.Context) (err error) {
		info, err = obs.GetInfo(ctx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	fetch := func(ctx context.Context) error {
		obj, err := obs.Get(ctx, name)
		if err != nil {
			return err
		}
		defer obj.Close()
		buf = spill.New(spill.Options{Dir: dir})
		if _, err := io.Copy(buf, obj); err != nil {
			buf.Close()
			return err
		}
		return nil
	}
	attempt := electionAttempt + time.Duration(info.Size>>20)*time.Second
	for range digestReads {
		if err = whileElecting(ctx, attempt, fetch); !errors.Is(err, jetstream.ErrDigestMismatch) {
			break
		}
	}
	return buf, err
}

// digestReads is how many times fetchObject reads an object whose
// digest does not match before it gives up.
//
// QUIRK: the client's object reader (an ordered push consumer) now and
// then hands over chunks that fail the digest check just after the
// object was stored (seen with nats-server 2.9.10 about once in 40 reads
// of a 4 MiB object), and reading again gives the whole object. An
// object really damaged fails every time: ErrCorrupt.
const digestReads = 3

// deleteObject deletes object name, again while a leader is elected;
// nil if it is gone already.
func deleteObject(ctx context.Context, obs jetstream.ObjectStore, name string) error {
	err := whileElecting(ctx, electionAttempt, func(ctx context.Context) error {
		if err := obs.Delete(ctx, name); !errors.Is(err, jetstream.ErrObjectNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: deleting %s: %w", name, err)
	}
	return nil
}

// electionAttempt bounds one attempt of whileElecting.
const electionAttempt = 5 * time.Second

// whileElecting runs op, which must be safe to repeat, again while it
// fails because no JetStream server answers for the stream yet: while
// the cluster elects a new leader for what a dead server led (a few
// seconds), or another node creates the same bucket. Each attempt has
// at most attempt; ctx bounds them all.
func whileElecting(ctx context.Context, attempt time.Duration, op func(ctx context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, attempt)
		err := op(actx)
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// transient reports an error that says no server took the request:
// a timeout, no responders, JetStream not ready, or a bucket created
// at the same moment by another node.
func transient(err error) bool {
	var api *jetstream.APIError
	var legacy *nats.APIError // from the watchers and readers, which use the older client
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, jetstream.ErrBucketExists),
		errors.Is(err, jetstream.ErrStreamNameAlreadyInUse), errors.Is(err, nats.ErrConnectionReconnecting):
		return true
	case errors.As(err, &api):
		return api.Code == 503 // "JetStream system temporarily unavailable", "no suitable peers", …
	case errors.As(err, &legacy):
		return legacy.Code == 503
	}
	return false
}
