package app

import (
	"context"
	"errors"
	"io/fs"

	"github.com/mugai-project/mugai/internal/clamd"
	"github.com/mugai-project/mugai/internal/fsutil"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/smtpproxy"
	"github.com/mugai-project/mugai/transfer"
)

// operations is what the download site's administration console asks of
// the relay, the scanner and the engine (transfer.Operations): it reads
// the outbox from its folder, as `mugai queue` does.
type operations struct{ OperationsOptions }

// OperationsOptions are the console's view of a relay and its engine.
type OperationsOptions struct {
	// DataDir is the data folder; OutboxDir the relay's outbox.
	DataDir, OutboxDir string
	Releases           Releaser // queues the console's releases: the relay
	Quarantine         store.Quarantine
	Meta               meta.Store    // the relay's trail
	Scanner            *clamd.Client // nil without one
	Parts              *EngineParts  // the engine's sandboxed parts; nil: not reported
}

// NewOperations is the console's view of the relay, the scanner and the
// engine that o names.
func NewOperations(o OperationsOptions) transfer.Operations {
	return &operations{o}
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
	if o.Parts != nil {
		st.Renderer, st.Office, st.OCR = o.Parts.Status(ctx)
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
