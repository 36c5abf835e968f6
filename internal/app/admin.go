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
// the relay and the scanner (transfer.Operations): it reads the outbox
// from its folder, as `mugai queue` does.
type operations struct {
	dataDir, outboxDir string
	q                  store.Quarantine
	md                 meta.Store
	scanner            *clamd.Client // nil without one
}

// NewOperations is the console's view of the relay whose outbox is
// outboxDir and whose trail is md, with the data folder dataDir and the
// scanner, if any (nil).
func NewOperations(dataDir, outboxDir string, q store.Quarantine, md meta.Store, scanner *clamd.Client) transfer.Operations {
	return &operations{dataDir: dataDir, outboxDir: outboxDir, q: q, md: md, scanner: scanner}
}

func (o *operations) Status(ctx context.Context) (transfer.AdminStatus, error) {
	var st transfer.AdminStatus
	var errs []error
	ob, err := smtpproxy.OpenOutbox(o.outboxDir)
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
	if st.DiskFree, err = fsutil.FreeBytes(o.dataDir); err != nil {
		errs = append(errs, err)
	}
	if o.scanner != nil {
		st.Scanner = true
		if err := o.scanner.Ping(ctx); err != nil {
			st.ScannerErr = err.Error()
		}
	}
	return st, errors.Join(errs...)
}

func (o *operations) Release(ctx context.Context, id, by string) (string, error) {
	qid, _, err := Release(ctx, o.outboxDir, o.q, o.md, id, by)
	return qid, err
}

func (o *operations) Queue(ctx context.Context) ([]transfer.QueueEntry, error) {
	ob, err := smtpproxy.OpenOutbox(o.outboxDir)
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
	return QueueAction(ctx, o.outboxDir, o.md, action, id, by)
}
