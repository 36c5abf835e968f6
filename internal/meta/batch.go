package meta

import (
	"context"
	"database/sql"
	"sync"
)

// committer is group commit for the writes of a Store: writes that
// arrive while a transaction is committing queue up, and the next
// transaction carries all of them, with one commit (one append to the
// write-ahead log; OpenDB says when that is made durable) for the group. Each caller still
// returns only after the transaction holding its write has committed,
// so a write that returned is as durable as one committed alone.
//
// There is no goroutine to start or stop: the first writer to find no
// transaction running commits the queue itself, and hands the next
// group to a writer waiting in it.
type committer struct {
	db *sql.DB

	mu      sync.Mutex
	queue   []*write
	running bool // a writer is committing a group
}

// maxGroup bounds the writes of one transaction, so that a long queue
// is committed in several steps and no writer waits on an unbounded one.
const maxGroup = 256

// write is one statement waiting for its group's commit.
type write struct {
	ctx   context.Context
	query string
	args  []any

	// wake gets false when rows and err are set, true when this
	// writer is to commit the next group (which starts with it).
	wake chan bool
	rows int64
	err  error
}

// exec runs query in the next group and returns the rows it changed. A
// write whose context is done before it is queued is not made; once
// queued it is made with its group.
func (c *committer) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	w := &write{ctx: ctx, query: query, args: args, wake: make(chan bool, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, w)
	lead := !c.running
	c.running = true
	c.mu.Unlock()
	if !lead && !<-w.wake {
		return w.rows, w.err
	}
	c.commitGroup() // w is the first write of the group
	return w.rows, w.err
}

// commitGroup commits the writes queued now, then hands the writes that
// arrived meanwhile to one of them, or ends the run.
func (c *committer) commitGroup() {
	c.mu.Lock()
	n := min(len(c.queue), maxGroup)
	group := c.queue[:n:n]
	c.queue = c.queue[n:]
	c.mu.Unlock()

	c.run(group)
	for _, w := range group {
		w.wake <- false
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		c.running = false
		return
	}
	c.queue[0].wake <- true
}

// run makes the group's writes in one transaction. A statement that
// fails fails alone; a transaction that cannot begin or commit fails
// every write in it.
func (c *committer) run(group []*write) {
	// The transaction is the group's, not one writer's: it is not cut
	// when the context of the writer who began it is.
	ctx := context.WithoutCancel(group[0].ctx)
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		for _, w := range group {
			w.err = err
		}
		return
	}
	for _, w := range group {
		res, err := tx.ExecContext(ctx, w.query, w.args...)
		if err != nil {
			w.err = err
			continue
		}
		w.rows, _ = res.RowsAffected()
	}
	if err := tx.Commit(); err != nil {
		for _, w := range group {
			w.rows, w.err = 0, err
		}
	}
}
