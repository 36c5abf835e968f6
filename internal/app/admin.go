package app

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/mugai-project/mugai/internal/clamd"
	"github.com/mugai-project/mugai/internal/fsutil"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/smtpproxy"
	"github.com/mugai-project/mugai/transfer"
)

// operations is what the download site's administration console asks of
// the relay, the scanner and the engine (transfer.Operations): it reads
// the outbox from its folder, as `mugai queue` does, and LibreOffice's
// and tesseract's state from a probe that answers for PartsTTL
// (partsStatus).
type operations struct {
	OperationsOptions
	parts *partsStatus // nil without Parts
}

// OperationsOptions are the console's view of a relay and its engine.
type OperationsOptions struct {
	// DataDir is the data folder; OutboxDir the relay's outbox.
	DataDir, OutboxDir string
	Releases           Releaser // queues the console's releases: the relay
	Quarantine         store.Quarantine
	Meta               meta.Store    // the relay's trail
	Scanner            *clamd.Client // nil without one
	Parts              *EngineParts  // the engine's sandboxed parts; nil: not reported
	// PartsTTL is how long one probe of LibreOffice and tesseract
	// answers the console's loads; default 30 s.
	PartsTTL time.Duration
	Now      func() time.Time // default time.Now
}

// NewOperations is the console's view of the relay, the scanner and the
// engine that o names.
func NewOperations(o OperationsOptions) transfer.Operations {
	ops := &operations{OperationsOptions: o}
	if o.Parts != nil {
		ops.parts = &partsStatus{probe: o.Parts.sandboxStatus, ttl: cmp.Or(o.PartsTTL, partsStatusTTL), now: o.Now}
		if ops.parts.now == nil {
			ops.parts.now = time.Now
		}
	}
	return ops
}

func (o *operations) Status(ctx context.Context) (transfer.AdminStatus, error) {
	var st transfer.AdminStatus
	var errs []error
	ob, err := smtpproxy.OpenOutbox(o.OutboxDir)
	if err == nil {
		var es []*smtpproxy.Entry
		if es, err = ob.List(); err == nil {
			st.QueueDepth = len(es)
			for _, e := range es {
				if st.QueueOldest.IsZero() || e.Created.Before(st.QueueOldest) {
					st.QueueOldest = e.Created
				}
				if e.Held || e.LastError != "" {
					st.Failing++
				}
			}
		}
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	if st.DiskFree, err = fsutil.FreeBytes(o.DataDir); err != nil {
		errs = append(errs, err)
	}
	if o.Scanner != nil {
		st.Scanner = true
		if err := o.Scanner.Ping(ctx); err != nil {
			st.ScannerErr = err.Error()
		}
	}
	if o.parts != nil {
		p, err := o.parts.get(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		st.Renderer, st.Office, st.OCR, st.PartsChecked = o.Parts.rendererStatus(), p.office, p.ocr, p.at
	}
	return st, errors.Join(errs...)
}

func (o *operations) Release(ctx context.Context, id, by string) (string, error) {
	qid, _, err := Release(ctx, o.Releases, o.Quarantine, o.Meta, id, by)
	return qid, err
}

func (o *operations) Queue(ctx context.Context) ([]transfer.QueueEntry, error) {
	ob, err := smtpproxy.OpenOutbox(o.OutboxDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	es, err := ob.List()
	out := make([]transfer.QueueEntry, 0, len(es))
	for _, e := range es {
		qe := transfer.QueueEntry{ID: e.ID, Kind: e.Kind, Created: e.Created, Rcpts: len(e.Rcpts), Attempts: e.Attempts,
			NextAttempt: e.NextAttempt, Held: e.Held, LastError: e.LastError, Sender: e.OrigFrom}
		for _, r := range e.Rcpts {
			if r.Status == smtpproxy.StatusPending {
				qe.Pending++
			}
		}
		out = append(out, qe)
	}
	return out, err
}

func (o *operations) QueueAction(ctx context.Context, action, id, by string) error {
	return QueueAction(ctx, o.OutboxDir, o.Meta, action, id, by)
}
