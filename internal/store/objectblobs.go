package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/mugai-project/mugai/internal/jsretry"
	"github.com/nats-io/nats.go/jetstream"
)

// ObjectBlobs is Blobs in a replicated JetStream Object Store, shared by
// every node: object <item>/<index>. Put returns once JetStream has
// acknowledged the whole object (a quorum of its replicas has it). Open
// reads the object into a local buffer (memory up to 1 MiB, else a file
// in TempDir, removed on Close), the Object Store checking its SHA-256
// digest on the way, so that it can be seeked and read at.
type ObjectBlobs struct {
	obs     jetstream.ObjectStore
	tempDir string
}

var _ Blobs = (*ObjectBlobs)(nil)

// ObjectBlobsOptions configure ObjectBlobs; zero fields mean the
// defaults.
type ObjectBlobsOptions struct {
	Replicas int    // of the bucket, 1 to 5; default 1
	Bucket   string // the Object Store's name; default "mugai_outputs"
	TempDir  string // default os.TempDir()
}

// NewObjectBlobs opens (creating if needed) the Object Store of blobs.
func NewObjectBlobs(ctx context.Context, js jetstream.JetStream, opts ObjectBlobsOptions) (*ObjectBlobs, error) {
	if opts.Bucket == "" {
		opts.Bucket = "mugai_outputs"
	}
	obs, err := openObjectStore(ctx, js, jetstream.ObjectStoreConfig{
		Bucket: opts.Bucket, Description: "mugai: sanitized outputs", Replicas: max(opts.Replicas, 1), Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, err
	}
	return &ObjectBlobs{obs: obs, tempDir: opts.TempDir}, nil
}

func objectName(item string, index int) (string, error) {
	if !ValidID(item) || index < 0 {
		return "", ErrInvalidID
	}
	return item + "/" + strconv.Itoa(index), nil
}

// Put implements Blobs. It is not repeated while a new leader is
// elected: r has been read.
func (b *ObjectBlobs) Put(ctx context.Context, item string, index int, r io.Reader) error {
	name, err := objectName(item, index)
	if err != nil {
		return err
	}
	if _, err := b.obs.Put(ctx, jetstream.ObjectMeta{Name: name}, r); err != nil {
		return fmt.Errorf("store: storing %s: %w", name, err)
	}
	return nil
}

// Open implements Blobs.
func (b *ObjectBlobs) Open(ctx context.Context, item string, index int) (*Blob, error) {
	name, err := objectName(item, index)
	if err != nil {
		return nil, err
	}
	buf, err := fetchObject(ctx, b.obs, name, b.tempDir)
	switch {
	case errors.Is(err, jetstream.ErrObjectNotFound):
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	case errors.Is(err, jetstream.ErrDigestMismatch):
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, name)
	case err != nil:
		return nil, fmt.Errorf("store: reading %s: %w", name, err)
	}
	return &Blob{SectionReader: buf.Open(), Closer: buf}, nil
}

// Remove implements Blobs. The item's blobs are numbered without gaps:
// it finds the last and deletes from there down to 0, so that a Remove
// cut short leaves them still without a gap for the next one.
func (b *ObjectBlobs) Remove(ctx context.Context, item string) error {
	if !ValidID(item) {
		return ErrInvalidID
	}
	n := 0
	for ; ; n++ {
		name, _ := objectName(item, n)
		err := jsretry.WhileElecting(ctx, jsretry.Attempt, func(ctx context.Context) error {
			_, err := b.obs.GetInfo(ctx, name)
			return err
		})
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("store: %s: %w", name, err)
		}
	}
	for i := n - 1; i >= 0; i-- {
		name, _ := objectName(item, i)
		if err := deleteObject(ctx, b.obs, name); err != nil {
			return err
		}
	}
	return nil
}
