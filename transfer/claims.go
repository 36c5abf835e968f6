package transfer

import (
	"context"
	"time"

	"github.com/mugai-project/mugai/internal/meta"
)

// Claims: exactly one node sanitizes an item. A node claims an item in
// the shared table (claimed_by, claimed_until) with a conditional
// UPDATE before it works on it and renews the claim while it does; the
// items no live node holds are picked up by every node's rescan, so an
// item whose node died is taken over once its lease ends. On one
// machine every claim is the node's own.

// claimColumns are the columns of transfer_items that hold the claim.
var claimColumns = []meta.Column{
	{Name: "claimed_by", Decl: "TEXT NOT NULL DEFAULT ''"}, // the node sanitizing the item
	{Name: "claimed_until", Decl: "{maybetime}"},           // when its claim ends unless renewed
}

// claimable is the condition under which this node may claim an item:
// it is unfinished and its claim is none, the node's own, or over.
const claimable = `state IN ('received','processing') AND (claimed_by='' OR claimed_by=? OR claimed_until<?)`

// claim takes item id for this node until a lease from now; false if
// another node holds it or it is finished.
func (s *Server) claim(ctx context.Context, id string) (bool, error) {
	now := s.opts.Now()
	n, err := affected(s.db.ExecContext(ctx, `UPDATE transfer_items SET claimed_by=?, claimed_until=? WHERE id=? AND `+claimable,
		s.opts.Node, s.db.Stamp(now.Add(s.opts.Lease)), id, s.opts.Node, s.db.Stamp(now)))
	return n == 1, err
}

// renew extends this node's claim on id while ctx lasts, a third of a
// lease at a time, and cancels lost when the claim is no longer the
// node's (it was taken over after a renewal came too late).
func (s *Server) renew(ctx context.Context, id string, lost context.CancelFunc) {
	t := time.NewTicker(s.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := affected(s.db.ExecContext(ctx, `UPDATE transfer_items SET claimed_until=? WHERE id=? AND claimed_by=?`,
			s.db.Stamp(s.opts.Now().Add(s.opts.Lease)), id, s.opts.Node))
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Warn("renewing a claim", "item_id", id, "err", err)
		case n == 0:
			s.log.Warn("claim taken over by another node", "item_id", id)
			lost()
			return
		}
	}
}

// work runs fn on item id if this node's workers are not already on
// it and the node can claim it, renewing the claim until fn returns.
// fn's context ends if the claim is lost.
func (s *Server) work(ctx context.Context, id string, fn func(context.Context)) {
	if _, busy := s.active.LoadOrStore(id, struct{}{}); busy {
		return
	}
	defer s.active.Delete(id)
	ok, err := s.claim(ctx, id)
	if err != nil {
		s.failure("claim", id, err)
	}
	if !ok {
		return
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.renew(wctx, id, cancel)
	fn(wctx)
}

// rescan queues the unfinished items no node holds; at start (own) also
// those this node held before it stopped, which a claim then retakes at
// once. A password retry that lost
// its node is held again: the password was not kept.
func (s *Server) rescan(ctx context.Context, own bool) {
	now := s.db.Stamp(s.opts.Now())
	mine := ""
	if own {
		mine = s.opts.Node
	}
	items, err := s.queryItems(ctx, `WHERE `+claimable+` ORDER BY created`, mine, now)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("rescan", "err", err)
		}
		return
	}
	for _, it := range items {
		if _, busy := s.active.Load(it.ID); busy {
			continue
		}
		if it.State == Processing && it.Report != nil {
			s.work(ctx, it.ID, func(ctx context.Context) {
				if _, err := s.db.ExecContext(ctx, `UPDATE transfer_items SET state=? WHERE id=? AND state=? AND claimed_by=?`,
					string(Held), it.ID, string(Processing), s.opts.Node); err != nil {
					s.failure("requeue", it.ID, err)
				}
				s.hub.notify()
			})
			continue
		}
		s.enqueue(job{id: it.ID})
	}
}

// rescanLoop rescans every half lease until ctx is done.
func (s *Server) rescanLoop(ctx context.Context) {
	s.rescan(ctx, true)
	t := time.NewTicker(s.opts.Lease / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.rescan(ctx, false)
		}
	}
}
