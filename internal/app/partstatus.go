package app

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mugai-project/mugai/transfer"
)

// partsStatus keeps the status of LibreOffice and tesseract for the
// console a while: probing it starts each in its sandbox (tens of milliseconds of two processes each), which repeated
// reloads of the status page would otherwise do at each load. A probe
// answers every load within ttl of it; loads that come while a probe
// runs wait for that one rather than start their own. Its methods are
// safe for concurrent use.
type partsStatus struct {
	probe func(context.Context) (office, ocr transfer.PartStatus)
	ttl   time.Duration
	now   func() time.Time

	group singleflight.Group
	mu    sync.Mutex
	last  partsProbe // zero until the first probe ends
}

// partsProbe is one probe's answer and when it was made.
type partsProbe struct {
	office, ocr transfer.PartStatus
	at          time.Time
}

// The defaults of partsStatus: how long a probe answers, and how long
// one may run (LibreOffice's start under bubblewrap takes seconds on a
// loaded machine).
const (
	partsStatusTTL = 30 * time.Second
	partsProbeTime = 30 * time.Second
)

// get returns the last probe if it is younger than ttl, else the answer
// of a new one (or of the one in flight). The probe runs apart from ctx,
// so that a load that gives up does not fail the others waiting for it;
// ctx ending only stops this load's wait.
func (ps *partsStatus) get(ctx context.Context) (partsProbe, error) {
	if last, ok := ps.fresh(); ok {
		return last, nil
	}
	ch := ps.group.DoChan("parts", func() (any, error) {
		if last, ok := ps.fresh(); ok {
			return last, nil // a probe ended since this load looked
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), partsProbeTime)
		defer cancel()
		var p partsProbe
		p.office, p.ocr = ps.probe(pctx)
		p.at = ps.now()
		ps.mu.Lock()
		ps.last = p
		ps.mu.Unlock()
		return p, nil
	})
	select {
	case res := <-ch:
		return res.Val.(partsProbe), nil
	case <-ctx.Done():
		return partsProbe{}, context.Cause(ctx)
	}
}

// fresh returns the last probe and whether it is younger than ttl.
func (ps *partsStatus) fresh() (partsProbe, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.last, !ps.last.at.IsZero() && ps.now().Sub(ps.last.at) < ps.ttl
}
