package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
)

// Retention purges originals whose retention has ended: every held or
// released item whose RetainUntil is past, whatever front door kept it
// (each sets RetainUntil from its own retention when it puts the item:
// mails and uploads differ). The record stays, in state Purged; each
// purge goes to the audit trail. An item with an open request for its
// original (Holds) is kept until the request is decided, and so is every
// item when Holds cannot answer. A Quarantine that is a Reconciler is
// reconciled before each sweep.
type Retention struct {
	Quarantine Quarantine
	Audit      *audit.Log
	// Holds reports whether an open request keeps the item; nil means
	// none ever does.
	Holds func(ctx context.Context, id string) (bool, error)
	// Interval between sweeps; default an hour.
	Interval time.Duration
	// Lead, if set, runs each of Run's sweeps on one node of a cluster
	// at a time and returns without running it when another node holds
	// the sweep (meta.DB.Lead); nil runs every sweep.
	Lead   func(ctx context.Context, sweep func(context.Context) error) error
	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now
}

// retentionBy is the StateBy and audit user of a purge.
const retentionBy = "retention"

// Sweep purges what has expired at Now and returns how many items it
// purged. It goes on past one item's failure and returns them all.
func (r *Retention) Sweep(ctx context.Context) (int, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	t := now()
	var errs []error
	if rc, ok := r.Quarantine.(Reconciler); ok {
		// What a crash left out of the index is swept too; a failure
		// here still sweeps what the index lists.
		if err := rc.Reconcile(ctx); err != nil {
			errs = append(errs, fmt.Errorf("retention: %w", err))
		}
	}
	items, err := r.Quarantine.List(ctx, Filter{Expired: t})
	if err != nil {
		return 0, errors.Join(append(errs, fmt.Errorf("retention: %w", err))...)
	}
	n := 0
	for _, it := range items {
		if it.State == Purged {
			continue
		}
		if r.Holds != nil {
			held, err := r.Holds(ctx, it.ID)
			if err != nil {
				errs = append(errs, fmt.Errorf("retention: %s: asking for open requests: %w", it.ID, err))
				continue
			}
			if held {
				continue
			}
		}
		if err := r.Quarantine.SetState(ctx, it.ID, Purged, retentionBy); err != nil {
			errs = append(errs, fmt.Errorf("retention: %s: %w", it.ID, err))
			continue
		}
		n++
		err := r.Audit.Record(ctx, audit.Event{Time: t, Zone: "system", User: retentionBy, Action: audit.Purge, Item: it.ID,
			Name: it.Name, SHA256In: it.SHA256, Outcome: "purged",
			Detail: fmt.Sprintf("source=%s retain_until=%s", it.Source, it.RetainUntil.UTC().Format(time.RFC3339))})
		if err != nil {
			errs = append(errs, fmt.Errorf("retention: %s: audit: %w", it.ID, err))
		}
	}
	return n, errors.Join(errs...)
}

// Run sweeps at once and then every Interval until ctx is done.
func (r *Retention) Run(ctx context.Context) {
	every, log := r.Interval, r.Logger
	if every <= 0 {
		every = time.Hour
	}
	if log == nil {
		log = slog.Default()
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		var n int
		sweep := func(ctx context.Context) (err error) {
			n, err = r.Sweep(ctx)
			return err
		}
		var err error
		if r.Lead != nil {
			err = r.Lead(ctx, sweep)
		} else {
			err = sweep(ctx)
		}
		if err != nil && ctx.Err() == nil {
			log.Error("retention sweep", "err", err)
		}
		if n > 0 {
			log.Info("retention: purged originals past their retention", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
