package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/jsretry"
	"github.com/mugai-project/mugai/internal/spill"
)

// openObjectStore binds to the Object Store cfg names, creating it with
// cfg if it does not exist yet. An existing bucket is taken as it is: a
// node never changes what the cluster keeps (its replicas are changed
// with the nats tool), and binding needs only the bucket's leader, where
// an update would need every replica. The one exception is readsFromLeader.
func openObjectStore(ctx context.Context, js jetstream.JetStream, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	obs, err := openBucket(ctx, js, "OBJ_"+cfg.Bucket,
		func(ctx context.Context) (jetstream.ObjectStore, error) { return js.ObjectStore(ctx, cfg.Bucket) },
		func(ctx context.Context) (jetstream.ObjectStore, error) { return js.CreateObjectStore(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("store: object store %s: %w", cfg.Bucket, err)
	}
	return obs, nil
}

// openKeyValue is openObjectStore for a Key-Value bucket.
func openKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := openBucket(ctx, js, "KV_"+cfg.Bucket,
		func(ctx context.Context) (jetstream.KeyValue, error) { return js.KeyValue(ctx, cfg.Bucket) },
		func(ctx context.Context) (jetstream.KeyValue, error) { return js.CreateKeyValue(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("store: key-value bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// openBucket binds to the bucket whose stream is stream, creating it if
// it is not found, and binds again once readsFromLeader changed it; again
// while a leader is elected.
func openBucket[B any](ctx context.Context, js jetstream.JetStream, stream string, bind, create func(context.Context) (B, error)) (b B, err error) {
	err = jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) error {
		if b, err = bind(ctx); errors.Is(err, jetstream.ErrBucketNotFound) {
			b, err = create(ctx)
		}
		if err != nil {
			return err
		}
		if changed, err := readsFromLeader(ctx, js, stream); err != nil || !changed {
			return err
		}
		b, err = bind(ctx)
		return err
	})
	return b, err
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
// leader is elected. An attempt may take jsretry.Attempt and a second
// more for every MiB. The Object Store checks the object's digest at
// the end: ErrDigestMismatch.
func fetchObject(ctx context.Context, obs jetstream.ObjectStore, name, dir string) (buf *spill.Buffer, err error) {
	var info *jetstream.ObjectInfo
	err = jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) (err error) {
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
	attempt := jsretry.Attempt + time.Duration(info.Size>>20)*time.Second
	for range digestReads {
		if err = jsretry.WhileElecting(ctx, attempt, fetch); !errors.Is(err, jetstream.ErrDigestMismatch) {
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
	err := jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) error {
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
